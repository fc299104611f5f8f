"""What one provider process shares across threads for a run: the client, and each kind's slot.

Runs in the dynamic-provider process. The engine starts one such process per run, and the SDK
unpickles each provider once per process; so a Runtime lives for one run. The provider objects
hold it (never pickled: caigunn_provider/dynamic/base.py), and tests give each provider its own.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from caigunn_provider.client import AccountLimits, CaiGunnClient
from caigunn_provider.config import ProviderConfig, Source
from caigunn_provider.errors import CaiGunnError
from caigunn_provider.listing import Listing

T = TypeVar("T")


@dataclass
class Context:
    """The run's shared pieces for one (API URL, token): the client, and a slot per kind for
    what that kind's resources share in this run (made on first use by the kind itself)."""

    client: CaiGunnClient
    # Where the token came from (stack config or environment), for the words of a refusal.
    token_source: Source | None = None
    # Set by the first refusal of the token in this run: the full sentence is said once.
    refused: bool = False
    refusing: threading.Lock = field(default_factory=threading.Lock)

    # Set once the capability probe was sent ahead (probe_ahead).
    probing: threading.Event = field(default_factory=threading.Event)
    _slots: dict[str, Any] = field(default_factory=dict)
    _slotting: threading.Lock = field(default_factory=threading.Lock)

    def slot(self, key: str, make: Callable[[Context], T]) -> T:
        """The kind's own per-run state under key, made by make(self) on first use."""
        with self._slotting:
            if key not in self._slots:
                self._slots[key] = make(self)
            found: T = self._slots[key]
            return found

    def listing(self) -> Listing:
        """The account's chatbot list as this run reads it (one per account and run): the Chatbot
        kind's, and where the server cannot read a chatbot by id, every kind's way to its key."""
        return self.slot("chatbot listing", lambda made: Listing(made.client.list_chatbots_page))

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
        """The Context for this configuration (one client per account and run)."""
        key = (config.api_url, config.token, config.timeout)
        with self._lock:
            found = self._contexts.get(key)
            if found is None:
                client = config.client(limits=self.limits)
                found = Context(client, token_source=config.token_source)
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
