"""The installable package (issue 22): one wheel from the tree or from the sdist, and what a fresh
virtualenv gets from it."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.e2e.package import build, fresh_virtualenv, run_python, wheel_of

RUNTIME = {"pulumi", "requests", "urllib3", "pyyaml", "ruamel.yaml", "regex"}


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """`python -m build`, as `make dist`: the sdist, then the wheel built from that sdist."""
    return build(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def python(tmp_path_factory: pytest.TempPathFactory, dist: list[Path]) -> Path:
    """The python of a fresh virtualenv outside the repository, holding only the wheel (no
    extras) and its dependencies."""
    return fresh_virtualenv(tmp_path_factory.mktemp("fresh") / "venv", wheel_of(dist))


def contents(wheel: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_make_dist_makes_one_sdist_and_one_wheel_of_the_single_sourced_version(
    dist: list[Path],
) -> None:
    from caigunn_provider.version import __version__

    assert [path.name for path in dist] == [
        f"caigunn_provider-{__version__}-py3-none-any.whl",
        f"caigunn_provider-{__version__}.tar.gz",
    ]


def test_the_sdist_builds_the_same_wheel_as_the_source_tree(
    dist: list[Path], tmp_path: Path
) -> None:
    from_tree = wheel_of(build(tmp_path, "--wheel"))
    from_sdist = wheel_of(dist)

    assert from_tree.name == from_sdist.name
    tree, sdist = contents(from_tree), contents(from_sdist)
    assert sorted(tree) == sorted(sdist)
    assert tree == sdist  # metadata, RECORD and every module, byte for byte


def test_the_wheel_holds_the_package_and_its_type_marker_but_no_tests_or_scripts(
    dist: list[Path],
) -> None:
    names = set(contents(wheel_of(dist)))

    assert {"caigunn_provider/py.typed", "caigunn_provider/version.py"} <= names
    assert "caigunn_provider/emulator/app.py" in names  # the emulator ships; its deps are an extra
    assert not [n for n in names if n.startswith(("tests/", "scripts/", "stacks/", "templates/"))]


def test_a_wheel_installed_without_extras_imports_the_provider_without_fastapi(
    python: Path,
) -> None:
    seen = json.loads(
        run_python(
            python,
            "import importlib.util, json, sys\n"
            "import caigunn_provider, caigunn_provider.provider, caigunn_provider.program\n"
            "print(json.dumps({'file': caigunn_provider.__file__,"
            " 'fastapi_loaded': 'fastapi' in sys.modules,"
            " 'fastapi_installed': importlib.util.find_spec('fastapi') is not None}))",
        )
    )

    assert Path(seen["file"]).is_relative_to(python.parent.parent)
    assert seen["fastapi_loaded"] is False
    assert seen["fastapi_installed"] is False


def test_the_installed_metadata_gives_every_runtime_dependency_a_range(python: Path) -> None:
    inspected = json.loads(
        run_python(
            python,
            "import subprocess, sys\n"
            "print(subprocess.run([sys.executable, '-m', 'pip', 'inspect', '--local'],"
            " capture_output=True, text=True, check=True).stdout)",
        )
    )
    [ours] = [
        package["metadata"]
        for package in inspected["installed"]
        if package["metadata"]["name"] == "caigunn-provider"
    ]
    runtime = [Requirement(line) for line in ours["requires_dist"] if "extra ==" not in line]

    assert {requirement.name.lower() for requirement in runtime} == RUNTIME
    for requirement in runtime:
        bounds = {spec.operator for spec in requirement.specifier}
        assert ">=" in bounds and "<" in bounds, f"{requirement} has no range"


def test_the_user_agent_carries_the_installed_version(python: Path) -> None:
    seen = json.loads(
        run_python(
            python,
            "import importlib.metadata, json\n"
            "from caigunn_provider.client.transport import USER_AGENT\n"
            "from caigunn_provider.version import __version__\n"
            "print(json.dumps([USER_AGENT, __version__,"
            " importlib.metadata.version('caigunn-provider')]))",
        )
    )

    assert seen == ["caigunn-provider/0.3.0", "0.3.0", "0.3.0"]


def test_the_emulator_command_without_its_extra_says_which_extra_to_install(python: Path) -> None:
    done = subprocess.run(
        [str(python), "-m", "caigunn_provider", "emulator", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=python.parent,
        check=False,
    )

    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "error: the emulator command needs the package's [emulator] extra (uvicorn is not"
        " installed): pip install 'caigunn-provider[emulator]'"
    ]
