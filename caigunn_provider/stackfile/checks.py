"""The stack file's structure: the top level, its sections' logical names, and known keys."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

from caigunn_provider.stackfile.problems import TOP, Problems, count, item_path, key_path, show
from caigunn_provider.stackfile.rules import MAX_NAME_LENGTH, is_valid_logical_name
from caigunn_provider.stackfile.section import CheckEntry, Section
from caigunn_provider.stackfile.yamltree import Document, Entry, Map, Refused, Seq

__all__ = ["check_root", "keyed", "report_refused"]

# --- YAML features -------------------------------------------------------------------------------


def report_refused(value: object, line: int, path: str, problems: Problems) -> None:
    """Report every alias, tag and merge key in the document, each at its path and line."""
    if isinstance(value, Refused):
        problems.add(
            line, path or TOP, f"{value.what} is not supported in a stack file; {value.fix}"
        )
    elif isinstance(value, Map):
        for entry in value.entries:
            report_refused(entry.key, entry.key_line, path, problems)
            report_refused(entry.value, entry.value_line, key_path(path, entry.key), problems)
    elif isinstance(value, Seq):
        for index, item in enumerate(value.items):
            report_refused(item.value, item.line, item_path(path, index), problems)


# --- the top level -------------------------------------------------------------------------------


def check_root(
    document: Document, base_dir: str, sections: Sequence[Section], problems: Problems
) -> dict[str, dict[str, Any]]:
    """Each section's entries, in file order, of a document whose YAML features are checked."""
    root = document.root
    required = [section for section in sections if section.required]
    keys = tuple(section.key for section in sections)
    if root is None:
        for section in required:
            problems.add(
                1, section.key, f"missing; the file is empty (write `{section.key}: {{}}` for none)"
            )
        return {}
    if not isinstance(root, Map):
        wanted = " and ".join(repr(section.key) for section in required) or repr(keys[0])
        problems.add(
            document.line, TOP, f"expected a mapping with a {wanted} key (got {show(root)})"
        )
        return {}
    top = keyed(root, "", keys, problems)
    found: dict[str, dict[str, Any]] = {}
    for section in sections:
        entry = top.get(section.key)
        if entry is None:
            if section.required:
                problems.add(
                    document.line, section.key, f"missing (write `{section.key}: {{}}` for none)"
                )
            continue
        if not isinstance(entry.value, Map):
            problems.add(
                entry.value_line,
                section.key,
                f"expected a mapping from logical name to {section.noun} (got {show(entry.value)})",
            )
            continue
        if len(entry.value.entries) > section.max_entries:
            problems.add(
                entry.key_line,
                section.key,
                f"{count(len(entry.value.entries))} {section.noun}s; a stack file may declare at "
                f"most {count(section.max_entries)}",
            )
        found[section.key] = _check_entries(
            entry.value, section.key, section.checker(base_dir), problems
        )
    return found


def _check_entries(mapping: Map, key: str, check: CheckEntry, problems: Problems) -> dict[str, Any]:
    specs: dict[str, Any] = {}
    first = keyed(mapping, key, None, problems)
    # A duplicate's body is checked too (every problem in one run); only the first one counts.
    for entry in mapping.entries:
        if isinstance(entry.key, str):
            spec = check(entry.key, entry, problems)
            if spec is not None and first.get(entry.key) is entry:
                specs[entry.key] = spec
    return specs


def keyed(
    mapping: Map, path: str, known: Sequence[str] | None, problems: Problems
) -> dict[str, Entry]:
    """The first entry of each valid key; reports the rest.

    known=None means the keys are logical names (a section's mapping), not fixed keys.
    """
    first: dict[str, Entry] = {}
    where = path or TOP
    noun = "logical name" if known is None else "key"
    for entry in mapping.entries:
        key = entry.key
        if not isinstance(key, str):
            problems.add(entry.key_line, where, f"{noun} must be a string (got {show(key)})")
            continue
        if key in first:
            problems.add(
                entry.key_line,
                key_path(path, key),
                f"duplicate {noun} (first at line {first[key].key_line})",
            )
            continue
        if known is None:
            # A bad name is reported, but its chatbot is still checked: every problem in one run.
            _check_name(key, entry.key_line, path, problems)
        elif key not in known:
            problems.add(entry.key_line, where, _unknown_key(key, known))
            continue
        first[key] = entry
    return first


def _check_name(name: str, line: int, section: str, problems: Problems) -> None:
    if is_valid_logical_name(name):
        return
    if not name:
        what = "must not be empty"
    elif len(name) > MAX_NAME_LENGTH:
        what = f"is {count(len(name))} characters long; at most {MAX_NAME_LENGTH} are allowed"
    else:
        what = (
            "is not valid: use letters, digits, '_', '.' and '-', starting with a letter or digit"
        )
    problems.add(
        line, section, f"logical name {show(name)} {what}" if name else f"logical name {what}"
    )


def _unknown_key(key: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(key[:100], known, n=1, cutoff=0.6)
    if close:
        return f"unknown key {show(key)} (did you mean {close[0]!r}?)"
    return f"unknown key {show(key)} (known keys: {', '.join(known)})"
