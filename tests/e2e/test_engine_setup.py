"""scripts/setup-engine.sh: which Pulumi it takes, what it says, and how it refuses."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.e2e.pulumi_cli import ROOT

# /usr/bin and /bin hold the shell tools but neither go nor pulumi on this kind of machine.
SYSTEM_PATH = "/usr/bin:/bin"
ENGINE_FILES = (
    "pulumi",
    "pulumi-language-python",
    "pulumi-language-python-exec",
    "pulumi-resource-pulumi-python",
)


def project_copy(tmp_path: Path) -> Path:
    """The files the script reads and an empty .venv/bin to link into, in a folder of their own."""
    copy = tmp_path / "project"
    shutil.copytree(ROOT / "scripts", copy / "scripts")
    shutil.copytree(ROOT / "engine", copy / "engine")
    shutil.copy(ROOT / "requirements.txt", copy / "requirements.txt")
    (copy / ".venv" / "bin").mkdir(parents=True)
    return copy


def run_setup(
    copy: Path, cache: Path, path: str, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(copy / "scripts" / "setup-engine.sh"), *args],
        env={"PATH": path, "HOME": str(cache.parent), "CAIGUNN_ENGINE_CACHE": str(cache), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def executable(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def stand_in_pulumi(folder: Path, version: str, *, without: tuple[str, ...] = ()) -> Path:
    """An 'installed Pulumi': a pulumi that prints `version`, with the other files beside it."""
    executable(folder / "pulumi", f'#!/bin/sh\n[ "$1" = version ] && echo v{version}\n')
    for name in ENGINE_FILES[1:]:
        if name not in without:
            executable(folder / name, "#!/bin/sh\nexit 0\n")
    return folder


def wrapped_engine_dir(copy: Path) -> Path:
    """The folder whose pulumi .venv/bin/pulumi runs, and which the other three links point to."""
    venv_bin = copy / ".venv" / "bin"
    dirs = {Path(os.readlink(venv_bin / name)).parent for name in ENGINE_FILES[1:]}
    assert len(dirs) == 1, dirs
    [engine_dir] = dirs
    assert f'exec "{engine_dir}/pulumi"' in (venv_bin / "pulumi").read_text()
    return engine_dir


# --- an installed Pulumi -----------------------------------------------------------------------


@pytest.mark.parametrize("version", ["3.139.0", "3.176.0", "3.300.2"])
def test_an_installed_pulumi_from_the_oldest_supported_version_up_is_used(
    tmp_path: Path, version: str
) -> None:
    copy = project_copy(tmp_path)
    installed = stand_in_pulumi(tmp_path / "installed", version)

    done = run_setup(copy, tmp_path / "cache", f"{installed}:{SYSTEM_PATH}")

    assert done.returncode == 0, done.stderr
    assert wrapped_engine_dir(copy) == installed
    ran = subprocess.run(
        [str(copy / ".venv" / "bin" / "pulumi"), "version"], capture_output=True, text=True
    )
    assert ran.stdout.strip() == f"v{version}"
    assert done.stderr.splitlines()[-1].startswith(
        f"engine: ready: pulumi v{version} (installed in {installed}"
    )
    assert not (tmp_path / "cache").exists(), "nothing is built or cached"


def test_an_installed_pulumi_without_the_postgres_backend_is_used_with_a_note(
    tmp_path: Path,
) -> None:
    copy = project_copy(tmp_path)
    installed = stand_in_pulumi(tmp_path / "installed", "3.175.9")

    done = run_setup(copy, tmp_path / "cache", f"{installed}:{SYSTEM_PATH}")

    assert done.returncode == 0, done.stderr
    assert done.stderr == (
        f"engine: ready: pulumi v3.175.9 (installed in {installed}; it has no PostgreSQL state "
        "backend, which needs v3.176.0)\n"
    )


def test_an_installed_pulumi_older_than_the_minimum_is_refused_with_the_reason(
    tmp_path: Path,
) -> None:
    copy = project_copy(tmp_path)
    installed = stand_in_pulumi(tmp_path / "installed", "3.138.0")

    done = run_setup(copy, tmp_path / "cache", f"{installed}:{SYSTEM_PATH}")

    assert done.returncode == 1
    assert done.stderr == (
        "engine: error: no usable Pulumi engine: the installed Pulumi v3.138.0 "
        f"({installed}/pulumi) is older than v3.139.0, the first whose engine passes the stack's "
        "configuration (caigunn:accessToken, caigunn:apiUrl) to a dynamic provider's configure(), "
        "and no Go toolchain to build one.\n"
        "  Either install Pulumi v3.139.0 or newer (https://www.pulumi.com/docs/install/) so that "
        "'pulumi',\n"
        "  'pulumi-language-python', 'pulumi-language-python-exec' and "
        "'pulumi-resource-pulumi-python' are\n"
        "  on PATH together, or install Go 1.26 or newer to build the pinned v3.260.0, then run "
        "make again.\n"
    )
    assert not (copy / ".venv" / "bin" / "pulumi").exists()
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize(("version", "accepted"), [("3.175.0", False), ("3.176.0", True)])
def test_with_postgres_an_installed_pulumi_needs_the_postgres_backend(
    tmp_path: Path, version: str, accepted: bool
) -> None:
    copy = project_copy(tmp_path)
    installed = stand_in_pulumi(tmp_path / "installed", version)

    done = run_setup(copy, tmp_path / "cache", f"{installed}:{SYSTEM_PATH}", "--postgres")

    if accepted:
        assert done.returncode == 0, done.stderr
        assert wrapped_engine_dir(copy) == installed
    else:
        assert done.returncode == 1
        assert (
            f"the installed Pulumi v{version} ({installed}/pulumi) has no PostgreSQL state "
            "backend, which came in v3.176.0 and which make test's team tests use"
        ) in done.stderr
        assert "install Pulumi v3.176.0 or newer" in done.stderr


def test_an_installed_pulumi_missing_the_python_files_beside_it_is_refused(
    tmp_path: Path,
) -> None:
    copy = project_copy(tmp_path)
    without = ("pulumi-language-python-exec", "pulumi-resource-pulumi-python")
    installed = stand_in_pulumi(tmp_path / "installed", "3.200.0", without=without)

    done = run_setup(copy, tmp_path / "cache", f"{installed}:{SYSTEM_PATH}")

    assert done.returncode == 1
    assert (
        f"the installed Pulumi v3.200.0 ({installed}/pulumi) lacks pulumi-language-python-exec "
        f"pulumi-resource-pulumi-python beside it in {installed}"
    ) in done.stderr


def test_the_virtualenvs_own_pulumi_is_never_taken_for_an_installed_one(tmp_path: Path) -> None:
    copy = project_copy(tmp_path)
    venv_bin = copy / ".venv" / "bin"
    stand_in_pulumi(venv_bin, "3.300.0")

    done = run_setup(copy, tmp_path / "cache", f"{venv_bin}:{SYSTEM_PATH}")

    assert done.returncode == 1
    assert "no usable Pulumi engine: no pulumi on PATH, and no Go toolchain" in done.stderr


# --- building from Go modules ------------------------------------------------------------------

# A stand-in `go` as chatty as the real one on a cold build; it "builds" a pulumi that prints the
# version it was stamped with. FAIL_AT names the subcommand that fails.
FAKE_GO = r"""
#!/bin/bash
sdk="$FAKE_GO_HOME/sdk"
case "$1" in
    mod)
        for i in $(seq 300); do echo "go: downloading example.com/module$i v1.0.$i" >&2; done
        [ "$FAIL_AT" != mod ] || { echo "go: example.com/module7: 403 Forbidden" >&2; exit 1; } ;;
    build)
        [ "$FAIL_AT" != build ] || { echo "./x.go:1: undefined: Thing" >&2; exit 1; }
        while [ $# -gt 0 ]; do
            case "$1" in
                -ldflags) version=${2##*=}; shift ;;
                -o) out=$2; shift ;;
            esac
            shift
        done
        printf '#!/bin/sh\necho %s\n' "$version" >"$out"; chmod +x "$out" ;;
    list)
        mkdir -p "$sdk/python/cmd" "$sdk/python/dist"
        echo '#!/bin/sh' >"$sdk/python/cmd/pulumi-language-python-exec"
        echo '#!/bin/sh' >"$sdk/python/dist/pulumi-resource-pulumi-python"
        echo "$sdk" ;;
esac
"""


def fake_go(tmp_path: Path) -> str:
    executable(tmp_path / "go-bin" / "go", FAKE_GO)
    return f"{tmp_path / 'go-bin'}:{SYSTEM_PATH}"


def run_build(tmp_path: Path, copy: Path, fail_at: str = "") -> subprocess.CompletedProcess[str]:
    gohome = str(tmp_path / "gohome")
    return run_setup(
        copy, tmp_path / "cache", fake_go(tmp_path), FAKE_GO_HOME=gohome, FAIL_AT=fail_at
    )


def test_a_build_says_what_it_does_in_a_few_lines_and_logs_the_go_chatter(
    tmp_path: Path,
) -> None:
    copy = project_copy(tmp_path)

    done = run_build(tmp_path, copy)

    assert done.returncode == 0, done.stderr
    cache = tmp_path / "cache"
    log = cache / "build-v3.260.0.log"
    lines = done.stderr.splitlines()
    assert [line.split(" ... ")[0] for line in lines] == [
        "engine: building the pinned Pulumi v3.260.0 from Go modules, once per machine "
        f"(about 4 minutes on 2 cores; log: {log})",
        "engine: downloading Go modules (about 1.7 GB)",
        "engine: compiling the CLI",
        "engine: compiling the Python language host v3.68.0",
        lines[-1],
    ]
    assert all(line.endswith(" s)") for line in lines[1:4]), lines
    assert lines[-1].startswith("engine: ready: pulumi v3.260.0 (built in ")
    assert "go: downloading" not in done.stderr
    assert log.read_text().count("go: downloading") == 600  # both go.mod files
    built = cache / "pulumi-v3.260.0-python-host-v3.68.0"
    assert wrapped_engine_dir(copy) == built
    # The compiled host keeps its versioned name behind the wrapper (test_engine_virtualenv.py).
    assert sorted(p.name for p in built.iterdir()) == sorted(
        [*ENGINE_FILES, "pulumi-language-python-v3.68.0"]
    )


def test_with_go_an_installed_pulumi_below_the_minimum_is_named_and_the_pinned_one_built(
    tmp_path: Path,
) -> None:
    copy = project_copy(tmp_path)
    installed = stand_in_pulumi(tmp_path / "installed", "3.120.4")
    path = f"{installed}:{fake_go(tmp_path)}"

    done = run_setup(copy, tmp_path / "cache", path, FAKE_GO_HOME=str(tmp_path / "gohome"))

    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[0] == (
        f"engine: the installed Pulumi v3.120.4 ({installed}/pulumi) is older than v3.139.0, the "
        "first whose engine passes the stack's configuration (caigunn:accessToken, "
        "caigunn:apiUrl) to a dynamic provider's configure(); so set-up builds the pinned "
        "engine instead"
    )
    assert wrapped_engine_dir(copy) == tmp_path / "cache" / "pulumi-v3.260.0-python-host-v3.68.0"


@pytest.mark.parametrize(
    ("fail_at", "step", "last_words"),
    [
        ("mod", "downloading Go modules (about 1.7 GB)", "403 Forbidden"),
        ("build", "compiling the CLI", "undefined: Thing"),
    ],
)
def test_a_failed_build_names_its_log_and_shows_its_end(
    tmp_path: Path, fail_at: str, step: str, last_words: str
) -> None:
    copy = project_copy(tmp_path)

    done = run_build(tmp_path, copy, fail_at)

    assert done.returncode == 1
    log = tmp_path / "cache" / "build-v3.260.0.log"
    assert f"engine: {step} ... failed\n" in done.stderr
    assert done.stderr.splitlines()[-1].startswith(
        f"engine: error: {step} failed after "
    ) and done.stderr.endswith(f"; the Go tool's full output is in {log}\n")
    # The end of Go's output is shown with the error; all of it stays in the log.
    assert "engine: | " in done.stderr and last_words in done.stderr
    assert last_words in log.read_text()
    assert len(done.stderr.splitlines()) < 25
    # Nothing half-built is left where a later set-up would take it for a finished engine.
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [log.name]
    assert not (copy / ".venv" / "bin" / "pulumi").exists()


# --- refusals before anything happens ----------------------------------------------------------


def test_without_go_or_pulumi_it_says_how_to_install_pulumi(tmp_path: Path) -> None:
    copy = project_copy(tmp_path)
    assert shutil.which("go", path=SYSTEM_PATH) is None
    done = run_setup(copy, tmp_path / "cache", SYSTEM_PATH)

    assert done.returncode == 1
    assert "no usable Pulumi engine: no pulumi on PATH, and no Go toolchain" in done.stderr
    assert "install Pulumi v3.139.0 or newer" in done.stderr
    assert "pulumi-language-python" in done.stderr
    assert not (tmp_path / "cache").exists()


def test_a_python_sdk_pin_that_differs_from_the_engine_is_refused(tmp_path: Path) -> None:
    copy = project_copy(tmp_path)
    pins = copy / "requirements.txt"
    pins.write_text(pins.read_text().replace("pulumi==3.260.0", "pulumi==3.259.0"))

    done = run_setup(copy, tmp_path / "cache", SYSTEM_PATH)

    assert done.returncode == 1
    assert (
        "requirements.txt pins pulumi==3.259.0 but engine/cli/go.mod builds the CLI v3.260.0"
        in done.stderr
    )
