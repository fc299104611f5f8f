"""Fixtures shared by every test layer."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # A developer's own CaiGunn token or Pulumi backend must never leak into a test run.
    for name in list(os.environ):
        if name.startswith(("CAIGUNN_", "PULUMI_")):
            monkeypatch.delenv(name)
    yield
