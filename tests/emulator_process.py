"""The emulator as a process, seen by its base URL alone (tests that need no more of it)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from caigunn_provider.emulator.process import emulator_process


@contextmanager
def running_emulator(*flags: str, startup_timeout: float = 20.0) -> Iterator[str]:
    """A running emulator's base URL for the `with` block (use emulator_process for more)."""
    with emulator_process(*flags, startup_timeout=startup_timeout) as emulator:
        yield emulator.base_url
