"""The stack file's structure: the top level, logical names and each chatbot entry's keys."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field

# The module, not its function: section imports this package's modules (a cycle otherwise).
from caigunn_provider.kinds.knowledge import section as knowledge_section
from caigunn_provider.stackfile.model import ChatbotSpec
from caigunn_provider.stackfile.problems import TOP, Problems, count, item_path, key_path, show
from caigunn_provider.stackfile.rules import (
    CHATBOT_KEYS,
    MAX_CHATBOTS,
    MAX_NAME_LENGTH,
    MAX_TITLE_LENGTH,
    TOP_LEVEL_KEYS,
    is_valid_logical_name,
)
from caigunn_provider.stackfile.settings import check_settings
from caigunn_provider.stackfile.values import check_bool, check_text, check_uuid, in_file_order
from caigunn_provider.stackfile.yamltree import Document, Entry, Map, Refused, Seq

__all__ = ["check_root", "report_refused"]


@dataclass
class _Context:
    """What the checks of one file share: where prompt files are, and who imported which id."""

    base_dir: str
    # Two resources managing one chatbot would fight on every run, so each id is adopted once.
    importers: dict[str, tuple[str, int]] = field(default_factory=dict)


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


def check_root(document: Document, base_dir: str, problems: Problems) -> dict[str, ChatbotSpec]:
    """The chatbots, in file order, of a document whose YAML features are already checked."""
    root = document.root
    if root is None:
        problems.add(1, "chatbots", "missing; the file is empty (write `chatbots: {}` for none)")
        return {}
    if not isinstance(root, Map):
        problems.add(
            document.line, TOP, f"expected a mapping with a 'chatbots' key (got {show(root)})"
        )
        return {}
    top = _keyed(root, "", TOP_LEVEL_KEYS, problems)
    entry = top.get("chatbots")
    if entry is None:
        problems.add(document.line, "chatbots", "missing (write `chatbots: {}` for none)")
        return {}
    if not isinstance(entry.value, Map):
        problems.add(
            entry.value_line,
            "chatbots",
            f"expected a mapping from logical name to chatbot (got {show(entry.value)})",
        )
        return {}
    if len(entry.value.entries) > MAX_CHATBOTS:
        problems.add(
            entry.key_line,
            "chatbots",
            f"{count(len(entry.value.entries))} chatbots; a stack file may declare at most "
            f"{count(MAX_CHATBOTS)}",
        )
    return _check_chatbots(entry.value, _Context(base_dir), problems)


def _check_chatbots(chatbots: Map, context: _Context, problems: Problems) -> dict[str, ChatbotSpec]:
    specs: dict[str, ChatbotSpec] = {}
    first = _keyed(chatbots, "chatbots", None, problems)
    # A duplicate's body is checked too (every problem in one run); only the first one counts.
    for bot in chatbots.entries:
        if isinstance(bot.key, str):
            spec = _check_chatbot(bot.key, bot, context, problems)
            if spec is not None and first.get(bot.key) is bot:
                specs[bot.key] = spec
    return specs


def _keyed(
    mapping: Map, path: str, known: Sequence[str] | None, problems: Problems
) -> dict[str, Entry]:
    """The first entry of each valid key; reports the rest.

    known=None means the keys are logical names (the `chatbots` mapping), not fixed keys.
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
            _check_name(key, entry.key_line, problems)
        elif key not in known:
            problems.add(entry.key_line, where, _unknown_key(key, known))
            continue
        first[key] = entry
    return first


def _check_name(name: str, line: int, problems: Problems) -> None:
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
        line, "chatbots", f"logical name {show(name)} {what}" if name else f"logical name {what}"
    )


def _unknown_key(key: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(key[:100], known, n=1, cutoff=0.6)
    if close:
        return f"unknown key {show(key)} (did you mean {close[0]!r}?)"
    return f"unknown key {show(key)} (known keys: {', '.join(known)})"


# --- one chatbot ---------------------------------------------------------------------------------


def _check_chatbot(
    name: str, bot: Entry, context: _Context, problems: Problems
) -> ChatbotSpec | None:
    path = key_path("chatbots", name)
    if not isinstance(bot.value, Map):
        problems.add(
            bot.value_line,
            path,
            f"expected a mapping with title and plan_id or plan (got {show(bot.value)})",
        )
        return None
    fields = _keyed(bot.value, path, CHATBOT_KEYS, problems)
    before = len(problems)
    title = _check_title(fields, path, bot.key_line, problems)
    plan_id, plan = _check_plan(fields, path, bot.key_line, problems)
    import_ = _check_import(fields.get("import"), f"{path}.import", name, context, problems)
    protect = fields.get("protect")
    protected = check_bool(protect, f"{path}.protect", problems) if protect is not None else False
    settings = check_settings(fields, path, context.base_dir, problems)
    knowledge = knowledge_section.check_knowledge(fields, path, context.base_dir, problems)
    if len(problems) > before or title is None:
        return None
    return ChatbotSpec(
        name=name,
        title=title,
        plan_id=plan_id,
        plan=plan,
        import_=import_,
        protect=bool(protected),
        settings=settings,
        knowledge=knowledge,
        line=bot.key_line,
        lines={key: entry.key_line for key, entry in fields.items()},
    )


def _check_title(fields: dict[str, Entry], path: str, line: int, problems: Problems) -> str | None:
    entry = fields.get("title")
    if entry is None:
        problems.add(line, f"{path}.title", "missing (required)")
        return None
    return check_text(
        entry.value, entry.value_line, f"{path}.title", problems, max_length=MAX_TITLE_LENGTH
    )


def _check_plan(
    fields: dict[str, Entry], path: str, line: int, problems: Problems
) -> tuple[str | None, str | None]:
    """(plan_id, plan): exactly one is declared, a UUID or a plan's name (issue 12)."""
    by_id, by_name = fields.get("plan_id"), fields.get("plan")
    plan_id = (
        check_uuid(by_id.value, by_id.value_line, f"{path}.plan_id", problems) if by_id else None
    )
    plan = (
        check_text(
            by_name.value, by_name.value_line, f"{path}.plan", problems, max_length=MAX_TITLE_LENGTH
        )
        if by_name
        else None
    )
    if by_id is None and by_name is None:
        problems.add(line, path, "missing plan_id or plan (one is required: a plan's UUID or name)")
    elif by_id is not None and by_name is not None:
        first, later = in_file_order(fields, by_id, by_name)
        problems.add(
            later.key_line,
            f"{path}.{later.key}",
            f"give either plan_id or plan, not both ({first.key} is at line {first.key_line})",
        )
    return plan_id, plan


def _check_import(
    entry: Entry | None, path: str, name: str, context: _Context, problems: Problems
) -> str | None:
    if entry is None:
        return None
    chatbot_id = check_uuid(entry.value, entry.value_line, path, problems)
    if chatbot_id is None:
        return None
    if chatbot_id in context.importers:
        # Case variants are one id: compared in canonical form.
        owner, line = context.importers[chatbot_id]
        problems.add(
            entry.value_line,
            path,
            f"chatbot {chatbot_id} is already imported by {key_path('chatbots', owner)} "
            f"(line {line})",
        )
        return None
    context.importers[chatbot_id] = (name, entry.value_line)
    return chatbot_id
