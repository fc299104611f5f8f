"""Loads and validates a stack file; every problem is reported, as file:line: path: what."""

from __future__ import annotations

import os
from collections.abc import Sequence

import yaml

from caigunn_provider.errors import StackFileError
from caigunn_provider.stackfile.checks import check_root, report_refused
from caigunn_provider.stackfile.model import StackFile
from caigunn_provider.stackfile.problems import Problems
from caigunn_provider.stackfile.rules import MAX_NAME_LENGTH
from caigunn_provider.stackfile.section import Section
from caigunn_provider.stackfile.source import check_outside_values, read_text
from caigunn_provider.stackfile.yamlerrors import excerpt, explain
from caigunn_provider.stackfile.yamltree import Document, TooLarge, parse

__all__ = ["load_stack_file"]

# Past this column a YAML key cannot stand on one line (the spec's 1024-character limit).
_MAX_KEY_COLUMN = 1024


def load_stack_file(path: str | os.PathLike[str], sections: Sequence[Section]) -> StackFile:
    """Read and check a stack file; StackFileError lists every problem found, one per line.

    sections are the top-level keys the file may hold, each a resource kind's (every registered
    kind's: caigunn_provider.kinds.load_stack_file passes them).

    The checks run in stages, and a stage's problems stop the next: the file's bytes (size,
    encoding, characters), then its YAML syntax, then YAML features a stack file refuses
    (aliases, tags, merge keys), then the content. Within a stage every problem is reported.
    """
    shown = os.fspath(path)
    text = read_text(path, shown)
    document = _parse(text, shown)
    problems = Problems()
    report_refused(document.root, document.line, "", problems)
    if not problems:
        check_outside_values(text, document.scalar_spans, problems)
        found = check_root(document, os.path.dirname(shown), sections, problems)
    if problems:
        raise StackFileError(problems.render(shown))
    return StackFile(path=shown, sections=found)


def _parse(text: str, shown: str) -> Document:
    try:
        return parse(text)
    except TooLarge as exc:
        raise StackFileError([f"{shown}:{exc.line}: {exc.what}; it was not read further"]) from exc
    except yaml.MarkedYAMLError as exc:
        raise StackFileError(_yaml_problem(shown, text, exc)) from exc
    except yaml.YAMLError as exc:
        raise StackFileError([f"{shown}: invalid YAML: {exc}"]) from exc


def _yaml_problem(shown: str, text: str, exc: yaml.MarkedYAMLError) -> list[str]:
    """One problem: the likely mistake in plain words, then its line with a caret under it."""
    mark = exc.problem_mark or exc.context_mark
    if (
        mark is not None
        and mark.column >= _MAX_KEY_COLUMN
        and text[mark.index : mark.index + 1] == ":"
    ):
        # PyYAML's own words ("mapping values are not allowed here") hide the cause.
        return [
            f"{shown}:{mark.line + 1}: invalid YAML: a key longer than {_MAX_KEY_COLUMN} "
            f"characters, which YAML cannot read on one line (a logical name may have at most "
            f"{MAX_NAME_LENGTH})"
        ]
    explained = explain(text, exc)
    if explained is not None:
        where = f"{shown}:{explained.line + 1}"
        return [
            f"{where}: invalid YAML: {explained.what}",
            *excerpt(text, explained.line, explained.column),
        ]
    where = f"{shown}:{mark.line + 1}" if mark is not None else shown
    what = exc.problem or exc.context or "unreadable"
    if exc.problem and exc.context and exc.problem.startswith("but "):
        # The composer splits one sentence: "expected a single document" / "but found another".
        what = f"{exc.context}, {exc.problem}"
    elif exc.problem and exc.context:
        at = f" at line {exc.context_mark.line + 1}" if exc.context_mark is not None else ""
        what = f"{exc.problem} ({exc.context}{at})"
    shown_at = [] if mark is None else excerpt(text, mark.line, mark.column)
    return [f"{where}: invalid YAML: {what}", *shown_at]
