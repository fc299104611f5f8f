"""YAML 1.2 read into a tree that keeps every key, duplicate and line; aliases and odd tags refused.

PyYAML reads YAML 1.1, where `yes`, `no`, `on` and `off` are booleans, `2024-01-01` is a date and
`017` is octal. Editors (the YAML language server) read YAML 1.2, so this loader resolves plain
scalars by the YAML 1.2 core schema: what the schema checks in the editor is what runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from caigunn_provider.stackfile.rules import MAX_DEPTH, MAX_NODES

__all__ = ["Document", "Entry", "Item", "Map", "Opaque", "Refused", "Seq", "TooLarge", "parse"]

_CORE = "tag:yaml.org,2002:"
_MERGE = _CORE + "merge"
_REFUSED = "tag:caigunn,2025:refused"
# The explicit tags a stack file may use: !!str forces a string; !!map and !!seq change nothing.
_ALLOWED_TAGS = {
    (_CORE + "str", ScalarNode),
    (_CORE + "map", MappingNode),
    (_CORE + "seq", SequenceNode),
}
_ALIAS_FIX = "write the value out where it is used"
_TAG_FIX = "remove the tag (the only tags allowed are !!str, !!map and !!seq)"
# int() of a longer digit string is refused by Python (sys.get_int_max_str_digits) or slow.
_MAX_DIGITS = 1000


class Entry(NamedTuple):
    """One key of a mapping as written, with the lines of the key and of its value."""

    key: object
    key_line: int
    value: object
    value_line: int


class Item(NamedTuple):
    """One item of a list, with its line."""

    value: object
    line: int


@dataclass
class Map:
    """A YAML mapping as written: every entry in order, duplicates kept (dict would drop them)."""

    entries: list[Entry]
    line: int


@dataclass
class Seq:
    """A YAML list, each item with its line."""

    items: list[Item]
    line: int


@dataclass(frozen=True)
class Refused:
    """A YAML feature this loader refuses (alias, tag, merge key), described for a message."""

    what: str
    fix: str


@dataclass(frozen=True)
class Opaque:
    """A value kept only as a description, such as a number too long to convert."""

    what: str


@dataclass
class Document:
    """The single document's value, the line it starts on, and where its scalars stand."""

    root: object
    line: int
    # (start, end) character offsets of every scalar, so text outside values can be told apart.
    scalar_spans: list[tuple[int, int]] = field(default_factory=list)


class TooLarge(Exception):
    """The document nests too deep or holds too many values; line is where a limit was crossed."""

    def __init__(self, line: int, what: str) -> None:
        self.line = line
        self.what = what
        super().__init__(f"line {line}: {what}")


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader with YAML 1.2 core types, a depth limit, refused aliases and tags."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.depth = 0
        self.nodes = 0
        self.scalar_spans: list[tuple[int, int]] = []

    def compose_node(self, parent: Node | None, index: object) -> Node:
        if self.check_event(yaml.AliasEvent):
            # Refused rather than expanded: no alias bomb, no recursive value, and every value
            # is written where its entry is, so a reviewer reads each entry on its own.
            event = self.get_event()  # type: ignore[no-untyped-call]
            return _refused(f"an alias (*{_clip(event.anchor)})", _ALIAS_FIX, event)
        event = self.peek_event()  # type: ignore[no-untyped-call]
        self.nodes += 1
        if self.depth >= MAX_DEPTH:
            raise TooLarge(
                event.start_mark.line + 1,
                f"the YAML nests more than {MAX_DEPTH} levels deep here (a stack file needs 5)",
            )
        if self.nodes > MAX_NODES:
            raise TooLarge(
                event.start_mark.line + 1,
                f"the file holds more than {MAX_NODES:,} YAML values by here (1,000 chatbots with "
                "every setting need about 31,000)",
            )
        # Anchors only serve aliases, which are refused, so a repeated anchor is no error.
        self.anchors.clear()
        self.depth += 1
        try:
            node = super().compose_node(parent, index)  # type: ignore[arg-type]
        finally:
            self.depth -= 1
        assert node is not None  # an event was peeked, so there is a node
        if isinstance(node, ScalarNode):
            self.scalar_spans.append((node.start_mark.index, node.end_mark.index))
        tag = getattr(event, "tag", None)
        if tag not in (None, "!") and (tag, type(node)) not in _ALLOWED_TAGS:
            shown = tag.replace(_CORE, "!!", 1) if tag.startswith(_CORE) else tag
            return _refused(f"a tag ({_clip(shown)!r})", _TAG_FIX, event, node.end_mark)
        return node


# Its own table, not SafeLoader's YAML 1.1 one (add_implicit_resolver copies only when absent).
_Loader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+.0123456789",
    ),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    # Not a YAML 1.2 type: resolved so that a merge key can be refused by name.
    ("merge", r"^<<$", "<"),
):
    _Loader.add_implicit_resolver(_CORE + _tag, re.compile(_pattern), list(_first))


def _refused(what: str, fix: str, event: yaml.Event, end_mark: object = None) -> ScalarNode:
    # The node's value carries both texts to the constructor, which splits them again.
    text = f"{what}\n{fix}"
    return ScalarNode(_REFUSED, text, event.start_mark, end_mark or event.end_mark)  # type: ignore[arg-type]


def _clip(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _construct_map(loader: _Loader, node: MappingNode) -> Map:
    entries = []
    for key_node, value_node in node.value:
        key = (
            # Merge semantics (later keys win) would hide the duplicates this loader exists to find.
            Refused("a merge key ('<<')", "write the keys out in this mapping")
            if key_node.tag == _MERGE
            else loader.construct_object(key_node, deep=True)
        )
        value = loader.construct_object(value_node, deep=True)
        entries.append(Entry(key, _line(key_node), value, _line(value_node)))
    return Map(entries, _line(node))


def _construct_seq(loader: _Loader, node: SequenceNode) -> Seq:
    items = [Item(loader.construct_object(child, deep=True), _line(child)) for child in node.value]
    return Seq(items, _line(node))


def _construct_int(loader: _Loader, node: ScalarNode) -> int | Opaque:
    text = str(loader.construct_scalar(node))
    if len(text) > _MAX_DIGITS:
        return Opaque(f"a number of {len(text):,} digits")
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text)  # YAML 1.2: a leading zero is decimal, not octal


def _construct_refused(loader: _Loader, node: ScalarNode) -> Refused:
    what, _, fix = str(node.value).partition("\n")
    return Refused(what, fix)


def _construct_merge_value(loader: _Loader, node: ScalarNode) -> str:
    # '<<' is a merge key only as a key (refused in _construct_map); as a value it is text.
    return str(loader.construct_scalar(node))


_Loader.add_constructor(_CORE + "map", _construct_map)
_Loader.add_constructor(_CORE + "seq", _construct_seq)
_Loader.add_constructor(_CORE + "int", _construct_int)
_Loader.add_constructor(_REFUSED, _construct_refused)
_Loader.add_constructor(_MERGE, _construct_merge_value)


def parse(text: str) -> Document:
    """The single YAML document in text; raises yaml.YAMLError or TooLarge."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Document(None, 1)
        root = loader.construct_document(node)
        return Document(root, _line(node), sorted(loader.scalar_spans))
    finally:
        loader.dispose()
