"""What a valid stack-file entry of `chatbots:` declares, in the shape the program uses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from caigunn_provider.client.fields import needs_update
from caigunn_provider.program.checkpoint import dynamic_type

if TYPE_CHECKING:
    from caigunn_provider.program.kind import EntryKind

__all__ = ["AMBIGUOUS", "AMBIGUOUS_ID", "CHATBOT_TYPE", "Change", "ChatbotSpec", "change_of"]

# The Chatbot resource's type token (kinds/chatbot/resource.py), for readers of the state.
CHATBOT_TYPE = dynamic_type("caigunn", "Chatbot")
# The output that marks the record of an ambiguous create (its candidates' ids), and the start
# of its placeholder id: the state keeps the ambiguity until an `import:` settles it.
AMBIGUOUS = "__ambiguous"
AMBIGUOUS_ID = "ambiguous-create-"

# What a declared chatbot needs of the one the state holds.
Change = Literal["replace", "update"] | None


@dataclass(frozen=True, kw_only=True)
class ChatbotSpec:
    """One declared chatbot.

    Exactly one of plan_id (a lower-case canonical UUID) and plan (a plan's name, resolved
    against the account later) is set. settings holds only the settings the entry declares, in
    the API's names: prompt (prompt_file already read), initial_messages (a list of strings),
    allowed_domains, main_color, the four booleans, button_style and model_id (lower-case UUID).
    parts holds what each kind inside the entry (caigunn_provider.kinds.entry_kinds) found under
    its keys, {kind: its spec}, for the kinds the entry uses, in the registry's order.
    line is where the logical name stands; lines gives the line of each key the entry holds.
    """

    name: str
    title: str
    plan_id: str | None = None
    plan: str | None = None
    import_: str | None = None
    protect: bool = False
    settings: Mapping[str, object] = field(default_factory=dict)
    parts: Mapping[EntryKind, Any] = field(default_factory=dict)
    line: int
    lines: Mapping[str, int] = field(default_factory=dict)

    def part(self, kind_name: str) -> Any | None:
        """The spec of the entry's part that the kind named kind_name found (None: no such)."""
        return next((spec for kind, spec in self.parts.items() if kind.name == kind_name), None)


def change_of(
    recorded: Mapping[str, Any], plan_id: str | None, title: str, settings: Any
) -> Change:
    """What the chatbot the state records needs to become the declared one: a new plan replaces
    it (CaiGunn cannot move a chatbot to another plan), a new title or setting updates it."""
    if recorded.get("plan_id") != plan_id:
        return "replace"
    return "update" if needs_update(recorded, title, settings) else None
