"""The ToyChild kind inside a chatbot entry: `toys:` lists labels, or maps each label to a note;
each label is one ToyChild under the entry's Chatbot, `<entry>/toy:<label>`.

Like every entry kind, its stack-file side loads without Pulumi; declare() imports the resource
when the program runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from caigunn_provider.client import Plan
from caigunn_provider.program.kind import EntryContext
from caigunn_provider.stackfile.fragments import fragment_docs, fragment_schema
from caigunn_provider.stackfile.problems import Problems, at, count, item_path, key_path, show
from caigunn_provider.stackfile.values import check_string, check_text
from caigunn_provider.stackfile.yamltree import Entry, Map, Seq

KEY = "toys"
MAX_LABEL = 40
MAX_NOTE = 80
MAX_TOYS = 250
# A label the plan check refuses, so that a test can prove the kind's limits() runs at preview.
FORBIDDEN = "forbidden"
_LABEL = re.compile(r"[a-z0-9][a-z0-9-]*")
LABEL_RULE = (
    f"a label is 1 to {MAX_LABEL} lower-case letters, digits and '-', starting with a letter or "
    "a digit"
)


def is_label(value: object) -> bool:
    """Whether value is a toy label: it names a resource and goes into a URL path."""
    return isinstance(value, str) and len(value) <= MAX_LABEL and bool(_LABEL.fullmatch(value))


def resource_name(entry: str, label: str) -> str:
    """The ToyChild's logical name: `support/toy:red`."""
    return f"{entry}/toy:{label}"


@dataclass(frozen=True)
class ToyItem:
    """One declared toy: its label, its note ("" when none is given) and its line."""

    label: str
    note: str
    line: int


@dataclass(frozen=True)
class ToyChildSpec:
    """An entry's toys in file order, and the line of its `toys:` key."""

    items: tuple[ToyItem, ...] = ()
    line: int = 0


class ToyChildKind:
    """One ToyChild per label of an entry's `toys:`."""

    name = "toychild"
    keys = (KEY,)
    needs = ("toys",)
    takes: tuple[str, ...] = ()

    def export(self, declared: Mapping[str, Sequence[Any]]) -> None:
        """No stack output."""

    @cached_property
    def schema(self) -> Mapping[str, Any]:
        return fragment_schema(__file__)

    @cached_property
    def docs(self) -> str:
        return fragment_docs(__file__)

    def check(
        self, fields: Mapping[str, Any], path: str, base_dir: str, problems: Problems
    ) -> ToyChildSpec | None:
        entry = fields.get(KEY)
        if entry is None:
            return None
        return _check_toys(entry, f"{path}.{KEY}", problems)

    def limits(self, source: str, name: str, spec: ToyChildSpec, plan: Plan) -> list[str]:
        return [
            f"{at(source, item.line)}: chatbots.{name}.{KEY}: label {FORBIDDEN!r} is not allowed "
            f"on plan {plan.title!r}"
            for item in spec.items
            if item.label == FORBIDDEN
        ]

    def declare(
        self, entry: str, chatbot: Any, spec: ToyChildSpec, opts: Any, context: EntryContext
    ) -> Sequence[Any]:
        from tests.toychild.resource import ToyChild

        return [
            ToyChild(
                resource_name(entry, item.label),
                chatbot_id=chatbot.id,
                label=item.label,
                note=item.note,
                opts=opts,
            )
            for item in spec.items
        ]


def _check_toys(entry: Entry, path: str, problems: Problems) -> ToyChildSpec | None:
    before = len(problems)
    if isinstance(entry.value, Seq):
        found = [
            _check_listed(item.value, item.line, item_path(path, index), problems)
            for index, item in enumerate(entry.value.items)
        ]
        where = [item_path(path, index) for index in range(len(found))]
    elif isinstance(entry.value, Map):
        found = [
            _check_mapped(toy, key_path(path, toy.key), problems) for toy in entry.value.entries
        ]
        where = [key_path(path, toy.key) for toy in entry.value.entries]
    else:
        problems.add(
            entry.value_line,
            path,
            f"expected a list of labels or a mapping from label to note (got {show(entry.value)})",
        )
        return None
    labels: dict[str, int] = {}
    for item, at_path in zip(found, where, strict=True):
        if item is None:
            continue
        if item.label in labels:
            problems.add(
                item.line,
                at_path,
                f"label {item.label!r} is already declared at line {labels[item.label]}",
            )
        else:
            labels[item.label] = item.line
    if len(found) > MAX_TOYS:
        problems.add(
            entry.key_line, path, f"at most {MAX_TOYS} toys per chatbot (got {count(len(found))})"
        )
    if len(problems) > before:
        return None
    items = tuple(item for item in found if item is not None)
    return ToyChildSpec(items=items, line=entry.key_line)


def _check_label(value: object, line: int, path: str, problems: Problems) -> str | None:
    label = check_string(value, line, path, problems)
    if label is None:
        return None
    if not is_label(label):
        problems.add(line, path, f"{LABEL_RULE} (got {show(label)})")
        return None
    return label


def _check_listed(value: object, line: int, path: str, problems: Problems) -> ToyItem | None:
    label = _check_label(value, line, path, problems)
    return None if label is None else ToyItem(label, "", line)


def _check_mapped(toy: Entry, path: str, problems: Problems) -> ToyItem | None:
    label = _check_label(toy.key, toy.key_line, path, problems)
    note: str | None = ""
    if toy.value is not None:
        note = check_text(toy.value, toy.value_line, path, problems, max_length=MAX_NOTE)
    if label is None or note is None:
        return None
    return ToyItem(label, note, toy.key_line)


KIND = ToyChildKind()
