"""Fixtures: one shared emulator subprocess per level, its knobs reset after every test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from caigunn_provider.emulator.process import EmulatorProcess, emulator_process

from .support import DEFAULT_KNOBS, TOKEN, Api


@pytest.fixture(scope="session")
def current_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """A current-level emulator shared by the tests that only need runtime knobs."""
    log = tmp_path_factory.mktemp("current") / "requests.jsonl"
    with emulator_process("--token", TOKEN, "--request-log", str(log)) as emulator:
        yield emulator


@pytest.fixture(scope="session")
def seed_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """A seed-level emulator shared the same way."""
    log = tmp_path_factory.mktemp("seed") / "requests.jsonl"
    with emulator_process("--token", TOKEN, "--level", "seed", "--request-log", str(log)) as emu:
        yield emu


def _api_with_clean_knobs(emulator: EmulatorProcess) -> Iterator[Api]:
    api = Api(emulator.base_url)
    # A test that fails half-way must not leave the shared emulator slow or flaky for the next.
    api.set_knobs(**DEFAULT_KNOBS)
    try:
        yield api
    finally:
        api.set_knobs(**DEFAULT_KNOBS)
        api.session.close()


@pytest.fixture
def api(current_emulator: EmulatorProcess) -> Iterator[Api]:
    """A client of the shared current-level emulator, with default knobs."""
    yield from _api_with_clean_knobs(current_emulator)


@pytest.fixture
def seed_api(seed_emulator: EmulatorProcess) -> Iterator[Api]:
    """A client of the shared seed-level emulator, with default knobs."""
    yield from _api_with_clean_knobs(seed_emulator)


@pytest.fixture
def doc_path() -> Path:
    """The user's API document, copied verbatim into the tests."""
    return Path(__file__).parent / "data" / "caigunn-user-api.md"
