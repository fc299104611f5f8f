"""scripts/setup-engine.sh refuses clearly when it cannot do its job, and changes nothing."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.e2e.pulumi_cli import ROOT


def project_copy(tmp_path: Path) -> Path:
    """The files the script reads, in a folder of their own (no .venv: nothing to touch)."""
    copy = tmp_path / "project"
    shutil.copytree(ROOT / "scripts", copy / "scripts")
    shutil.copytree(ROOT / "engine", copy / "engine")
    shutil.copy(ROOT / "requirements.txt", copy / "requirements.txt")
    return copy


def run_setup(copy: Path, cache: Path, path: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(copy / "scripts" / "setup-engine.sh")],
        env={"PATH": path, "HOME": str(cache.parent), "CAIGUNN_ENGINE_CACHE": str(cache)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_without_go_or_pulumi_it_says_how_to_install_pulumi(tmp_path: Path) -> None:
    copy = project_copy(tmp_path)
    # /usr/bin and /bin hold the shell tools but neither go nor pulumi on this kind of machine.
    assert shutil.which("go", path="/usr/bin:/bin") is None
    done = run_setup(copy, tmp_path / "cache", "/usr/bin:/bin")

    assert done.returncode == 1
    assert "no usable Pulumi engine and no Go toolchain to build one" in done.stderr
    assert "install Pulumi v3.260.0 or newer" in done.stderr
    assert "pulumi-language-python" in done.stderr
    assert not (tmp_path / "cache").exists()


def test_a_python_sdk_pin_that_differs_from_the_engine_is_refused(tmp_path: Path) -> None:
    copy = project_copy(tmp_path)
    pins = copy / "requirements.txt"
    pins.write_text(pins.read_text().replace("pulumi==3.260.0", "pulumi==3.259.0"))

    done = run_setup(copy, tmp_path / "cache", "/usr/bin:/bin")

    assert done.returncode == 1
    assert (
        "requirements.txt pins pulumi==3.259.0 but engine/cli/go.mod builds the CLI v3.260.0"
        in done.stderr
    )
