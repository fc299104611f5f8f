"""One concurrency limit per CaiGunn account, shared by every client and thread that uses it."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

DEFAULT_MAX_CONCURRENCY = 16
MAX_CONCURRENCY_LIMIT = 256
# A 429 without Retry-After still pauses the account this long (or the retry's backoff, if longer).
MIN_PAUSE_AFTER_429 = 0.25


class AccountLimiter:
    """The requests in flight to one account, and when the next one may be sent.

    The limit starts at max_concurrency. A 429 pauses every sender until its Retry-After has
    passed and halves the limit (once per pause), since the server said it has too much to do;
    the limit then grows back by one for each full window of answers that were not 429.
    """

    def __init__(
        self,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 1 <= max_concurrency <= MAX_CONCURRENCY_LIMIT:
            raise ValueError(f"max_concurrency must be 1..{MAX_CONCURRENCY_LIMIT}")
        self.max_concurrency = max_concurrency
        self._clock = clock
        self._cond = threading.Condition()
        self._limit = max_concurrency
        self._in_flight = 0
        self._not_before = 0.0
        self._answers_since_change = 0
        self._held = threading.local()

    def __repr__(self) -> str:
        return f"AccountLimiter(max_concurrency={self.max_concurrency}, limit={self._limit})"

    @property
    def limit(self) -> int:
        """How many requests may be in flight now (max_concurrency, lowered after a 429)."""
        return self._limit

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the account's slots, taken once no pause is in effect."""
        self._acquire()
        self._held.count = getattr(self._held, "count", 0) + 1
        try:
            yield
        finally:
            self._held.count -= 1
            self._release()

    def pause(self, seconds: float) -> None:
        """A 429: nobody sends before `seconds` from now; the limit halves once per pause."""
        with self._cond:
            now = self._clock()
            if now >= self._not_before:
                self._limit = max(1, self._limit // 2)
                self._answers_since_change = 0
            self._not_before = max(self._not_before, now + max(seconds, 0.0))
            self._cond.notify_all()

    def answered(self) -> None:
        """An answer other than 429: after a full window of them the limit grows by one."""
        with self._cond:
            if self._limit >= self.max_concurrency:
                return
            self._answers_since_change += 1
            if self._answers_since_change >= self._limit:
                self._limit += 1
                self._answers_since_change = 0
                self._cond.notify_all()

    def wait_between_attempts(self) -> None:
        """Called between a request's retries: give the slot up while the account waits.

        The retry then takes a slot again under the (maybe lowered) limit, after any pause.
        """
        if getattr(self._held, "count", 0) <= 0:
            self._wait_pause()
            return
        self._release()
        self._acquire()

    def _acquire(self) -> None:
        with self._cond:
            while True:
                delay = self._not_before - self._clock()
                if delay > 0:
                    self._cond.wait(delay)
                elif self._in_flight >= self._limit:
                    self._cond.wait()
                else:
                    self._in_flight += 1
                    return

    def _release(self) -> None:
        with self._cond:
            self._in_flight -= 1
            self._cond.notify_all()

    def _wait_pause(self) -> None:
        with self._cond:
            while (delay := self._not_before - self._clock()) > 0:
                self._cond.wait(delay)


class AccountLimits:
    """The caller's set of limiters, one per (API URL, token): hold one per process.

    The token is kept only as a hash, so this object never holds or shows it.
    """

    def __init__(self, max_concurrency: int = DEFAULT_MAX_CONCURRENCY) -> None:
        if not 1 <= max_concurrency <= MAX_CONCURRENCY_LIMIT:
            raise ValueError(f"max_concurrency must be 1..{MAX_CONCURRENCY_LIMIT}")
        self.max_concurrency = max_concurrency
        self._lock = threading.Lock()
        self._limiters: dict[tuple[str, str], AccountLimiter] = {}

    def __repr__(self) -> str:
        return f"AccountLimits(max_concurrency={self.max_concurrency})"

    def for_account(
        self, api_url: str, token: str, max_concurrency: int | None = None
    ) -> AccountLimiter:
        """The one limiter of this account (made on first use with max_concurrency)."""
        key = (api_url.rstrip("/"), hashlib.sha256(token.encode()).hexdigest())
        with self._lock:
            found = self._limiters.get(key)
            if found is None:
                found = AccountLimiter(max_concurrency or self.max_concurrency)
                self._limiters[key] = found
            return found
