"""How results are shown: aligned tables for people, JSON for scripts, progress on stderr."""

from __future__ import annotations

import json
import sys
import unicodedata
from collections.abc import Sequence
from typing import TextIO

# Titles may be 255 characters long; a table column stops here and JSON keeps the whole title.
MAX_CELL = 48
ELLIPSIS = "…"


def print_json(value: object, stream: TextIO | None = None) -> None:
    """value as indented JSON; non-ASCII titles stay readable."""
    out = stream or sys.stdout
    out.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def print_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], stream: TextIO | None = None
) -> None:
    """Columns aligned by display width (CJK characters take two columns), no borders."""
    out = stream or sys.stdout
    cells = [[cell_text(cell) for cell in row] for row in rows]
    widths = [width(header) for header in headers]
    for row in cells:
        widths = [max(current, width(cell)) for current, cell in zip(widths, row, strict=True)]
    for row in [list(headers), *cells]:
        padded = [cell + " " * (size - width(cell)) for cell, size in zip(row, widths, strict=True)]
        out.write("  ".join(padded).rstrip() + "\n")


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """'1 chatbot', '2 chatbots'."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def cell_text(text: str, limit: int = MAX_CELL) -> str:
    """text for one table cell: control characters escaped, cut to limit display columns."""
    shown = "".join(char if char.isprintable() else _escape(char) for char in text)
    if width(shown) <= limit:
        return shown
    cut = ""
    for char in shown:
        if width(cut + char) > limit - 1:
            break
        cut += char
    return cut + ELLIPSIS


def width(text: str) -> int:
    """Terminal columns text takes: wide East Asian characters two, combining marks none."""
    total = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        total += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return total


def _escape(char: str) -> str:
    # A title holding a line break or an escape sequence must not break or recolour the table.
    return char.encode("unicode_escape").decode("ascii")


class Progress:
    """`reading the chatbot list: N so far` (or `N of M`) on stderr while a command reads."""

    def __init__(self, enabled: bool | None, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        # Asked for with --progress on a non-terminal: one line per page, since \r would pile up.
        self.enabled = self._tty if enabled is None else enabled
        self._shown = False

    def __call__(self, what: str, done: int, total: int | None = None) -> None:
        if not self.enabled:
            return
        line = f"{what}: {done} so far" if total is None else f"{what}: {done} of {total}"
        if self._tty:
            self._stream.write(f"\r{line}\x1b[K")
        else:
            self._stream.write(line + "\n")
        self._stream.flush()
        self._shown = True

    def done(self) -> None:
        """Clear the progress line, so the table starts on a clean line."""
        if self._shown and self._tty:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
        self._shown = False
