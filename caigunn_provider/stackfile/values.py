"""Checks of single values (strings, one-line texts, UUIDs, booleans), reported with lines."""

from __future__ import annotations

from pathlib import PurePosixPath

from caigunn_provider.ids import canonical_id
from caigunn_provider.stackfile.problems import Problems, count, show
from caigunn_provider.stackfile.rules import bad_character, describe_character
from caigunn_provider.stackfile.yamltree import Entry

__all__ = [
    "check_bool",
    "check_relative_path",
    "check_string",
    "check_text",
    "check_uuid",
    "in_file_order",
    "must_be_string",
]


def must_be_string(value: object) -> str:
    """The wording for a value that should have been a string."""
    # YAML reads 2024, 1.5 and true as non-strings; quoting is the fix users look for.
    quote = "; put it in quotes" if isinstance(value, bool | int | float) else ""
    return f"must be a string (got {show(value)}){quote}"


def check_string(value: object, line: int, path: str, problems: Problems) -> str | None:
    if isinstance(value, str):
        return value
    problems.add(line, path, must_be_string(value))
    return None


def check_text(
    value: object, line: int, path: str, problems: Problems, *, max_length: int
) -> str | None:
    """A one-line text such as a title: non-empty, printable, no stray whitespace, not too long."""
    text = check_string(value, line, path, problems)
    if text is None:
        return None
    what = text_problem(text, max_length)
    if what is not None:
        problems.add(line, path, what)
        return None
    return text


def text_problem(text: str, max_length: int) -> str | None:
    if not text:
        return "must not be empty"
    if len(text) > max_length:
        return f"must be at most {max_length} characters (got {count(len(text))})"
    bad = bad_character(text, multiline=False)
    if bad is not None:
        index, kind = bad
        return f"must not contain {describe_character(text[index])}, {kind} (got {show(text)})"
    if text.isspace():
        return f"must not be blank (got {show(text)})"
    if text != text.strip():
        # Not trimmed silently: ' Support' and 'Support' are different titles to CaiGunn.
        return f"must not start or end with whitespace (got {show(text)})"
    return None


def check_uuid(value: object, line: int, path: str, problems: Problems) -> str | None:
    """A canonical UUID, in lower case (ids.canonical_id is the one rule)."""
    canonical = canonical_id(value)
    if canonical is not None:
        return canonical
    hint = ""
    if isinstance(value, str) and value != value.strip() and canonical_id(value.strip()):
        hint = "; remove the whitespace around it"
    problems.add(line, path, f"not a UUID (got {show(value)}){hint}")
    return None


def in_file_order(fields: dict[str, Entry], one: Entry, other: Entry) -> tuple[Entry, Entry]:
    """Two entries of one mapping, the one written first first (both may share a line)."""
    order = list(fields)
    return (one, other) if order.index(str(one.key)) < order.index(str(other.key)) else (other, one)


def check_bool(entry: Entry, path: str, problems: Problems) -> bool | None:
    if isinstance(entry.value, bool):
        return entry.value
    problems.add(entry.value_line, path, f"must be true or false (got {show(entry.value)})")
    return None


def check_relative_path(
    entry: Entry, path: str, problems: Problems, *, slashes_only: bool = False
) -> str | None:
    """A file path as written, relative to the stack file's folder and inside it.

    slashes_only also refuses a backslash or a drive, so that one path names one file on every
    machine (and one resource name).
    """
    value = check_string(entry.value, entry.value_line, path, problems)
    if value is None:
        return None
    why = None
    relative = PurePosixPath(value)
    if not value:
        why = "must not be empty"
    elif bad_character(value, multiline=False) is not None or value != value.strip():
        why = (
            "must be a file path without control characters or surrounding whitespace "
            f"(got {show(value)})"
        )
    elif slashes_only and (value.startswith("/") or "\\" in value or relative.drive):
        why = f"must be a path relative to the stack file's folder, with '/' (got {show(value)})"
    elif value.startswith("/"):
        why = f"must be a path relative to the stack file's folder (got {show(value)})"
    elif ".." in relative.parts:
        why = f"must not leave the stack file's folder with '..' (got {show(value)})"
    if why is not None:
        problems.add(entry.value_line, path, why)
        return None
    return value
