"""The pinned language host runs a program in the virtualenv its Pulumi.yaml names (issue 22):
set-up's wrapper passes `runtime.options.virtualenv` as the flag that host reads."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.pulumi_cli import ROOT
from tests.e2e.test_engine_setup import ENGINE_FILES, executable, project_copy, run_setup

PINNED = "pulumi-v3.260.0-python-host-v3.68.0"
COMPILED_HOST = "pulumi-language-python-v3.68.0"
ADDRESS = "127.0.0.1:50051"


def set_up_with_host(tmp_path: Path, host: str) -> Path:
    """A project copy set up from a cached engine whose compiled host is the script `host` (as a
    cache built before the wrapper existed has it: the host under the plain name); its .venv/bin."""
    copy = project_copy(tmp_path)
    cached = tmp_path / "cache" / PINNED
    executable(cached / "pulumi", "#!/bin/sh\necho v3.260.0\n")
    for name in ENGINE_FILES[1:]:
        executable(cached / name, "#!/bin/sh\nexit 0\n")
    executable(cached / "pulumi-language-python", host)
    done = run_setup(copy, tmp_path / "cache", "/usr/bin:/bin")
    assert done.returncode == 0, done.stderr
    return copy / ".venv" / "bin"


@pytest.fixture
def venv_bin(tmp_path: Path) -> Path:
    """Set up with a host that only echoes its arguments."""
    return set_up_with_host(tmp_path, '#!/bin/sh\necho "$@"\n')


def host_arguments(venv_bin: Path, cwd: Path, *engine_args: str) -> str:
    """What the compiled host is started with when the engine starts the host in cwd."""
    done = subprocess.run(
        [str(venv_bin / "pulumi-language-python"), *engine_args, ADDRESS],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout.strip()


def project(folder: Path, runtime: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "Pulumi.yaml").write_text(f"name: website\nruntime:\n{runtime}")
    return folder


def test_a_project_naming_a_virtualenv_has_it_passed_to_the_host_with_the_project_root(
    tmp_path: Path, venv_bin: Path
) -> None:
    root = project(tmp_path / "website", "  name: python\n  options:\n    virtualenv: venv\n")

    assert host_arguments(venv_bin, root) == f"-root {root} -virtualenv venv {ADDRESS}"


def test_the_project_is_found_from_a_subfolder_and_a_quoted_value_is_unquoted(
    tmp_path: Path, venv_bin: Path
) -> None:
    root = project(
        tmp_path / "website",
        "  name: python\n  options:\n    virtualenv: '/opt/venvs/web'  # shared\n",
    )
    (root / "infra").mkdir()

    assert host_arguments(venv_bin, root / "infra") == (
        f"-root {root} -virtualenv /opt/venvs/web {ADDRESS}"
    )


def test_a_project_naming_no_virtualenv_starts_the_host_as_the_engine_does(
    tmp_path: Path, venv_bin: Path
) -> None:
    root = project(tmp_path / "website", "  name: python\n")

    assert host_arguments(venv_bin, root) == ADDRESS


def test_an_engine_that_passes_the_flag_itself_is_left_alone(
    tmp_path: Path, venv_bin: Path
) -> None:
    root = project(tmp_path / "website", "  name: python\n  options:\n    virtualenv: venv\n")

    assert host_arguments(venv_bin, root, "-virtualenv=other") == f"-virtualenv=other {ADDRESS}"


def test_set_up_keeps_the_compiled_host_behind_the_wrapper_and_a_second_set_up_keeps_both(
    tmp_path: Path, venv_bin: Path
) -> None:
    cached = tmp_path / "cache" / PINNED
    wrapper = (cached / "pulumi-language-python").read_text()

    done = run_setup(tmp_path / "project", tmp_path / "cache", "/usr/bin:/bin")

    assert done.returncode == 0, done.stderr
    assert (cached / COMPILED_HOST).read_text() == '#!/bin/sh\necho "$@"\n'
    assert (cached / "pulumi-language-python").read_text() == wrapper
    assert f"/{COMPILED_HOST}" in wrapper


def test_a_virtualenv_with_a_host_view_is_handed_to_the_host_through_it(
    tmp_path: Path, venv_bin: Path
) -> None:
    root = project(tmp_path / "website", "  name: python\n  options:\n    virtualenv: venv\n")
    executable(root / "venv" / "caigunn-host" / "bin" / "python", "#!/bin/sh\nexit 0\n")

    assert host_arguments(venv_bin, root) == f"-root {root} -virtualenv venv/caigunn-host {ADDRESS}"


def listed(python: Path) -> list[tuple[str, str, str]]:
    """What `python -m pip list -v --format json` says: each package's name, version, place."""
    done = subprocess.run(
        [str(python), "-m", "pip", "list", "-v", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return sorted((p["name"], p["version"], p["location"]) for p in json.loads(done.stdout))


def test_the_host_view_answers_the_hosts_package_question_as_pip_does_and_runs_the_rest() -> None:
    venv = ROOT / ".venv"
    view = venv / "caigunn-host" / "bin" / "python"
    assert listed(view) == listed(venv / "bin" / "python")
    done = subprocess.run(
        [str(view), "-c", "import sys; print(sys.prefix)"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert Path(done.stdout.strip()) == venv
    assert (venv / "caigunn-host" / "bin" / "pulumi").resolve() == (venv / "bin" / "pulumi")


def test_a_host_started_with_sigint_ignored_still_ends_on_the_engines_sigint(
    tmp_path: Path,
) -> None:
    """The engine ends a host it is done with by sending SIGINT to the host's process group, and
    kills it 5 s later. A `pulumi up` started as a background job (nohup ... &) or by a CI runner
    that ignores SIGINT passes the ignoring on to the wrapper and the host: every run then sat
    out those 5 s (the engine's language-metadata host). The wrapper gives the host SIGINT back
    at its default: here the host is a `sleep`, which only SIGINT's default ends."""
    wrapper = set_up_with_host(tmp_path, "#!/bin/sh\nexec sleep 60\n") / "pulumi-language-python"
    root = project(tmp_path / "website", "  name: python\n")

    def as_a_background_job() -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    host = subprocess.Popen(
        [str(wrapper), ADDRESS],
        cwd=root,
        start_new_session=True,  # its own process group, as the engine starts a plugin
        preexec_fn=as_a_background_job,
    )
    try:
        time.sleep(1)  # the wrapper has started the host
        assert host.poll() is None
        os.killpg(host.pid, signal.SIGINT)
        assert host.wait(timeout=3) != 0
    finally:
        if host.poll() is None:
            os.killpg(host.pid, signal.SIGKILL)
            host.wait()
