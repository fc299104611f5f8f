"""`make demo`'s script, run in a copy of the project: it works, and never leaves an emulator."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.pulumi_cli import ROOT


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    return tmp_path


def run_demo(folder: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "CAIGUNN_"))}
    env["PULUMI_HOME"] = str(folder / ".pulumi-home")
    return subprocess.run(
        ["bash", str(folder / "scripts" / "demo.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def emulators_using(folder: Path) -> list[str]:
    """Command lines of live emulator processes whose data file is in folder."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "caigunn_provider emulator" in cmdline and str(folder) in cmdline:
            found.append(cmdline)
    return found


def test_demo_creates_the_dev_chatbots_and_a_second_run_changes_nothing(demo_copy: Path) -> None:
    first = run_demo(demo_copy)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "+ 3 created" in first.stdout
    assert "api_keys  [secret]" in first.stdout
    assert '"title":"Support Desk"' in first.stdout

    second = run_demo(demo_copy)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "3 unchanged" in second.stdout
    assert (demo_copy / ".demo" / "emulator.sqlite").exists()
    assert emulators_using(demo_copy) == []


def test_a_failing_demo_still_stops_its_emulator(demo_copy: Path) -> None:
    (demo_copy / "stacks" / "dev.yaml").write_text("chatbots:\n  broken:\n    title: ''\n")

    failed = run_demo(demo_copy)

    assert failed.returncode != 0
    assert "stacks/dev.yaml:3: chatbots.broken.title" in failed.stdout + failed.stderr
    assert emulators_using(demo_copy) == []
