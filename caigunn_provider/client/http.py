"""The HTTP library under the transport: requests and urllib3, loaded on a process's first request.

The transport's retry policy lives here with what reads the library's exceptions, so that a
process which sends nothing (the provider diffing an unchanged stack) never imports them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import requests
from requests import RequestException
from requests.adapters import HTTPAdapter
from urllib3.exceptions import InvalidHeader, NameResolutionError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from caigunn_provider.client.limits import MIN_PAUSE_AFTER_429, AccountLimiter
from caigunn_provider.client.transport import clip

__all__ = [
    "Policy",
    "RequestException",
    "connection_message",
    "is_read_timeout",
    "never_sent",
    "new_session",
    "retry_count",
]


class _Retry(Retry):
    """urllib3 Retry that retries a POST only where the create surely did not happen.

    A create that got a 5xx or a read timeout may have committed, so sending it again could make a
    second chatbot; a 429 was refused before any work, and a connect error never reached the
    server. Connect errors are retried for every method by Retry itself; read errors only for the
    methods in allowed_methods, which leaves POST out.

    Between attempts it waits as the account's limiter says: a 429 pauses every sender of the
    account (until Retry-After, else the backoff), not only this request.
    """

    limiter: AccountLimiter | None = None
    # Every method sent at most once unless refused (429) or never connected, as a POST is.
    once = False

    def new(self, **kw: Any) -> _Retry:
        retry = super().new(**kw)
        retry.limiter = self.limiter
        retry.once = self.once
        return retry

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        limiter = self.limiter
        if limiter is None:
            super().sleep(response)
            return
        if response is not None and response.status == 429:
            after = self.get_retry_after(response)
            backoff = max(self.get_backoff_time(), MIN_PAUSE_AFTER_429)
            limiter.pause(after if after is not None else backoff)
        else:
            super().sleep(response)
        limiter.wait_between_attempts()

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if self.once or method.upper() == "POST":
            return status_code == 429
        return super().is_retry(method, status_code, has_retry_after)

    def _is_method_retryable(self, method: str) -> bool:
        # Where a read error is retried: never for a call sent once (it may have been done).
        return not self.once and super()._is_method_retryable(method)

    def parse_retry_after(self, retry_after: str) -> float:
        # urllib3 accepts only whole seconds or an HTTP date; a fractional value is common enough.
        try:
            seconds = float(retry_after)
        except ValueError:
            return super().parse_retry_after(retry_after)
        if not math.isfinite(seconds):
            raise InvalidHeader(f"Invalid Retry-After header: {retry_after}")
        return min(max(seconds, 0.0), float(self.retry_after_max))

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        # A garbled Retry-After must not turn a retryable answer into a crash: fall back to backoff.
        try:
            return super().get_retry_after(response)
        except InvalidHeader:
            return None


class Policy:
    """A transport's retry policy: every method retried on a busy server and a lost connection,
    a POST (or a call sent once) only where it surely never arrived."""

    def __init__(
        self,
        limiter: AccountLimiter,
        *,
        retries: int,
        connect_retries: int,
        backoff_factor: float,
        retry_after_max: int,
    ) -> None:
        self.retry = _Retry(
            total=retries,
            connect=connect_retries,
            read=retries,
            status=retries,
            # After a TLS failure or the like we cannot tell whether a POST reached the server.
            other=0,
            redirect=0,
            allowed_methods=frozenset({"GET", "PUT", "DELETE"}),
            status_forcelist=frozenset({429, 500, 502, 503, 504}),
            backoff_factor=backoff_factor,
            backoff_jitter=backoff_factor,
            backoff_max=30.0,
            retry_after_max=retry_after_max,
            # The last error answer is mapped to our exceptions, not to urllib3's MaxRetryError.
            raise_on_status=False,
            raise_on_redirect=False,
        )
        self.retry.limiter = limiter
        self.retry_once = self.retry.new()
        self.retry_once.once = True


def new_session(policy: Policy, *, once: bool, user_agent: str) -> requests.Session:
    """A Session sending with the policy (once: as a POST is sent, whatever the method)."""
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=policy.retry_once if once else policy.retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = user_agent
    session.headers["Accept"] = "application/json"
    return session


def is_read_timeout(exc: BaseException) -> bool:
    return isinstance(exc, requests.ReadTimeout)


def retry_count(response: requests.Response) -> int:
    retries = getattr(response.raw, "retries", None)
    return len(retries.history) if isinstance(retries, Retry) else 0


def connection_message(
    method: str, url: str, exc: requests.RequestException, timeout: tuple[float, float]
) -> str:
    connect_s, read_s = timeout
    if isinstance(exc, requests.ReadTimeout):
        return f"{method} {url}: no answer within {read_s:g} s"
    host = urlsplit(url).hostname or url
    for err in _chain(exc):
        if isinstance(err, ConnectionRefusedError):
            return f"{method} {url}: connection refused"
        if isinstance(err, NameResolutionError):
            return f"{method} {url}: host name {host!r} could not be resolved"
        if isinstance(err, requests.ConnectTimeout):
            return f"{method} {url}: no connection within {connect_s:g} s"
        if isinstance(err, requests.exceptions.SSLError):
            return f"{method} {url}: TLS error ({clip(str(err.args[0] if err.args else err))})"
    if _dropped(exc):
        return f"{method} {url}: the connection dropped before a complete answer came"
    return f"{method} {url}: {type(exc).__name__}: {clip(str(exc))}"


def _dropped(exc: BaseException) -> bool:
    return any(
        isinstance(err, ConnectionResetError | requests.exceptions.ChunkedEncodingError)
        or type(err).__name__ in ("ProtocolError", "IncompleteRead", "RemoteDisconnected")
        for err in _chain(exc)
    )


def never_sent(exc: BaseException) -> bool:
    """Whether the request provably never reached the server (no connection was made)."""
    return any(
        isinstance(err, ConnectionRefusedError | NameResolutionError | requests.ConnectTimeout)
        for err in _chain(exc)
    )


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything nested in it (urllib3 wraps causes deeply)."""
    stack: list[BaseException] = [exc]
    seen: set[int] = set()
    while stack:
        err = stack.pop(0)
        if id(err) in seen:
            continue
        seen.add(id(err))
        yield err
        nested: list[object] = [*err.args, getattr(err, "reason", None)]
        nested += [err.__cause__, err.__context__]
        stack.extend(item for item in nested if isinstance(item, BaseException))
