"""A stack file's bytes to text: size limit first, UTF-8 only, and characters YAML cannot hold."""

from __future__ import annotations

import bisect
import os
import re

from caigunn_provider.errors import StackFileError
from caigunn_provider.stackfile.problems import Problems, count
from caigunn_provider.stackfile.rules import MAX_FILE_BYTES, describe_character

__all__ = ["check_outside_values", "line_starts", "read_text"]

_BOMS = (
    # UTF-32 first: its little-endian mark begins with UTF-16's.
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
# What YAML refuses outright (C0 but tab and line breaks, DEL, C1 but NEL, U+FFFE/U+FFFF)...
_UNPRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
# ...and the line breaks that YAML 1.1 (PyYAML) counts and YAML 1.2 (editors) does not, so that
# every tool agrees on the line numbers.
_ODD_BREAKS = re.compile("[\x85\u2028\u2029]")
_REFUSED = re.compile(f"{_UNPRINTABLE.pattern}|{_ODD_BREAKS.pattern}")
# Bidi embeddings, overrides and isolates: outside a value they can only hide text from review.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_BREAK = re.compile("\r\n|\r|\n")


def read_text(path: str | os.PathLike[str], shown: str) -> str:
    """The file's text; StackFileError when it is unreadable, too big, not UTF-8 or holds NULs."""
    raw = _read(path, shown)
    text = _decode(raw, shown)
    problems = Problems()
    starts = line_starts(text)
    for match in _REFUSED.finditer(text):
        char = match.group()
        line, column = _position(starts, match.start())
        why = (
            "which some YAML readers take for a line break and others do not; use a newline, "
            "or an escape in double quotes"
            if _ODD_BREAKS.fullmatch(char)
            else "a character YAML does not allow (a stack file is text: no control characters "
            "but tab and newline)"
        )
        problems.add(line, f"column {column}", f"the file holds {describe_character(char)}, {why}")
    if problems:
        raise StackFileError(problems.render(shown))
    return text


def _read(path: str | os.PathLike[str], shown: str) -> bytes:
    try:
        with open(path, "rb") as stream:
            # One byte past the limit tells "too big" without reading a huge file into memory.
            raw = stream.read(MAX_FILE_BYTES + 1)
            size = os.fstat(stream.fileno()).st_size
    except FileNotFoundError as exc:
        raise StackFileError(
            [
                f"{shown}: file not found; create it (the smallest is `chatbots: {{}}`, the "
                "README's first example declares one chatbot), or select the stack it is for "
                "with `pulumi stack select`"
            ]
        ) from exc
    except OSError as exc:
        raise StackFileError([f"{shown}: cannot read the file: {exc.strerror or exc}"]) from exc
    if len(raw) > MAX_FILE_BYTES:
        # A pipe or device has no size; then all that is known is that it is over the limit.
        found = f"{count(size)} bytes" if size > MAX_FILE_BYTES else "more than that"
        raise StackFileError(
            [
                f"{shown}: the file is too big: a stack file may be at most "
                f"{count(MAX_FILE_BYTES)} bytes (1 MiB) and this one is {found}; "
                "it was not read, so no line can be given"
            ]
        )
    return raw


def _decode(raw: bytes, shown: str) -> str:
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            raise StackFileError(
                [_not_utf8(shown, f"{encoding} text (it starts with a {encoding} byte-order mark)")]
            )
    if _looks_like_utf16(raw):
        raise StackFileError([_not_utf8(shown, "UTF-16 text (every other byte is NUL)")])
    try:
        # A UTF-8 byte-order mark is harmless and some Windows editors write one.
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise StackFileError(
            [f"{shown}:{line}: the file is not UTF-8 text ({exc.reason})"]
        ) from exc


def _not_utf8(shown: str, what: str) -> str:
    return (
        f"{shown}: the file is {what}, not UTF-8; save it as UTF-8, which git diffs as text "
        "(no line: the file was not decoded)"
    )


def _looks_like_utf16(raw: bytes) -> bool:
    # ASCII text in UTF-16 has a NUL in every high byte; one stray NUL in UTF-8 text does not.
    if len(raw) < 4:
        return False
    evens, odds = raw[0::2], raw[1::2]
    return evens.count(0) * 2 > len(evens) or odds.count(0) * 2 > len(odds)


def line_starts(text: str) -> list[int]:
    """The offset at which each line starts, counting line breaks as YAML does."""
    return [0, *(match.end() for match in _BREAK.finditer(text))]


def _position(starts: list[int], index: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line = bisect.bisect_right(starts, index)
    return line, index - starts[line - 1] + 1


def check_outside_values(text: str, spans: list[tuple[int, int]], problems: Problems) -> None:
    """Report bidi controls in comments and between values (inside a value its check reports)."""
    starts = line_starts(text) if _BIDI.search(text) else []
    for match in _BIDI.finditer(text):
        index = match.start()
        inside = bisect.bisect_right(spans, (index, len(text))) - 1
        if inside >= 0 and spans[inside][0] <= index < spans[inside][1]:
            continue
        line, column = _position(starts, index)
        problems.add(
            line,
            f"column {column}",
            f"the file holds {describe_character(match.group())}, a bidi control character, "
            "outside any value (in a comment?): it can make the file read differently in "
            "review than it runs",
        )
