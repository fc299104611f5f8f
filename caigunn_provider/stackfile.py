"""Loads and validates a stack file; every problem is reported, with file:line."""

from __future__ import annotations

import datetime
import difflib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import yaml

from caigunn_provider.errors import StackFileError

__all__ = ["MAX_TITLE_LENGTH", "ChatbotSpec", "StackFile", "load_stack_file"]

TOP_LEVEL_KEYS = ("chatbots",)
CHATBOT_KEYS = ("title", "plan_id", "import", "protect")
REQUIRED_CHATBOT_KEYS = ("title", "plan_id")
# CaiGunn documents no limit; 255 is the usual database column and keeps a typo'd paste out.
MAX_TITLE_LENGTH = 255

# Pulumi resource names may hold more, but these survive URNs, shells and file names unquoted.
_NAME_RE = re.compile(r"[A-Za-z0-9_.-]+")
# Canonical form only: braces, "urn:uuid:" and hyphen-less forms are rejected, not guessed at.
_UUID_RE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
_TOP = "(top level)"


@dataclass(frozen=True)
class ChatbotSpec:
    """One declared chatbot; line is where its logical name stands in the file."""

    name: str
    title: str
    plan_id: str
    import_id: str | None
    protect: bool
    line: int


@dataclass(frozen=True)
class StackFile:
    """A valid stack file: its path as given and its chatbots in file order."""

    path: str
    chatbots: dict[str, ChatbotSpec]


def load_stack_file(path: str | os.PathLike[str]) -> StackFile:
    """Read and check a stack file; StackFileError lists every problem found, one per line."""
    shown = os.fspath(path)
    try:
        with open(path, "rb") as stream:
            raw = stream.read()
    except FileNotFoundError as exc:
        raise StackFileError([f"{shown}: file not found"]) from exc
    except OSError as exc:
        raise StackFileError([f"{shown}: cannot read the file: {exc.strerror or exc}"]) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise StackFileError(
            [f"{shown}:{line}: the file is not UTF-8 text ({exc.reason})"]
        ) from exc

    try:
        root, root_line = _parse(text)
    except yaml.MarkedYAMLError as exc:
        raise StackFileError([_yaml_problem(shown, exc)]) from exc
    except yaml.YAMLError as exc:
        raise StackFileError([f"{shown}: invalid YAML: {exc}"]) from exc

    problems = _Problems()
    chatbots = _check_root(root, root_line, problems)
    if problems:
        raise StackFileError(problems.render(shown))
    return StackFile(path=shown, chatbots=chatbots)


# --- YAML with lines ---------------------------------------------------------------------------


class _Entry(NamedTuple):
    key: object
    key_line: int
    value: object
    value_line: int


class _Map:
    """A YAML mapping as written: every entry in order, duplicates kept, each with its line."""

    def __init__(self, entries: list[_Entry], line: int) -> None:
        self.entries = entries
        self.line = line


class _LineLoader(yaml.SafeLoader):
    """SafeLoader whose mappings are _Map, because dict would drop duplicate keys silently."""


def _construct_map(loader: yaml.SafeLoader, node: yaml.MappingNode) -> _Map:
    entries: list[_Entry] = []
    for key_node, value_node in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            # Merge semantics (later keys win) would hide the duplicates this loader exists to find.
            raise yaml.constructor.ConstructorError(
                None, None, "merge keys ('<<') are not supported here", key_node.start_mark
            )
        entries.append(
            _Entry(
                key=loader.construct_object(key_node, deep=True),
                key_line=key_node.start_mark.line + 1,
                value=loader.construct_object(value_node, deep=True),
                value_line=value_node.start_mark.line + 1,
            )
        )
    return _Map(entries, node.start_mark.line + 1)


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)


def _parse(text: str) -> tuple[object, int]:
    """The single document's value and the line it starts on; (None, 1) for an empty file."""
    loader = _LineLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, 1
        return loader.construct_document(node), node.start_mark.line + 1
    finally:
        loader.dispose()


def _yaml_problem(shown: str, exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    where = f"{shown}:{mark.line + 1}" if mark is not None else shown
    what = exc.problem or exc.context or "unreadable"
    if exc.problem and exc.context and exc.problem.startswith("but "):
        # The composer splits one sentence: "expected a single document" / "but found another".
        what = f"{exc.context}, {exc.problem}"
    elif exc.problem and exc.context:
        at = f" at line {exc.context_mark.line + 1}" if exc.context_mark is not None else ""
        what = f"{exc.problem} ({exc.context}{at})"
    return f"{where}: invalid YAML: {what}"


# --- checks --------------------------------------------------------------------------------------


class _Problems:
    def __init__(self) -> None:
        self._items: list[tuple[int, str]] = []

    def add(self, line: int, path: str, what: str) -> None:
        self._items.append((line, f"{path}: {what}"))

    def __len__(self) -> int:
        return len(self._items)

    def render(self, shown: str) -> list[str]:
        # Stable sort: file order, and discovery order within a line.
        return [f"{shown}:{line}: {text}" for line, text in sorted(self._items, key=lambda i: i[0])]


def _check_root(root: object, root_line: int, problems: _Problems) -> dict[str, ChatbotSpec]:
    if root is None:
        problems.add(1, "chatbots", "missing; the file is empty (write `chatbots: {}` for none)")
        return {}
    if not isinstance(root, _Map):
        problems.add(
            root_line, _TOP, f"expected a mapping with a 'chatbots' key (got {_show(root)})"
        )
        return {}
    top = _keyed(root, "", TOP_LEVEL_KEYS, problems)
    entry = top.get("chatbots")
    if entry is None:
        problems.add(root_line, "chatbots", "missing (write `chatbots: {}` for none)")
        return {}
    if not isinstance(entry.value, _Map):
        problems.add(
            entry.value_line,
            "chatbots",
            f"expected a mapping from logical name to chatbot (got {_show(entry.value)})",
        )
        return {}

    specs: dict[str, ChatbotSpec] = {}
    # Which chatbot adopted an id: two resources managing one chatbot would fight on every run.
    importers: dict[str, str] = {}
    first = _keyed(entry.value, "chatbots", None, problems)
    # A duplicate's body is checked too (every problem in one run); only the first one counts.
    for bot in entry.value.entries:
        if isinstance(bot.key, str):
            spec = _check_chatbot(bot.key, bot, importers, problems)
            if spec is not None and first[bot.key] is bot:
                specs[bot.key] = spec
    return specs


def _keyed(
    mapping: _Map, path: str, known: Sequence[str] | None, problems: _Problems
) -> dict[str, _Entry]:
    """The first entry of each valid key; reports the rest.

    known=None means the keys are logical names (the `chatbots` mapping), not fixed keys.
    """
    first: dict[str, _Entry] = {}
    where = path or _TOP
    noun = "logical name" if known is None else "key"
    for entry in mapping.entries:
        key = entry.key
        if not isinstance(key, str):
            problems.add(entry.key_line, where, f"{noun} must be a string (got {_show(key)})")
            continue
        if key in first:
            problems.add(
                entry.key_line,
                _join(path, key),
                f"duplicate {noun} (first at line {first[key].key_line})",
            )
            continue
        if known is None:
            # A bad name is reported, but its chatbot is still checked: every problem in one run.
            if not key:
                problems.add(entry.key_line, where, "logical name must not be empty")
            elif not _NAME_RE.fullmatch(key):
                problems.add(
                    entry.key_line,
                    where,
                    f"logical name {key!r} is not valid: "
                    "use only letters, digits, '_', '.' and '-'",
                )
        elif key not in known:
            problems.add(entry.key_line, where, _unknown_key(key, known))
            continue
        first[key] = entry
    return first


def _check_chatbot(
    name: str, bot: _Entry, importers: dict[str, str], problems: _Problems
) -> ChatbotSpec | None:
    path = f"chatbots.{name}"
    if not isinstance(bot.value, _Map):
        problems.add(
            bot.value_line,
            path,
            f"expected a mapping with title and plan_id (got {_show(bot.value)})",
        )
        return None
    fields = _keyed(bot.value, path, CHATBOT_KEYS, problems)
    before = len(problems)
    for key in REQUIRED_CHATBOT_KEYS:
        if key not in fields:
            problems.add(bot.key_line, f"{path}.{key}", "missing (required)")

    title = _check_title(fields.get("title"), f"{path}.title", problems)
    plan_id = _check_plan_id(fields.get("plan_id"), f"{path}.plan_id", problems)
    import_id = _check_import(fields.get("import"), f"{path}.import", name, importers, problems)
    protect = _check_protect(fields.get("protect"), f"{path}.protect", problems)
    if len(problems) > before or title is None or plan_id is None:
        return None
    return ChatbotSpec(
        name=name,
        title=title,
        plan_id=plan_id,
        import_id=import_id,
        protect=protect,
        line=bot.key_line,
    )


def _check_title(entry: _Entry | None, path: str, problems: _Problems) -> str | None:
    if entry is None:
        return None
    value = entry.value
    if not isinstance(value, str):
        problems.add(entry.value_line, path, f"must be a string (got {_show(value)}){_hint(value)}")
        return None
    if not value:
        problems.add(entry.value_line, path, "must not be empty")
        return None
    if not value.strip():
        problems.add(entry.value_line, path, f"must not be blank (got {value!r})")
        return None
    if len(value) > MAX_TITLE_LENGTH:
        problems.add(
            entry.value_line,
            path,
            f"must be at most {MAX_TITLE_LENGTH} characters (got {len(value)})",
        )
        return None
    return value


def _check_plan_id(entry: _Entry | None, path: str, problems: _Problems) -> str | None:
    if entry is None:
        return None
    value = entry.value
    if not isinstance(value, str) or not _UUID_RE.fullmatch(value):
        problems.add(entry.value_line, path, f"not a UUID (got {_show(value)})")
        return None
    # The API answers plan ids in lower case; comparing like with like keeps diffs quiet.
    return value.lower()


def _check_import(
    entry: _Entry | None, path: str, name: str, importers: dict[str, str], problems: _Problems
) -> str | None:
    if entry is None:
        return None
    value = entry.value
    if not isinstance(value, str) or not value.strip():
        problems.add(
            entry.value_line,
            path,
            f"must be the id of an existing chatbot, a non-empty string "
            f"(got {_show(value)}){_hint(value)}",
        )
        return None
    if value in importers:
        problems.add(
            entry.value_line,
            path,
            f"chatbot {value!r} is already imported by chatbots.{importers[value]}",
        )
        return None
    importers[value] = name
    return value


def _check_protect(entry: _Entry | None, path: str, problems: _Problems) -> bool:
    if entry is None:
        return False
    if not isinstance(entry.value, bool):
        problems.add(entry.value_line, path, f"must be true or false (got {_show(entry.value)})")
        return False
    return entry.value


# --- wording -------------------------------------------------------------------------------------


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _unknown_key(key: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f"unknown key {key!r} (did you mean {close[0]!r}?)"
    return f"unknown key {key!r} (known keys: {', '.join(known)})"


def _show(value: object) -> str:
    """A value as the user wrote it, short, in YAML words (null, true, a mapping)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:57] + "...")
    if isinstance(value, _Map):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _hint(value: object) -> str:
    # YAML reads 2024, 1.5, yes and 2024-01-01 as non-strings; quoting is the fix users look for.
    if isinstance(value, bool | int | float | datetime.date):
        return "; put it in quotes"
    return ""
