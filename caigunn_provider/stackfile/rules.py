"""The stack file's generic rules: limits, patterns and the characters text may hold.

Each kind's own keys live in its folder (kinds/chatbot/section.py; the settings table is
client/fields.py).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "COLOR_PATTERN",
    "LOGICAL_NAME_PATTERN",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_NAME_LENGTH",
    "MAX_NODES",
    "MAX_PROBLEMS",
    "MAX_PROMPT_FILE_BYTES",
    "MAX_TITLE_LENGTH",
    "ORIGIN_PATTERN",
    "bad_character",
    "describe_character",
    "is_valid_logical_name",
]

# Checked before the file is parsed: a parser's time and memory grow with its input, and a real
# stack file of 1,000 chatbots with settings is a few hundred KiB.
MAX_FILE_BYTES = 1024 * 1024
MAX_PROMPT_FILE_BYTES = 1024 * 1024
# Logical names become Pulumi URNs, output keys and shell arguments; 100 keeps them readable.
MAX_NAME_LENGTH = 100
# CaiGunn documents no limit; 255 is the usual database column and keeps a stray paste out.
MAX_TITLE_LENGTH = 255
# A stack file nests 5 values deep (file, chatbots, entry, list, item); 20 leaves room for a
# mistake to be reported as a wrong type, while a parser's recursion stays far from Python's limit.
MAX_DEPTH = 20
# Reading costs about 70 microseconds a value (PyYAML in pure Python): 1,000 chatbots with every
# setting are 31,000 values and 3 s, and this cap keeps a hostile 1 MiB file (500,000 values,
# 36 s uncapped) to about 7 s.
MAX_NODES = 100_000
# More problems than this are counted, not listed: past it the file is probably not a stack file.
MAX_PROBLEMS = 100

# The patterns are shared with schema/stack-file.schema.json (a test keeps them identical), so
# they use only syntax that Python's re and ECMAScript read alike: explicit classes, no \d or \w.
LOGICAL_NAME_PATTERN = "[A-Za-z0-9][A-Za-z0-9_.-]*"
COLOR_PATTERN = "#[0-9A-Fa-f]{6}"
_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PORT = "(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
ORIGIN_PATTERN = rf"https?://(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9A-Fa-f:.]+\])(?::{_PORT})?"

_LOGICAL_NAME_RE = re.compile(LOGICAL_NAME_PATTERN)

# Bidi embeddings, overrides and isolates (the "Trojan Source" characters) and the marks.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Embeddings, overrides and isolates reorder the text around them; the marks do not.
_BIDI_REORDERING = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Zero-width (non-)joiners shape emoji sequences and several scripts; they stay allowed.
_JOINERS = frozenset("\u200c\u200d")
_CONTROL_NAMES = {
    "\x00": "NUL",
    "\t": "TAB",
    "\n": "LINE FEED",
    "\r": "CARRIAGE RETURN",
    "\x1b": "ESCAPE",
    "\x7f": "DELETE",
}


def is_valid_logical_name(name: object) -> bool:
    """Whether name may be a logical name: letters, digits, '_', '.', '-', at most 100 long."""
    return (
        isinstance(name, str)
        and len(name) <= MAX_NAME_LENGTH
        and _LOGICAL_NAME_RE.fullmatch(name) is not None
    )


def bad_character(text: str, *, multiline: bool) -> tuple[int, str] | None:
    """The first character text may not hold, as (index, what kind), or None.

    A one-line text (a title, a plan name) holds no control, separator, bidi or other invisible
    format character. A multi-line text (a prompt, a first message) may hold tab and newline and
    the invisible characters that real prose uses, but no other control character and nothing
    that reorders text: a reviewer must read what the chatbot gets.
    """
    for index, char in enumerate(text):
        kind = _kind(char, multiline=multiline)
        if kind is not None:
            return index, kind
    return None


def _kind(char: str, *, multiline: bool) -> str | None:
    category = unicodedata.category(char)
    if category == "Cs":
        return "an unpaired surrogate"
    if category == "Cc":
        return None if multiline and char in "\t\n" else "a control character"
    if char in _BIDI_REORDERING or (not multiline and char in _BIDI):
        return "a bidi control character"
    if multiline:
        return None
    if category in ("Zl", "Zp"):
        return "a line separator"
    if category == "Cf" and char not in _JOINERS:
        return "an invisible format character"
    return None


def describe_character(char: str) -> str:
    """U+XXXX and the character's Unicode name where it has one: 'U+202E RIGHT-TO-LEFT OVERRIDE'."""
    name = _CONTROL_NAMES.get(char) or unicodedata.name(char, "")
    code = f"U+{ord(char):04X}"
    return f"{code} {name}" if name else code
