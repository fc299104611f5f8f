"""Builds this project's wheel and sdist, and installs the wheel into a virtualenv of its own."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

from tests.e2e.pulumi_cli import ROOT

# What a build never reads, left out of the copy it builds from.
_NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "dist", "build", "*.egg-info", "__pycache__", ".*_cache", ".demo", ".pulumi-*"
)


def build(outdir: Path, *only: str) -> list[Path]:
    """`python -m build` of this repository into outdir (only: "--wheel" or "--sdist"); the
    files it made. Without build isolation, as `make dist`: the backend is the pinned one. It
    builds from a copy, since setuptools writes into the tree it builds (build/, *.egg-info)."""
    source = outdir.parent / f"{outdir.name}-source"
    shutil.copytree(ROOT, source, ignore=_NOT_SOURCE)
    done = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", *only, "--outdir", str(outdir), "."],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return sorted(outdir.iterdir())


def wheel_of(files: list[Path]) -> Path:
    [wheel] = [path for path in files if path.suffix == ".whl"]
    return wheel


def fresh_virtualenv(where: Path, wheel: Path) -> Path:
    """A new virtualenv at `where` (outside the repository) with the wheel pip-installed, no
    extras; its python. Its dependencies come from the package index pip is configured with."""
    assert not where.resolve().is_relative_to(ROOT), f"{where} is inside the repository"
    venv.EnvBuilder(with_pip=True).create(where)
    python = where / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=where,
    )
    return python


def run_python(python: Path, code: str) -> str:
    """Run code with that python, from outside the repository and without PYTHONPATH; stdout."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(
        [str(python), "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=python.parent,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
