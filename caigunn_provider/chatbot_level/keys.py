"""Each chatbot's api_key in the provider process, known to every kind inside its entry without
being written into their state.

Runs in the dynamic-provider process. The Chatbot resource's own steps (its diff, create, update,
read) tell the run its chatbot's key (`remember`): a kind inside the entry is stepped after its
Chatbot, so it finds the key here without a request. Where no Chatbot step came first (a
`destroy`, a `refresh`, a `--target` run), the key is read once per chatbot and run with the
access token, as the Chatbot kind reads its chatbot (live.py).
A step recorded before the key left these resources' state still carries it (`recorded`).

The key never leaves memory: only the Chatbot's own outputs hold it in the state, as a secret.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from caigunn_provider.chatbot_level.live import live
from caigunn_provider.client.operations import CHATBOT_PATH
from caigunn_provider.dynamic.base import UNKNOWN
from caigunn_provider.dynamic.runtime import Context
from caigunn_provider.errors import NotFoundError
from caigunn_provider.ids import canonical_id

__all__ = ["ApiKeys", "keys_of", "knowable", "read_key", "remember"]


class ApiKeys:
    """The run's api_keys by chatbot id; a key not told is read once (other threads wait)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, str] = {}
        self._reading: dict[str, threading.Lock] = {}

    def remember(self, chatbot_id: str, api_key: str) -> None:
        with self._lock:
            self._keys[chatbot_id] = api_key

    def known(self, chatbot_id: str) -> str | None:
        with self._lock:
            return self._keys.get(chatbot_id)

    def key(self, chatbot_id: str, read: Callable[[], str]) -> str:
        """The chatbot's key as told this run, else read (once: a read's failure is raised to
        each caller that meets it, and the next caller reads again)."""
        with self._lock:
            found = self._keys.get(chatbot_id)
            if found is not None:
                return found
            reading = self._reading.setdefault(chatbot_id, threading.Lock())
        with reading:
            found = self.known(chatbot_id)
            if found is None:
                found = read()
                self.remember(chatbot_id, found)
            return found


def keys_of(ctx: Context) -> ApiKeys:
    """This run's ApiKeys for the context's account."""
    return ctx.slot("api keys", lambda _: ApiKeys())


def remember(ctx: Context, chatbot_id: object, api_key: object) -> None:
    """What a Chatbot step knows of its chatbot's key (ignored where either is not a real value:
    an unknown during a preview, the record of an ambiguous create)."""
    if not isinstance(chatbot_id, str) or not isinstance(api_key, str) or not api_key:
        return
    if UNKNOWN not in (chatbot_id, api_key):
        keys_of(ctx).remember(chatbot_id, api_key)


def knowable(props: dict[str, Any]) -> bool:
    """Whether the props name a chatbot whose key can be had: its id is known (not during the
    preview of its create) and canonical."""
    chatbot_id = props.get("chatbot_id")
    # The unknown sentinel is a canonical UUID itself.
    return (
        isinstance(chatbot_id, str)
        and chatbot_id != UNKNOWN
        and canonical_id(chatbot_id) == chatbot_id
    )


def read_key(ctx: Context, chatbot_id: str) -> str:
    """The chatbot's key read with the access token, as the Chatbot kind reads its chatbot
    (live.py). NotFoundError when the chatbot is gone."""
    found = live(ctx, chatbot_id)
    if found is None or not found.row.api_key:
        raise NotFoundError(
            f"chatbot {chatbot_id} no longer exists",
            status=404,
            method="GET",
            url=f"{CHATBOT_PATH}/{chatbot_id}",
            detail=None,
        )
    return found.row.api_key
