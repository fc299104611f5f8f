"""A chatbot entry's `checks:` and `checks_file:` keys, checked and read (issue 29).

A checks file holds the list `checks:` holds, in a YAML file of its own beside the stack file.
Its problems start with its own file and line, then name the stack-file line that names it:
`stacks/checks/support.yaml:3: checks[0]... (the chatbots.support.checks_file at
stacks/dev.yaml:9)`.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import yaml

from caigunn_provider.errors import StackFileError
from caigunn_provider.kinds.checks.assertions import regex_problem
from caigunn_provider.kinds.checks.spec import ASSERTIONS, CheckSpec, ChecksSpec
from caigunn_provider.stackfile.checks import keyed, report_refused
from caigunn_provider.stackfile.problems import Problems, count, item_path, show
from caigunn_provider.stackfile.rules import MAX_FILE_BYTES, bad_character, describe_character
from caigunn_provider.stackfile.source import check_outside_values, line_starts, read_text
from caigunn_provider.stackfile.values import check_relative_path, check_string
from caigunn_provider.stackfile.yamlerrors import explain
from caigunn_provider.stackfile.yamltree import Document, Entry, Item, Map, Seq, TooLarge, parse

__all__ = [
    "CHECKS_KEYS",
    "CHECK_KEYS",
    "LIST_ASSERTIONS",
    "MAX_ASK_LENGTH",
    "MAX_CHECKS",
    "MAX_CHECKS_FILE_BYTES",
    "MAX_REPEAT",
    "check_checks",
]

# The chatbot-entry keys this kind owns (kinds/checks/kind.py registers them), and an item's.
CHECKS_KEYS = ("checks", "checks_file")
CHECK_KEYS = ("ask", "expect", "repeat", "min_pass")
# Every check is a conversation with the chatbot, each repeat one more: this keeps a round of
# checks to a thousand messages at most.
MAX_CHECKS = 100
MAX_REPEAT = 10
# Long enough for any question a user asks a chatbot; a stray paste of a document is not one.
MAX_ASK_LENGTH = 2000
# A checks file is read like a stack file, with its size limit.
MAX_CHECKS_FILE_BYTES = MAX_FILE_BYTES
# The assertions whose value is a non-empty list of strings; max_chars takes a count, and the
# others one string.
LIST_ASSERTIONS = ("contains_any", "icontains_any", "contains_all", "icontains_all")
_COUNTED = ("max_chars",)
_PATTERNS = ("regex", "not_regex")
_ROOT = "checks"
_LIST_HINT = "a list of checks such as `- ask: <question>` with its `expect:`"


@dataclass(frozen=True)
class _Found:
    """The checks of one list as read: how many items it holds, and those that are valid."""

    written: int
    checks: tuple[CheckSpec, ...]


_NONE = _Found(0, ())
# A checks file that several entries name is read once a load, and its problems said once: the
# loader's Problems stands for the load (one per stack file read).
_FILES: weakref.WeakKeyDictionary[Problems, dict[str, _Found]] = weakref.WeakKeyDictionary()


def check_checks(
    fields: Mapping[str, Entry], path: str, base_dir: str, problems: Problems
) -> ChecksSpec | None:
    """The entry's checks, those of `checks:` first, then those of its `checks_file`; None when
    it declares neither key.

    Every problem is added to problems, each at its line; a caller that sees new problems
    discards the result.
    """
    inline, in_file = fields.get("checks"), fields.get("checks_file")
    first = inline if inline is not None else in_file
    if first is None:
        return None
    here, there = _NONE, _NONE
    if inline is not None:
        here = _inline(inline, f"{path}.checks", problems, alone=in_file is None)
    if in_file is not None:
        there = _from_file(in_file, f"{path}.checks_file", base_dir, problems)
    if here.written + there.written > MAX_CHECKS:
        problems.add(first.key_line, f"{path}.{first.key}", _too_many(here, there))
    return ChecksSpec(
        checks=here.checks + there.checks,
        line=first.key_line,
        lines={str(entry.key): entry.key_line for entry in (inline, in_file) if entry is not None},
    )


def _too_many(here: _Found, there: _Found) -> str:
    counts = [
        f"{count(found.written)} {where}"
        for found, where in ((here, "under checks"), (there, "in its checks_file"))
        if found.written
    ]
    return (
        f"{count(here.written + there.written)} checks ({' and '.join(counts)}); an entry may "
        f"have at most {count(MAX_CHECKS)}, each asked whenever its model or prompt changes"
    )


# --- a list of checks ----------------------------------------------------------------------------


def _inline(entry: Entry, path: str, problems: Problems, *, alone: bool) -> _Found:
    """The checks under `checks:`; alone says there is no checks_file to hold the others."""
    if not isinstance(entry.value, Seq):
        problems.add(entry.value_line, path, f"must be {_LIST_HINT} (got {show(entry.value)})")
        return _NONE
    if alone and not entry.value.items:
        problems.add(
            entry.value_line,
            path,
            f"no checks: write {_LIST_HINT}, or remove the key for an entry without checks",
        )
    # The stack file's name is not known here: an inline check's `where` is its line.
    return _check_list(entry.value, path, "line ", problems)


def _check_list(items: Seq, path: str, shown: str, problems: Problems) -> _Found:
    """Each item checked; shown is what goes before a check's line in its `where`."""
    checks = [
        _check_item(item, item_path(path, index), shown, problems)
        for index, item in enumerate(items.items)
    ]
    return _Found(len(items.items), tuple(check for check in checks if check is not None))


def _check_item(item: Item, path: str, shown: str, problems: Problems) -> CheckSpec | None:
    if not isinstance(item.value, Map):
        problems.add(
            item.line, path, f"expected a mapping with ask and expect (got {show(item.value)})"
        )
        return None
    before = len(problems)
    fields = keyed(item.value, path, CHECK_KEYS, problems)
    ask = _ask(fields.get("ask"), path, item.line, problems)
    expect = _expect(fields.get("expect"), path, item.line, problems)
    repeat = _repeat(fields.get("repeat"), f"{path}.repeat", problems)
    min_pass = _min_pass(
        fields.get("min_pass"), f"{path}.min_pass", fields.get("repeat"), repeat, problems
    )
    if len(problems) > before or ask is None or expect is None or repeat is None:
        return None
    return CheckSpec(
        ask=ask,
        expect=expect,
        repeat=repeat,
        min_pass=min_pass or repeat,
        where=f"{shown}{item.line}",
    )


def _ask(entry: Entry | None, path: str, line: int, problems: Problems) -> str | None:
    if entry is None:
        problems.add(line, f"{path}.ask", "missing: the question to ask the chatbot (required)")
        return None
    where = f"{path}.ask"
    text = _prose(entry.value, entry.value_line, where, problems)
    if text is not None and len(text) > MAX_ASK_LENGTH:
        problems.add(
            entry.value_line,
            where,
            f"must be at most {count(MAX_ASK_LENGTH)} characters (got {count(len(text))})",
        )
        return None
    return text


def _repeat(entry: Entry | None, path: str, problems: Problems) -> int | None:
    """How many times the question is asked: 1 when not given; None when wrong."""
    if entry is None:
        return 1
    return _whole(entry, path, MAX_REPEAT, problems)


def _min_pass(
    entry: Entry | None, path: str, repeat: Entry | None, times: int | None, problems: Problems
) -> int | None:
    """How many answers must hold: None when not given (every one) or wrong."""
    if entry is None:
        return None
    # Against a wrong repeat, only the widest range can be checked.
    value = _whole(entry, path, MAX_REPEAT, problems)
    if value is None or times is None or value <= times:
        return value
    what = f"must be at most the check's repeat, {times} (got {value})"
    if repeat is None:
        what = (
            f"must be at most the check's repeat, 1 when not given (got {value}); add `repeat:` "
            "to ask the question more than once"
        )
    problems.add(entry.value_line, path, what)
    return None


def _whole(entry: Entry, path: str, most: int, problems: Problems) -> int | None:
    value = entry.value
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= most:
        return value
    problems.add(
        entry.value_line, path, f"must be a whole number from 1 to {most} (got {show(value)})"
    )
    return None


# --- what the answer must satisfy ----------------------------------------------------------------


def _expect(entry: Entry | None, path: str, line: int, problems: Problems) -> dict[str, Any] | None:
    where = f"{path}.expect"
    if entry is None:
        problems.add(line, where, f"missing: what the answer must satisfy, such as {_EXAMPLE}")
        return None
    if not isinstance(entry.value, Map) or not entry.value.entries:
        problems.add(
            entry.value_line,
            where,
            f"must be a mapping of one or more assertions, such as {_EXAMPLE} (got "
            f"{show(entry.value)})",
        )
        return None
    assertions = keyed(entry.value, where, ASSERTIONS, problems)
    return {key: _assertion(found, f"{where}.{key}", problems) for key, found in assertions.items()}


_EXAMPLE = '`icontains: "30 days"`'


def _assertion(entry: Entry, path: str, problems: Problems) -> Any:
    """One assertion's value, checked; None when it is wrong (a problem says so)."""
    key = str(entry.key)
    if key in _COUNTED:
        value = entry.value
        if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
            return value
        problems.add(
            entry.value_line, path, f"must be a whole number of 1 or more (got {show(value)})"
        )
        return None
    if key in LIST_ASSERTIONS:
        return _strings(entry, path, problems)
    text = _prose(entry.value, entry.value_line, path, problems)
    if text is not None and key in _PATTERNS:
        what = regex_problem(text)
        if what is not None:
            problems.add(entry.value_line, path, what)
            return None
    return text


def _strings(entry: Entry, path: str, problems: Problems) -> list[str] | None:
    if not isinstance(entry.value, Seq) or not entry.value.items:
        got = "an empty list" if isinstance(entry.value, Seq) else show(entry.value)
        problems.add(entry.value_line, path, f"must be a non-empty list of strings (got {got})")
        return None
    texts = [
        _prose(item.value, item.line, item_path(path, index), problems)
        for index, item in enumerate(entry.value.items)
    ]
    found = [text for text in texts if text is not None]
    return found if len(found) == len(texts) else None


def _prose(value: object, line: int, path: str, problems: Problems) -> str | None:
    """A non-blank string with the characters a prompt may hold."""
    text = check_string(value, line, path, problems)
    if text is None:
        return None
    if not text.strip():
        problems.add(
            line, path, "must not be empty" if not text else f"must not be blank (got {show(text)})"
        )
        return None
    bad = bad_character(text, multiline=True)
    if bad is not None:
        index, kind = bad
        at = len([start for start in line_starts(text) if start <= index])
        problems.add(
            line,
            path,
            f"must not contain {describe_character(text[index])}, {kind}, found at line {at}",
        )
        return None
    return text


# --- the checks file -----------------------------------------------------------------------------


def _from_file(entry: Entry, path: str, base_dir: str, problems: Problems) -> _Found:
    """The checks of the entry's checks_file (its valid ones when it holds problems, which are
    added once a load)."""
    relative = check_relative_path(entry, path, problems, slashes_only=True)
    if relative is None:
        return _NONE
    # `./checks.yaml` and `checks.yaml` are one file, read once.
    location = os.path.join(base_dir, str(PurePosixPath(relative)))
    if not _readable(location, base_dir, entry.value_line, path, problems):
        return _NONE
    read = _FILES.setdefault(problems, {})
    if location in read:
        return read[location]
    found = read[location] = _load(location, entry.value_line, path, problems)
    return found


def _readable(location: str, base_dir: str, line: int, path: str, problems: Problems) -> bool:
    """The path rules of a knowledge `text_file`: inside the folder, a file, not too big."""
    real_base = os.path.realpath(base_dir or ".")
    try:
        if os.path.commonpath([real_base, os.path.realpath(location)]) != real_base:
            what = f"{location} leads outside the stack file's folder (a symbolic link?)"
        elif not os.path.exists(location):
            what = f"no such file: {location}"
        elif not os.path.isfile(location):
            what = f"not a regular file: {location}"
        elif os.path.getsize(location) > MAX_CHECKS_FILE_BYTES:
            what = (
                f"{location} is too big: a checks file may be at most "
                f"{count(MAX_CHECKS_FILE_BYTES)} bytes (1 MiB)"
            )
        else:
            return True
    except OSError as exc:
        what = f"cannot read {location}: {exc.strerror or exc}"
    problems.add(line, path, what)
    return False


def _load(location: str, line: int, path: str, problems: Problems) -> _Found:
    """The file's checks, its own problems (`file:line: what`) added at the stack file's line."""
    own = Problems()
    found = _NONE
    try:
        document = _parse(read_text(location, location), location)
    except StackFileError as exc:
        said = exc.problems
    else:
        report_refused(document.root, document.line, _ROOT, own)
        if not own:
            found = _root(document, location, own)
        said = own.render(location)
    if not said and not found.written:
        said = [f"no checks: {location} holds none; write {_LIST_HINT}"]
    for problem in said:
        if problem.startswith(f"{location}:"):
            # The file's own line first, so that an editor jumps there; then who names it.
            problems.add_elsewhere(line, f"{problem} (the {path} at {{at}})")
        else:
            problems.add(line, path, problem)
    return found


def _parse(text: str, location: str) -> Document:
    """The file's YAML; StackFileError with one problem, at its line, when it is not YAML."""
    try:
        document = parse(text)
    except TooLarge as exc:
        raise StackFileError(
            [f"{location}:{exc.line}: {exc.what}; it was not read further"]
        ) from exc
    except yaml.MarkedYAMLError as exc:
        explained = explain(text, exc)
        mark = exc.problem_mark or exc.context_mark
        where = explained.line + 1 if explained is not None else (mark.line + 1 if mark else None)
        what = explained.what if explained is not None else exc.problem or exc.context
        at = f"{location}:{where}" if where is not None else location
        raise StackFileError([f"{at}: invalid YAML: {what or 'unreadable'}"]) from exc
    except yaml.YAMLError as exc:
        raise StackFileError([f"{location}: invalid YAML: {exc}"]) from exc
    problems = Problems()
    check_outside_values(text, document.scalar_spans, problems)
    if problems:
        raise StackFileError(problems.render(location))
    return document


def _root(document: Document, location: str, problems: Problems) -> _Found:
    if document.root is None:
        return _NONE
    if not isinstance(document.root, Seq):
        problems.add(
            document.line,
            _ROOT,
            f"the file must hold {_LIST_HINT}, as under an entry's `checks:` (got "
            f"{show(document.root)})",
        )
        return _NONE
    return _check_list(document.root, _ROOT, f"{location}:", problems)
