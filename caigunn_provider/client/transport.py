"""Sends one CaiGunn request: a session per thread, the retry policy, status to exception."""

from __future__ import annotations

import ipaddress
import json
import math
import re
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar
from urllib.parse import urlsplit

from caigunn_provider.client.limits import AccountLimits
from caigunn_provider.errors import (
    APIConnectionError,
    APIError,
    AuthError,
    ConfigError,
    MalformedAnswerError,
    NotFoundError,
    ValidationError,
)
from caigunn_provider.version import __version__

if TYPE_CHECKING:
    import requests

    from caigunn_provider.client.http import Policy

__all__ = [
    "MAX_ANSWER_BYTES",
    "MAX_ANSWER_DEPTH",
    "MIN_TOKEN_LENGTH",
    "Malformed",
    "Transport",
    "is_sendable_token",
    "redact",
    "token_may_travel_to",
]

T = TypeVar("T")

TOKEN_HEADER = "caigunn-access-token"
USER_AGENT = f"caigunn-provider/{__version__}"
REDACTED = "<redacted>"
# The largest answer read (bytes after decompression): a larger one is a MalformedAnswerError,
# found while streaming, so it is never held whole.
MAX_ANSWER_BYTES = 16 * 1024 * 1024
# The deepest JSON nesting accepted: CaiGunn's answers nest a few levels; deeper is not its shape.
MAX_ANSWER_DEPTH = 64
# Shorter than this is no CaiGunn token (a slip); such a token is redacted only where it stands
# alone, since replacing each of its occurrences inside words would garble every message.
MIN_TOKEN_LENGTH = 8
_CHUNK = 64 * 1024
# Server text quoted into a message is cut here, so an HTML error page cannot flood a terminal.
_MAX_QUOTED = 300
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


class Malformed(Exception):
    """Raised by a parser: the answer is JSON but not in the shape the API documents."""


class _TooLarge(Exception):
    """The answer is larger than MAX_ANSWER_BYTES."""


def redact(text: str, token: str) -> str:
    """text with every whole occurrence of token replaced by <redacted>, nothing else changed.

    A token shorter than MIN_TOKEN_LENGTH is replaced only where it stands alone (between spaces,
    quotes or the ends of the text), never inside a word: "http" stays "http" with the token "t".
    """
    if not token:
        return text
    if len(token) >= MIN_TOKEN_LENGTH:
        return text.replace(token, REDACTED)
    alone = rf"(?<![^\s'\"`]){re.escape(token)}(?![^\s'\"`])"
    return re.sub(alone, REDACTED, text)


def is_sendable_token(token: object) -> bool:
    """Whether token can travel in an HTTP header as is: printable ASCII, no spaces."""
    return (
        isinstance(token, str)
        and bool(token)
        and token.isascii()
        and all(33 <= ord(char) <= 126 for char in token)
    )


def token_may_travel_to(url: str) -> bool:
    """Whether the token may be sent to url: https anywhere, plain http to loopback only."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return bool(parts.hostname)
    if parts.scheme != "http" or not parts.hostname:
        return False
    return is_loopback_host(parts.hostname)


def is_loopback_host(host: str) -> bool:
    """Whether a URL's host is this machine: localhost by name, or a loopback address."""
    if host.casefold() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Transport:
    """The one place that talks HTTP to CaiGunn.

    requests.Session is not documented as thread-safe and callers use one client from several
    threads, so each thread gets its own Session.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 30.0,
        retries: int = 4,
        connect_retries: int | None = None,
        backoff_factor: float = 0.5,
        retry_after_max: int = 60,
        limits: AccountLimits | None = None,
        max_concurrency: int | None = None,
    ) -> None:
        # Checked first: requests would quote an unsendable header value (the token) in its error.
        if not is_sendable_token(token):
            raise ConfigError("the access token cannot be sent in an HTTP header as it is")
        if not token_may_travel_to(base_url):
            raise ConfigError(f"the access token is not sent to {_safe_url(base_url)}")
        if not (math.isfinite(timeout) and timeout > 0) or retries < 0:
            raise ConfigError("the timeout must be positive and the retries not negative")
        self.base_url = base_url.rstrip("/")
        self._token = token
        # A connect that takes longer than this is a wrong or unreachable host, not a slow server.
        self.timeout = (min(timeout, 10.0), timeout)
        # The retry policy and the HTTP library behind it are loaded on the first request: a
        # process that sends none (a provider diffing an unchanged stack) never imports them.
        self._policy_options: dict[str, Any] = {
            "retries": retries,
            "connect_retries": retries if connect_retries is None else connect_retries,
            "backoff_factor": backoff_factor,
            "retry_after_max": retry_after_max,
        }
        self._policy: Policy | None = None
        # Shared with every Transport of the same account through the caller's AccountLimits;
        # without one, this transport limits only itself.
        self.limiter = (limits or AccountLimits()).for_account(
            self.base_url, token, max_concurrency
        )
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r})"

    def __reduce__(self) -> NoReturn:
        # A caller that pickles its objects into saved state (dill) would carry the token into
        # that state, so fail loudly instead.
        raise TypeError("a CaiGunn transport holds the access token and must not be pickled")

    def close(self) -> None:
        """Close every Session this transport opened, in any thread."""
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
            self._local = threading.local()
        for session in sessions:
            session.close()

    def send(
        self,
        method: str,
        path: str,
        *,
        parse: Callable[[Any], T],
        params: Mapping[str, str | int] | None = None,
        data: Mapping[str, str] | bytes | None = None,
        errors: Mapping[int, type[APIError]] | None = None,
        once: bool = False,
        headers: Mapping[str, str] | None = None,
        secrets: tuple[str, ...] = (),
    ) -> T:
        """Send one call and return parse(decoded JSON); every failure is a CaiGunnError.

        `errors` picks the exception class for given statuses (405 -> UnsupportedError, say);
        `parse` raises Malformed on a shape the API does not document. `once` sends any method
        as a POST is sent: again only when it surely never arrived (for calls that are not
        idempotent, whatever their method). `headers` are sent beside the token (a chatbot's
        api-key; a body's Content-Type when `data` is encoded bytes). `secrets` (an api-key) are
        redacted from failures like the token, before any text is clipped.
        """
        from caigunn_provider.client import http

        url = self.base_url + path
        hide = (self._token, *secrets)
        try:
            with self.limiter.slot():
                response = self._session(once).request(
                    method,
                    url,
                    params=params,
                    data=data,
                    headers={**(headers or {}), TOKEN_HEADER: self._token},
                    timeout=self.timeout,
                    # A redirect would carry the token header to wherever it points.
                    allow_redirects=False,
                    # Read in chunks below, so that an answer over the cap is never held whole.
                    stream=True,
                )
                try:
                    body: bytes | None = _read_capped(response)
                except _TooLarge:
                    body = None
                finally:
                    response.close()
            if response.status_code != 429:
                self.limiter.answered()
        except http.RequestException as exc:
            raise APIConnectionError(
                _quoted(http.connection_message(method, url, exc, self.timeout), hide),
                method=method,
                url=url,
                reached=not http.never_sent(exc),
                timed_out=http.is_read_timeout(exc),
            ) from exc
        if response.status_code >= 300:
            self._raise_for_status(method, url, response, body, errors or {}, hide)
        try:
            if body is None:
                raise Malformed(f"a body larger than {_MIB} MiB, the most an answer may be")
            payload: Any = _decode_json(body) if body.strip() else None
            return parse(payload)
        except (ValueError, Malformed) as exc:
            what = (
                f"a body that is not JSON: {_quote(_hidden(_text(body or b'', response), hide))}"
                if not isinstance(exc, Malformed)
                else str(exc)
            )
            raise MalformedAnswerError(
                _quoted(f"{method} {url} answered {response.status_code} with {what}", hide),
                status=response.status_code,
                method=method,
                url=url,
                detail=None,
            ) from None

    def _session(self, once: bool = False) -> requests.Session:
        from caigunn_provider.client import http

        sessions: dict[bool, requests.Session] | None = getattr(self._local, "sessions", None)
        if sessions is None:
            sessions = self._local.sessions = {}
        session = sessions.get(once)
        if session is None:
            with self._sessions_lock:
                if self._policy is None:
                    self._policy = http.Policy(self.limiter, **self._policy_options)
                policy = self._policy
            session = http.new_session(policy, once=once, user_agent=USER_AGENT)
            sessions[once] = session
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    def _raise_for_status(
        self,
        method: str,
        url: str,
        response: requests.Response,
        body: bytes | None,
        errors: Mapping[int, type[APIError]],
        hide: tuple[str, ...],
    ) -> NoReturn:
        status = response.status_code
        if body is None:
            detail: object = f"a body larger than {_MIB} MiB"
        else:
            detail = _redact_detail(_detail(body, response, hide), hide)
        cls = errors.get(status) or _default_class(status)
        if 300 <= status < 400:
            where = _safe_url(response.headers.get("Location", "?"))
            said = f"a redirect to {where}, which is not followed so that the token stays put"
        else:
            said = _format_detail(detail) or response.reason or "no detail"
        from caigunn_provider.client import http

        retried = http.retry_count(response)
        after = f" (after {retried} retries)" if retried else ""
        message = _quoted(f"{method} {url} answered {status}: {said}{after}", hide)
        raise cls(message, status=status, method=method, url=url, detail=detail)


def _hidden(text: str, hide: tuple[str, ...]) -> str:
    """text with the token and every other secret of the call redacted."""
    for secret in hide:
        text = redact(text, secret)
    return text


def _quoted(text: str, hide: tuple[str, ...]) -> str:
    # Redact before clipping: a clipped secret would no longer match and would leak in part.
    return clip(_hidden(text, hide), limit=3 * _MAX_QUOTED)


def _redact_detail(detail: object, hide: tuple[str, ...]) -> object:
    # A server (or a proxy) may echo request headers back in an error body.
    if isinstance(detail, str):
        return clip(_hidden(detail, hide))
    if isinstance(detail, list):
        return [_redact_detail(item, hide) for item in detail]
    if isinstance(detail, dict):
        return {str(key): _redact_detail(value, hide) for key, value in detail.items()}
    return detail


# --- pure helpers ------------------------------------------------------------------------------


def _default_class(status: int) -> type[APIError]:
    if status in (401, 403):
        return AuthError
    if status in (400, 422):
        return ValidationError
    if status == 404:
        return NotFoundError
    return APIError


_MIB = MAX_ANSWER_BYTES // (1024 * 1024)


def _read_capped(response: requests.Response) -> bytes:
    """The whole body, read in chunks; _TooLarge as soon as it passes MAX_ANSWER_BYTES."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_ANSWER_BYTES:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(_CHUNK):
        size += len(chunk)
        if size > MAX_ANSWER_BYTES:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _decode_json(body: bytes) -> Any:
    """JSON from body; Malformed when it nests deeper than any CaiGunn answer does."""
    try:
        payload = json.loads(body)
    except RecursionError:
        raise Malformed(f"JSON nested deeper than {MAX_ANSWER_DEPTH} levels") from None
    if _too_deep(payload, MAX_ANSWER_DEPTH):
        raise Malformed(f"JSON nested deeper than {MAX_ANSWER_DEPTH} levels")
    return payload


def _too_deep(payload: Any, limit: int) -> bool:
    # Without recursion: what reads the value later (redaction, formatting) may recurse.
    stack: list[tuple[Any, int]] = [(payload, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: list[Any] | Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _text(body: bytes, response: requests.Response) -> str:
    # Only the start is ever shown: decoding (and guessing a charset for) 16 MiB would be waste.
    head = body[: 4 * _MAX_QUOTED]
    try:
        return head.decode(response.encoding or "utf-8", errors="replace")
    except LookupError:
        return head.decode("utf-8", errors="replace")


def _detail(body: bytes, response: requests.Response, hide: tuple[str, ...]) -> object:
    """The server's `detail`, or the body text (secrets redacted before it is clipped) when it
    is not JSON of that shape."""
    try:
        payload = _decode_json(body)
    except (ValueError, Malformed):
        return clip(_hidden(_text(body, response), hide)) or None
    if isinstance(payload, dict) and "detail" in payload:
        return payload["detail"]
    return payload


def _format_detail(detail: object) -> str:
    """FastAPI-style detail as one line: `loc.path: msg; loc.path: msg`."""
    if detail is None:
        return ""
    if isinstance(detail, str):
        return clip(detail)
    if isinstance(detail, dict) and "msg" in detail:
        loc, msg = detail.get("loc"), str(detail["msg"])
        if isinstance(loc, list | tuple) and loc:
            return f"{'.'.join(str(part) for part in loc)}: {msg}"
        return msg
    if isinstance(detail, list):
        return clip("; ".join(_format_detail(item) for item in detail))
    return clip(str(detail))


def _safe_url(url: str) -> str:
    """A URL without user info or query, short: safe to show even if a secret was pasted in it."""
    parts = urlsplit(url.strip()) if isinstance(url, str) else None
    if parts is None or not parts.scheme or not parts.hostname:
        return "(not a URL)"
    port = f":{parts.port}" if _port(parts.port) else ""
    return clip(f"{parts.scheme}://{parts.hostname}{port}{parts.path}", limit=120)


def _port(port: object) -> bool:
    return isinstance(port, int)


def clip(text: str, limit: int = _MAX_QUOTED) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


def _quote(text: str) -> str:
    return repr(clip(text)) if text.strip() else "(empty)"
