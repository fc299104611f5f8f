"""The access tokens: the one accepted now, its expiry, refresh, and the tokens it retired."""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, time

# The refresh's expired_date when none is given: this many days from today.
DEFAULT_REFRESH_DAYS = 30


class TokenStore:
    """Exactly one token is accepted at a time. It starts as `--token`; a refresh issues a new one
    and retires the old. The current token's expiry is a knob (`token_expires_at`), read through
    `expires_at`, so that tests and the refresh set it the same way."""

    def __init__(
        self,
        start_token: str,
        expires_at: Callable[[], datetime | None],
        set_expires_at: Callable[[datetime | None], None],
    ) -> None:
        self._lock = threading.Lock()
        self._start = start_token.encode()
        self._current = start_token.encode()
        self._expires_at = expires_at
        self._set_expires_at = set_expires_at
        self._retired = 0

    @property
    def current(self) -> str:
        """The token accepted now (the admin view of it; never logged)."""
        with self._lock:
            return self._current.decode()

    @property
    def retired(self) -> int:
        """How many tokens refreshes have retired so far."""
        with self._lock:
            return self._retired

    def refusal(self, sent: bytes | None) -> str | None:
        """Why a CaiGunn call with this token is refused, or None to serve it. The detail never
        repeats the token: logs and error reports show it."""
        if sent is None:
            return "Missing caigunn-access-token header"
        with self._lock:
            current = self._current
        if not hmac.compare_digest(sent, current):
            return "Invalid caigunn-access-token"
        expires_at = self._expires_at()
        if expires_at is not None and datetime.now(UTC) >= expires_at:
            return "caigunn-access-token has expired"
        return None

    def admin_refusal(self, sent: bytes | None) -> str | None:
        """Why an admin call is refused: it takes the start token or the current one, expired
        or not, so that a test can always reach its hooks (and set the expiry back)."""
        if sent is None:
            return "Missing caigunn-access-token header"
        with self._lock:
            known = (self._start, self._current)
        if not any(hmac.compare_digest(sent, token) for token in known):
            return "Invalid caigunn-access-token"
        return None

    def refresh(self, expired_date: date | None) -> str:
        """A new token valid until 00:00 UTC of `expired_date` (default: 30 days on); the
        old token is refused from now on."""
        if expired_date is None:
            today = datetime.now(UTC).date()
            expired_date = date.fromordinal(today.toordinal() + DEFAULT_REFRESH_DAYS)
        new = "emu-" + secrets.token_hex(24)
        with self._lock:
            self._current = new.encode()
            self._retired += 1
        self._set_expires_at(datetime.combine(expired_date, time(0), tzinfo=UTC))
        return new
