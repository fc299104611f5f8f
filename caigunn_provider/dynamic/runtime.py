"""What one provider process shares across threads for a run: the client, the listing, claims.

Runs in the dynamic-provider process. The engine starts one such process per run, and the SDK
unpickles each provider once per process; so a Runtime lives for one run. The provider objects
hold it (never pickled: caigunn_provider/dynamic/base.py), and tests give each provider its own.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass, field

from caigunn_provider.client import AccountLimits, CaiGunnClient
from caigunn_provider.config import ProviderConfig, Source
from caigunn_provider.errors import CaiGunnError
from caigunn_provider.listing import Listing


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
class Context:
    """The run's shared pieces for one (API URL, token)."""

    client: CaiGunnClient
    listing: Listing
    claims: Claims = field(default_factory=Claims)
    # Serialises the matching of lost creates, one title at a time being enough.
    matching: threading.Lock = field(default_factory=threading.Lock)
    # Serialises the looks for a seed-level create's new row (see ownership.py).
    looking: threading.Lock = field(default_factory=threading.Lock)
    # Where new rows appear in this server's list: "tail" (oldest first) or "head"; None: unknown.
    new_rows_at: str | None = None
    # Where the token came from (stack config or environment), for the words of a refusal.
    token_source: Source | None = None
    # Set by the first refusal of the token in this run: the full sentence is said once.
    refused: bool = False
    refusing: threading.Lock = field(default_factory=threading.Lock)

    # Set once the capability probe was sent ahead (probe_ahead).
    probing: threading.Event = field(default_factory=threading.Event)

    def probe_ahead(self) -> None:
        """Ask what the server can do now, in the background, for a write that will need it.

        Once per run; a failure is left for the write to meet again and report in its terms.
        """
        if self.probing.is_set() or self.client.capabilities_known():
            return
        self.probing.set()
        threading.Thread(target=self._probe, name="caigunn-probe", daemon=True).start()

    def _probe(self) -> None:
        # The write that needs the answer asks again, and reports a failure in its terms.
        with contextlib.suppress(CaiGunnError):
            self.client.capabilities()

    def first_refusal(self) -> bool:
        """True for the run's first refused token, False after (safe under threads)."""
        with self.refusing:
            first, self.refused = not self.refused, True
            return first


class Runtime:
    """One Context per (API URL, token, timeout), made on first use; safe under threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._contexts: dict[tuple[str, str, float], Context] = {}
        # One limit on requests in flight per account, shared by every kind's provider and thread.
        self.limits = AccountLimits()

    def context_for(self, config: ProviderConfig) -> Context:
        """The Context for this configuration (one client and listing per account and run)."""
        key = (config.api_url, config.token, config.timeout)
        with self._lock:
            found = self._contexts.get(key)
            if found is None:
                client = CaiGunnClient(
                    config.api_url,
                    config.token,
                    timeout=config.timeout,
                    limits=self.limits,
                    max_concurrency=config.max_concurrency,
                )
                found = Context(
                    client, Listing(client.list_chatbots_page), token_source=config.token_source
                )
                self._contexts[key] = found
            return found

    def close(self) -> None:
        """Close every client (a provider process simply ends; tests call this)."""
        with self._lock:
            for context in self._contexts.values():
                context.client.close()
            self._contexts.clear()


_process_lock = threading.Lock()
_process_runtime: Runtime | None = None


def process_runtime() -> Runtime:
    """The provider process's one Runtime, shared by every kind's provider (made on first use).

    Providers made by tests are handed a Runtime of their own instead, so nothing here is ever
    reset by a test.
    """
    global _process_runtime
    with _process_lock:
        if _process_runtime is None:
            _process_runtime = Runtime()
        return _process_runtime
