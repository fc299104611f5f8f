"""What a valid stack-file entry of `chatbots:` declares, in the shape the program uses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from caigunn_provider.kinds.knowledge.section import KnowledgeSpec

__all__ = ["ChatbotSpec"]


@dataclass(frozen=True, kw_only=True)
class ChatbotSpec:
    """One declared chatbot.

    Exactly one of plan_id (a lower-case canonical UUID) and plan (a plan's name, resolved
    against the account later) is set. settings holds only the settings the entry declares, in
    the API's names: prompt (prompt_file already read), initial_messages (a list of strings),
    allowed_domains, main_color, the four booleans, button_style and model_id (lower-case UUID).
    knowledge holds the entry's knowledge, model and webhook keys (None: it declares none).
    line is where the logical name stands; lines gives the line of each key the entry holds.
    """

    name: str
    title: str
    plan_id: str | None = None
    plan: str | None = None
    import_: str | None = None
    protect: bool = False
    settings: Mapping[str, object] = field(default_factory=dict)
    knowledge: KnowledgeSpec | None = None
    line: int
    lines: Mapping[str, int] = field(default_factory=dict)
