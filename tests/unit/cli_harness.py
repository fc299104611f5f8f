"""The command line run in-process, as the CLI unit tests drive it (the `cli` fixture)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from caigunn_provider.__main__ import main
from tests.support import TOKEN, Admin


@dataclass
class Result:
    status: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


Cli = Callable[..., Result]


def cli_runner(
    admin: Admin,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    """`python -m caigunn_provider ARGS` in-process, in an empty folder, settings from the env."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CAIGUNN_API_URL", admin.base_url)

    def run(*args: str, token: str = TOKEN) -> Result:
        monkeypatch.setenv("CAIGUNN_ACCESS_TOKEN", token)
        capsys.readouterr()
        try:
            status = main(list(args))
        except SystemExit as exc:  # argparse: --help and bad arguments
            status = int(exc.code or 0)
        captured = capsys.readouterr()
        return Result(status, captured.out, captured.err)

    return run


def stack_file(tmp_path: Path) -> Path:
    return tmp_path / "stacks" / "dev.yaml"
