"""The `chatbots:` section of a stack file: each entry's keys, checked, as a ChatbotSpec."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from caigunn_provider.client.fields import SETTING_KEYS
from caigunn_provider.kinds.chatbot.settings import check_settings
from caigunn_provider.kinds.chatbot.spec import ChatbotSpec
from caigunn_provider.stackfile.checks import keyed
from caigunn_provider.stackfile.problems import Problems, key_path, show
from caigunn_provider.stackfile.rules import MAX_TITLE_LENGTH
from caigunn_provider.stackfile.section import CheckEntry
from caigunn_provider.stackfile.values import check_bool, check_text, check_uuid, in_file_order
from caigunn_provider.stackfile.yamltree import Entry, Map

if TYPE_CHECKING:
    from caigunn_provider.program.kind import EntryKind

__all__ = ["MAX_CHATBOTS", "OWN_KEYS", "ChatbotSection"]

MAX_CHATBOTS = 1000
# The entry's own keys; prompt_file is not a setting: it is read into `prompt`. The keys of the
# kinds inside an entry (knowledge, webhook...) follow, each kind's own (ChatbotSection.keys).
OWN_KEYS = (
    "title",
    "plan_id",
    "plan",
    "import",
    "protect",
    *SETTING_KEYS,
    "prompt_file",
)


@dataclass
class _FileContext:
    """What the checks of one file share: where prompt files are, and who imported which id."""

    base_dir: str
    entry_kinds: Sequence[EntryKind]
    keys: tuple[str, ...]
    # Two resources managing one chatbot would fight on every run, so each id is adopted once.
    importers: dict[str, tuple[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class ChatbotSection:
    """The `chatbots:` key: a mapping from logical name to chatbot, whose entries hold the keys
    of the kinds that live inside them (entry_kinds, from caigunn_provider.kinds)."""

    entry_kinds: Sequence[EntryKind] = ()
    key: str = "chatbots"
    noun: str = "chatbot"
    required: bool = True
    max_entries: int = MAX_CHATBOTS

    @property
    def keys(self) -> tuple[str, ...]:
        """Every key a chatbot entry may hold: its own, then each entry kind's."""
        return (*OWN_KEYS, *(key for kind in self.entry_kinds for key in kind.keys))

    def checker(self, base_dir: str) -> CheckEntry:
        context = _FileContext(base_dir, self.entry_kinds, self.keys)
        return lambda name, entry, problems: _check_chatbot(name, entry, context, problems)


def _check_chatbot(
    name: str, bot: Entry, context: _FileContext, problems: Problems
) -> ChatbotSpec | None:
    path = key_path("chatbots", name)
    if not isinstance(bot.value, Map):
        problems.add(
            bot.value_line,
            path,
            f"expected a mapping with title and plan_id or plan (got {show(bot.value)})",
        )
        return None
    fields = keyed(bot.value, path, context.keys, problems)
    before = len(problems)
    title = _check_title(fields, path, bot.key_line, problems)
    plan_id, plan = _check_plan(fields, path, bot.key_line, problems)
    import_ = _check_import(fields.get("import"), f"{path}.import", name, context, problems)
    protect = fields.get("protect")
    protected = check_bool(protect, f"{path}.protect", problems) if protect is not None else False
    settings = check_settings(fields, path, context.base_dir, problems)
    parts = _check_parts(fields, path, context, problems)
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
        parts=parts,
        line=bot.key_line,
        lines={key: entry.key_line for key, entry in fields.items()},
    )


def _check_parts(
    fields: dict[str, Entry], path: str, context: _FileContext, problems: Problems
) -> dict[EntryKind, Any]:
    """{kind: its spec} for each entry kind whose keys the entry holds."""
    found = {}
    for kind in context.entry_kinds:
        part = kind.check(fields, path, context.base_dir, problems)
        if part is not None:
            found[kind] = part
    return found


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
    entry: Entry | None, path: str, name: str, context: _FileContext, problems: Problems
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
