"""Fixtures of the emulator tests; the emulator itself comes from tests/conftest.py (`admin`)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def doc_path() -> Path:
    """The user's API document, copied verbatim into the tests."""
    return Path(__file__).parent / "data" / "caigunn-user-api.md"
