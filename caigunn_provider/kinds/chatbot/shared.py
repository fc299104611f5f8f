"""What the Chatbot resources of one run share in the provider process: the account's listing,
the claims on chatbots, and the locks of lost-create matching (a slot of the run's Context)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass, field

from caigunn_provider.dynamic.runtime import Context
from caigunn_provider.listing import Listing

__all__ = ["ChatbotRun", "Claims", "run_of"]


class Claims:
    """Which chatbots this run's creates and adoptions took, and which creates are in flight.

    A create whose answer was lost must not take a chatbot that another create of the same title
    is about to be told is its own; so it waits until no other create of that title is in flight,
    and counts how many lost answers of that title are waiting to be matched.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._taken: set[str] = set()
        self._in_flight: Counter[Hashable] = Counter()
        self._unmatched: Counter[Hashable] = Counter()

    def take(self, chatbot_id: str) -> bool:
        """Claim a chatbot for one resource; False when another resource has it already."""
        with self._changed:
            if chatbot_id in self._taken:
                return False
            self._taken.add(chatbot_id)
            return True

    def is_taken(self, chatbot_id: str) -> bool:
        with self._changed:
            return chatbot_id in self._taken

    def start_post(self, key: Hashable) -> None:
        with self._changed:
            self._in_flight[key] += 1

    def end_post(self, key: Hashable, *, lost: bool) -> None:
        """The POST was answered (lost=False) or its answer was lost and it needs matching."""
        with self._changed:
            self._in_flight[key] -= 1
            if lost:
                self._unmatched[key] += 1
            self._changed.notify_all()

    def wait_quiet(self, key: Hashable, timeout: float) -> None:
        """Wait until no create of this key is still waiting for its answer."""
        with self._changed:
            self._changed.wait_for(lambda: self._in_flight[key] <= 0, timeout=timeout)

    def unmatched(self, key: Hashable) -> int:
        with self._changed:
            return self._unmatched[key]

    def matched(self, key: Hashable) -> None:
        with self._changed:
            self._unmatched[key] -= 1
            self._changed.notify_all()


@dataclass
class ChatbotRun:
    """The Chatbot kind's slot of the run's Context."""

    listing: Listing
    claims: Claims = field(default_factory=Claims)
    # Serialises the matching of lost creates, one title at a time being enough.
    matching: threading.Lock = field(default_factory=threading.Lock)
    # Serialises the looks for a seed-level create's new row (see ownership.py).
    looking: threading.Lock = field(default_factory=threading.Lock)
    # Where new rows appear in this server's list: "tail" (oldest first) or "head"; None: unknown.
    new_rows_at: str | None = None


def run_of(ctx: Context) -> ChatbotRun:
    """This run's ChatbotRun for the context's account (one listing per account and run)."""
    listing = ctx.listing()
    return ctx.slot("chatbot", lambda _: ChatbotRun(listing))
