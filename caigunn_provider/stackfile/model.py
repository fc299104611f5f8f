"""What a valid stack file declares: each top-level section's entries, in file order."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["StackFile"]


@dataclass(frozen=True)
class StackFile:
    """A valid stack file: its path as given, and each section's checked entries in file order.

    sections maps a top-level key (`chatbots`) to {logical name: that kind's spec}; a section
    the file does not hold is absent.
    """

    path: str
    sections: Mapping[str, Mapping[str, Any]]

    def section(self, key: str) -> Mapping[str, Any]:
        """The entries of one section ({} when the file does not hold it)."""
        return self.sections.get(key, {})
