"""Chatbots declared from a Python program: typed arguments, checked as the stack file's are.

Runs in the program process; caigunn_provider.library.declare hands the specs to the pipeline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

from caigunn_provider.client.fields import SETTING_KEYS
from caigunn_provider.errors import StackFileError
from caigunn_provider.ids import canonical_id
from caigunn_provider.kinds.chatbot.spec import ChatbotSpec
from caigunn_provider.stackfile.rules import MAX_TITLE_LENGTH, is_valid_logical_name

# How a program's entries are named in messages, where a stack file gives its path and line.
PROGRAM = "program"


@dataclass(frozen=True, kw_only=True)
class ChatbotArgs:
    """One chatbot as a program declares it: a title, and a plan by name or by id.

    The settings are those of the stack file (docs/settings.md), under the same names; a setting
    left None is not managed. import_ adopts an existing chatbot (never deleted by the stack).
    """

    title: str
    plan: str | None = None
    plan_id: str | None = None
    prompt: str | None = None
    initial_messages: Sequence[str] | None = None
    allowed_domains: Sequence[str] | None = None
    main_color: str | None = None
    is_default_visible: bool | None = None
    is_fixed: bool | None = None
    show_history: bool | None = None
    is_shared: bool | None = None
    button_style: str | None = None
    model_id: str | None = None
    import_: str | None = None
    protect: bool = False

    def settings(self) -> dict[str, object]:
        """The declared settings, in the API's names and shapes (lists as lists)."""
        found: dict[str, object] = {}
        for key in SETTING_KEYS:
            value = getattr(self, key)
            if value is not None:
                found[key] = list(value) if key in _LISTS else value
        return found


_LISTS = ("initial_messages", "allowed_domains")


_SETTING_FIELDS = {f.name for f in fields(ChatbotArgs)} & set(SETTING_KEYS)
assert set(SETTING_KEYS) == _SETTING_FIELDS, "ChatbotArgs must name every chatbot setting"


def to_specs(chatbots: Mapping[str, ChatbotArgs]) -> dict[str, ChatbotSpec]:
    """The program's entries as specs; StackFileError lists every problem (none changes a thing).

    The provider's own check repeats the per-value rules at preview; these are the ones the
    pre-flight relies on (names, titles, one plan).
    """
    problems: list[str] = []
    specs: dict[str, ChatbotSpec] = {}
    for name, args in chatbots.items():
        where = f"{PROGRAM}: chatbots.{name}"
        if not is_valid_logical_name(name):
            problems.append(f"{where}: not a valid logical name (letters, digits, '_', '.', '-')")
            continue
        if not isinstance(args, ChatbotArgs):
            problems.append(f"{where}: expected ChatbotArgs (got {type(args).__name__})")
            continue
        if not (isinstance(args.title, str) and args.title.strip()):
            problems.append(f"{where}.title: must be a non-empty string")
        elif len(args.title) > MAX_TITLE_LENGTH:
            problems.append(f"{where}.title: must be at most {MAX_TITLE_LENGTH} characters")
        if (args.plan is None) == (args.plan_id is None):
            problems.append(f"{where}: give exactly one of plan (a name) and plan_id (a UUID)")
        plan_id = canonical_id(args.plan_id) if args.plan_id is not None else None
        if args.plan_id is not None and plan_id is None:
            problems.append(f"{where}.plan_id: not a UUID (got {args.plan_id!r})")
        import_ = canonical_id(args.import_) if args.import_ is not None else None
        if args.import_ is not None and import_ is None:
            problems.append(f"{where}.import_: not a UUID (got {args.import_!r})")
        specs[name] = ChatbotSpec(
            name=name,
            title=args.title,
            plan_id=plan_id,
            plan=args.plan,
            import_=import_,
            protect=args.protect,
            settings=args.settings(),
            line=0,
        )
    if problems:
        raise StackFileError(problems)
    return specs
