"""Fixtures shared by every test layer."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support import Admin, emulator


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # A developer's own CaiGunn token or Pulumi backend must never leak into a test run.
    for name in list(os.environ):
        if name.startswith(("CAIGUNN_", "PULUMI_")):
            monkeypatch.delenv(name)
    yield


@pytest.fixture(params=["current", "seed"])
def level(request: pytest.FixtureRequest) -> str:
    """Both API levels; a test narrows it with @pytest.mark.parametrize("level", [...])."""
    return str(request.param)


@pytest.fixture
def admin(level: str) -> Iterator[Admin]:
    """A fresh in-process emulator at `level`, seen through its admin client."""
    with emulator(level) as running:  # type: ignore[arg-type]
        yield running
