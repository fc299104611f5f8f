"""What a CaiGunn server can do, probed once: the one place that knows the API's levels.

CaiGunn's API grew: the user's own document (level "seed") offers a chatbot list and create only;
the later public reference (level "current") adds read by id, rename, delete, plans, settings and
the chatbot-level API (training data, models, webhooks). Code asks what it needs
(`caps.can_rename`), never which level a server is; the level's name is kept for display only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["current", "seed"]
LEVELS: tuple[Level, ...] = ("current", "seed")


@dataclass(frozen=True)
class Capabilities:
    """One server's abilities; made by `for_level` from the answer of one probe."""

    level: Level
    # GET /user/chatbot/{id}: a chatbot read (and proven gone) by id; else by scanning the list.
    read_by_id: bool
    # The create answer carries the new chatbot's id; else it is found by its api_key.
    create_returns_id: bool
    can_rename: bool
    can_delete: bool
    # GET /user/plan: plans listed, so plan names resolve and plan ids are checked.
    lists_plans: bool
    # The optional chatbot settings (prompt, colours, ...) on create and update.
    takes_settings: bool
    # /api/external/chatbot/...: training data, models, events and webhooks.
    chatbot_level_api: bool
    # The chatbot's GET shows its plan period (period_end_at).
    shows_period: bool

    @classmethod
    def for_level(cls, level: Level) -> Capabilities:
        current = level == "current"
        return cls(
            level=level,
            read_by_id=current,
            create_returns_id=current,
            can_rename=current,
            can_delete=current,
            lists_plans=current,
            takes_settings=current,
            chatbot_level_api=current,
            shows_period=current,
        )


def from_probe(*, lists_plans: bool) -> Capabilities:
    """The capabilities of a server, told by whether it serves the plan list (a later route)."""
    return Capabilities.for_level("current" if lists_plans else "seed")


# What the later API adds, as the words a message uses for it.
NEEDS_CURRENT_API = "the current CaiGunn API"
SEED_OFFERS = "only list and create"
