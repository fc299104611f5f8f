"""Event delivery: each event log POSTed to a loopback webhook, in order, on one thread."""

from __future__ import annotations

import json
import queue
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from caigunn_provider.emulator.settings import is_loopback

# A webhook that takes longer than this is counted as failed; the queue moves on.
DELIVERY_TIMEOUT = 5.0


def is_loopback_url(url: str) -> bool:
    """Whether the URL is http(s) to this machine, the only place the emulator ever POSTs."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and is_loopback(parts.hostname or "")


@dataclass(frozen=True)
class Delivery:
    """One log to POST, and what to call with the outcome ("success" or "failed")."""

    url: str
    log: dict[str, Any]
    done: Callable[[str], None]


class WebhookSender:
    """POSTs queued logs one at a time, so a receiver sees an event's logs in their order; a
    request never waits for it."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._thread = threading.Thread(
            target=self._run, name="caigunn-emulator-webhooks", daemon=True
        )
        self._thread.start()

    def send(self, delivery: Delivery) -> None:
        """Queue one log for delivery."""
        self._queue.put(delivery)

    def close(self) -> None:
        """Stop after the logs already queued (waiting at most a few seconds)."""
        self._queue.put(None)
        self._thread.join(timeout=DELIVERY_TIMEOUT)

    def _run(self) -> None:
        while (delivery := self._queue.get()) is not None:
            delivery.done(_post(delivery.url, delivery.log))


def _post(url: str, log: dict[str, Any]) -> str:
    request = urllib.request.Request(
        url,
        data=json.dumps(log).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT) as response:
            return "success" if 200 <= response.status < 300 else "failed"
    except (urllib.error.URLError, OSError, ValueError):
        # A receiver that is gone or answers an error is the test's business, never a crash.
        return "failed"
