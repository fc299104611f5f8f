"""What a `toys:` entry declares."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class ToySpec:
    """One declared toy: its label, and the lines of the entry and of its label."""

    name: str
    label: str
    line: int
    label_line: int
