"""The CaiGunn account a command reads: checked as the pre-flight checks it; its chatbot list."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from caigunn_provider.account import Account, connect
from caigunn_provider.client import ChatbotRow
from caigunn_provider.errors import NotFoundError
from caigunn_provider.listing import Listing

__all__ = ["Account", "chatbots_of", "connect"]

# Chatbots asked for by id at once (the list does not say their plan); the client is thread-safe.
PLAN_WORKERS = 8

OnProgress = Callable[[str, int, int | None], None]


def chatbots_of(account: Account, on_progress: OnProgress | None = None) -> list[ChatbotRow]:
    """Every chatbot in list order, from a scan proven complete, with its plan where known.

    The list rows carry no plan; where the server reads chatbots by id, each is asked for.
    """
    tell = on_progress or (lambda _what, _done, _total: None)
    listing = Listing(
        account.client.list_chatbots_page,
        on_page=lambda count: tell("reading the chatbot list", count, None),
    )
    snapshot = listing.snapshot(proven=True)
    rows = [snapshot.rows[chatbot_id] for chatbot_id in snapshot.order]
    if not account.caps.read_by_id:
        return rows
    return _with_plans(account, rows, tell)


def _with_plans(account: Account, rows: list[ChatbotRow], tell: OnProgress) -> list[ChatbotRow]:
    missing = [row for row in rows if row.plan_id is None]
    found: dict[str, str | None] = {}

    def plan_of(row: ChatbotRow) -> tuple[str, str | None]:
        try:
            info = account.client.get_chatbot(row.id)
        except NotFoundError:
            # Deleted since the list was read: its plan is unknown, and it is shown as listed.
            return row.id, None
        return row.id, info.plan_id

    with ThreadPoolExecutor(max_workers=PLAN_WORKERS) as pool:
        for done, (chatbot_id, plan_id) in enumerate(pool.map(plan_of, missing), 1):
            found[chatbot_id] = plan_id
            tell("reading each chatbot's plan", done, len(missing))
    return [
        dataclasses.replace(row, plan_id=found[row.id]) if row.id in found else row for row in rows
    ]
