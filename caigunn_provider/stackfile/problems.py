"""Collecting problems as file:line: path: what, and showing what the user wrote, safely."""

from __future__ import annotations

from caigunn_provider.stackfile.rules import MAX_PROBLEMS, is_valid_logical_name
from caigunn_provider.stackfile.yamltree import Map, Opaque, Refused, Seq

__all__ = ["TOP", "Problems", "count", "item_path", "key_path", "show"]

TOP = "(top level)"
# Long enough to recognise a value, short enough that a 100k-character one stays one line.
_SHOWN = 60


class Problems:
    """Every problem found so far, each with its line; rendered in file order."""

    def __init__(self) -> None:
        # (line, text, whether the text names its own file and line)
        self._items: list[tuple[int, str, bool]] = []

    def add(self, line: int, path: str, what: str) -> None:
        self._items.append((line, f"{path}: {what}", False))

    def add_elsewhere(self, line: int, text: str) -> None:
        """A problem in another file that this one names at `line` (a checks file): `text`
        starts with that file's own `file:line: `, so an editor jumps there; `{at}` in it
        becomes this file's `file:line`. Listed in this file's order, at `line`."""
        self._items.append((line, text, True))

    def __len__(self) -> int:
        return len(self._items)

    def render(self, shown: str) -> list[str]:
        # Stable sort: file order, and discovery order within a line.
        ordered = sorted(self._items, key=lambda item: item[0])
        lines = [
            text.replace("{at}", f"{shown}:{line}") if elsewhere else f"{shown}:{line}: {text}"
            for line, text, elsewhere in ordered[:MAX_PROBLEMS]
        ]
        if len(ordered) > MAX_PROBLEMS:
            more = len(ordered) - MAX_PROBLEMS
            lines.append(
                f"{shown}: {count(more)} more {'problem is' if more == 1 else 'problems are'} "
                f"not listed (only the first {MAX_PROBLEMS} are); fix these and run again"
            )
        return lines


def count(number: int) -> str:
    """A count with thousands separators, as people read it: 1,048,576."""
    return f"{number:,}"


def key_path(path: str, key: object) -> str:
    """The path of a key under path; a name that cannot stand bare is shown quoted."""
    if isinstance(key, str) and is_valid_logical_name(key):
        return f"{path}.{key}" if path else key
    return f"{path or TOP}[{show(key)}]"


def item_path(path: str, index: int) -> str:
    return f"{path}[{index}]"


def show(value: object) -> str:
    """A value as the user wrote it, short and printable, in YAML words (null, true, a list).

    repr() escapes control, bidi and surrogate characters, so a message can always be printed
    and can never reorder or hide the text around it.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value) if len(value) <= _SHOWN else repr(value[: _SHOWN - 3] + "...")
    if isinstance(value, Map):
        return "a mapping"
    if isinstance(value, Seq):
        return "a list"
    if isinstance(value, Opaque | Refused):
        return value.what
    text = str(value)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."


def at(source: str, line: int | None) -> str:
    """`stacks/dev.yaml:7`, or the source alone for entries a program declared (no lines)."""
    return f"{source}:{line}" if line else source
