"""A chatbot as CaiGunn has it now, read with the access token: by id where the server can,
else through the run's list (`caigunn_provider.dynamic.runtime.Context.listing`).

Runs in the dynamic-provider process: the Chatbot kind's reads and adoptions, and the key of a
chatbot that no Chatbot step told this run (keys.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from caigunn_provider.client import ChatbotRow
from caigunn_provider.dynamic.runtime import Context
from caigunn_provider.errors import NotFoundError

__all__ = ["Live", "live"]


@dataclass(frozen=True)
class Live:
    """A chatbot as CaiGunn has it now, with the settings its info answer returns (if any)."""

    row: ChatbotRow
    settings: Mapping[str, Any]
    # The end of its plan period, where the server's answer shows it (current level).
    period_end: datetime | None = None


def live(ctx: Context, chatbot_id: str) -> Live | None:
    """The chatbot as CaiGunn has it now; None only when proven gone (a 404, a proven scan)."""
    if not ctx.client.capabilities_known():
        # The first page of the list goes out beside the probe of what the server can do: one
        # that cannot read by id is read through its list, and one request is not worth a wait.
        ctx.listing().prefetch()
    if not ctx.client.capabilities().read_by_id:
        row = ctx.listing().find(chatbot_id)
        return Live(row, {}) if row is not None else None
    try:
        info = ctx.client.get_chatbot(chatbot_id)
    except NotFoundError:
        return None
    if info.is_deleted:
        return None
    return Live(
        ChatbotRow(info.id, info.title, info.api_key, info.plan_id),
        info.settings,
        info.period_end_at,
    )
