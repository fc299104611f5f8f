"""Fixtures of the unit tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import Admin
from tests.unit.cli_harness import Cli, cli_runner


@pytest.fixture
def cli(
    admin: Admin,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    """The command line against the `admin` fixture's emulator, settings from the environment."""
    return cli_runner(admin, tmp_path, monkeypatch, capsys)
