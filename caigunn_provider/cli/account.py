"""The CaiGunn account a command reads: its API level, its plans and its whole chatbot list."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from caigunn_provider import preflight
from caigunn_provider.client import CaiGunnClient, ChatbotRow, Level, Plan
from caigunn_provider.errors import NotFoundError
from caigunn_provider.listing import Listing
from caigunn_provider.settings import Settings

# Chatbots asked for by id at once (the list does not say their plan); the client is thread-safe.
PLAN_WORKERS = 8

OnProgress = Callable[[str, int, int | None], None]


@dataclass
class Account:
    """One account through one client; plans is empty at the seed level (no plan list)."""

    client: CaiGunnClient
    level: Level
    plans: list[Plan]
    # Each chatbot's current plan period end, from its GET (current level), once chatbots() ran.
    period_ends: dict[str, datetime | None] = field(default_factory=dict)

    def plan_name(self, plan_id: str | None) -> str | None:
        """The name of a plan the account lists; None when unknown."""
        for plan in self.plans:
            if plan.id == plan_id:
                return plan.title
        return None

    def chatbots(self, on_progress: OnProgress | None = None) -> list[ChatbotRow]:
        """Every chatbot in list order, from a scan proven complete, with its plan where known.

        The list rows carry no plan; at the current level each chatbot is asked for by id, which
        also gives its period's end (period_ends).
        """
        tell = on_progress or (lambda _what, _done, _total: None)
        listing = Listing(
            self.client.list_chatbots_page,
            on_page=lambda count: tell("reading the chatbot list", count, None),
        )
        snapshot = listing.snapshot(proven=True)
        rows = [snapshot.rows[chatbot_id] for chatbot_id in snapshot.order]
        if self.level == "seed":
            return rows
        return self._with_plans(rows, tell)

    def close(self) -> None:
        self.client.close()

    def _with_plans(self, rows: list[ChatbotRow], tell: OnProgress) -> list[ChatbotRow]:
        found: dict[str, str | None] = {}
        with ThreadPoolExecutor(max_workers=PLAN_WORKERS) as pool:
            for done, (chatbot_id, plan_id, ends) in enumerate(pool.map(self._info_of, rows), 1):
                found[chatbot_id] = plan_id
                self.period_ends[chatbot_id] = ends
                tell("reading each chatbot's plan", done, len(rows))
        return [dataclasses.replace(row, plan_id=found[row.id] or row.plan_id) for row in rows]

    def _info_of(self, row: ChatbotRow) -> tuple[str, str | None, datetime | None]:
        try:
            info = self.client.get_chatbot(row.id)
        except NotFoundError:
            # Deleted since the list was read: its plan is unknown, and it is shown as listed.
            return row.id, None, None
        return row.id, info.plan_id, info.period_end_at


def connect(settings: Settings) -> Account:
    """The account behind settings, checked as `pulumi up` checks it before anything else."""
    checked = preflight.check_account(settings)
    return Account(checked.client, checked.level, checked.plans)
