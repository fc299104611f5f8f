"""What the loader asks of a resource kind: the top-level key it owns and how to check one entry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from caigunn_provider.stackfile.problems import Problems
from caigunn_provider.stackfile.yamltree import Entry

# Checks one entry (its logical name and its YAML entry); the spec, or None after reporting.
CheckEntry = Callable[[str, Entry, Problems], Any | None]


class Section(Protocol):
    """One top-level key of a stack file (`chatbots:`), a mapping from logical name to entry."""

    @property
    def key(self) -> str:
        """The top-level key: `chatbots`."""

    @property
    def noun(self) -> str:
        """What one entry declares, for messages: `chatbot`."""

    @property
    def required(self) -> bool:
        """Whether a stack file must hold this key (`chatbots: {}` for none)."""

    @property
    def max_entries(self) -> int:
        """The most entries one file may declare."""

    def checker(self, base_dir: str) -> CheckEntry:
        """A checker for the entries of one file (files are relative to base_dir)."""
