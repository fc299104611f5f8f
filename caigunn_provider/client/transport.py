"""Sends one CaiGunn request: a session per thread, the retry policy, status to exception."""

from __future__ import annotations

import ipaddress
import json
import math
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import InvalidHeader, NameResolutionError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from caigunn_provider.client.limits import (
    MIN_PAUSE_AFTER_429,
    AccountLimiter,
    AccountLimits,
)
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
        self._retry = _Retry(
            total=retries,
            connect=retries if connect_retries is None else connect_retries,
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
        # Shared with every Transport of the same account through the caller's AccountLimits;
        # without one, this transport limits only itself.
        self.limiter = (limits or AccountLimits()).for_account(
            self.base_url, token, max_concurrency
        )
        self._retry.limiter = self.limiter
        self._retry_once = self._retry.new()
        self._retry_once.once = True
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
        except requests.RequestException as exc:
            raise APIConnectionError(
                _quoted(_connection_message(method, url, exc, self.timeout), hide),
                method=method,
                url=url,
                reached=not _never_sent(exc),
                timed_out=isinstance(exc, requests.ReadTimeout),
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
        sessions: dict[bool, requests.Session] | None = getattr(self._local, "sessions", None)
        if sessions is None:
            sessions = self._local.sessions = {}
        session = sessions.get(once)
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(max_retries=self._retry_once if once else self._retry)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.headers["User-Agent"] = USER_AGENT
            session.headers["Accept"] = "application/json"
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
        retried = _retry_count(response)
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
    return _clip(_hidden(text, hide), limit=3 * _MAX_QUOTED)


def _redact_detail(detail: object, hide: tuple[str, ...]) -> object:
    # A server (or a proxy) may echo request headers back in an error body.
    if isinstance(detail, str):
        return _clip(_hidden(detail, hide))
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
        return _clip(_hidden(_text(body, response), hide)) or None
    if isinstance(payload, dict) and "detail" in payload:
        return payload["detail"]
    return payload


def _format_detail(detail: object) -> str:
    """FastAPI-style detail as one line: `loc.path: msg; loc.path: msg`."""
    if detail is None:
        return ""
    if isinstance(detail, str):
        return _clip(detail)
    if isinstance(detail, dict) and "msg" in detail:
        loc, msg = detail.get("loc"), str(detail["msg"])
        if isinstance(loc, list | tuple) and loc:
            return f"{'.'.join(str(part) for part in loc)}: {msg}"
        return msg
    if isinstance(detail, list):
        return _clip("; ".join(_format_detail(item) for item in detail))
    return _clip(str(detail))


def _retry_count(response: requests.Response) -> int:
    retries = getattr(response.raw, "retries", None)
    return len(retries.history) if isinstance(retries, Retry) else 0


def _connection_message(
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
            return f"{method} {url}: TLS error ({_clip(str(err.args[0] if err.args else err))})"
    if _dropped(exc):
        return f"{method} {url}: the connection dropped before a complete answer came"
    return f"{method} {url}: {type(exc).__name__}: {_clip(str(exc))}"


def _dropped(exc: BaseException) -> bool:
    return any(
        isinstance(err, ConnectionResetError | requests.exceptions.ChunkedEncodingError)
        or type(err).__name__ in ("ProtocolError", "IncompleteRead", "RemoteDisconnected")
        for err in _chain(exc)
    )


def _never_sent(exc: BaseException) -> bool:
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


def _safe_url(url: str) -> str:
    """A URL without user info or query, short: safe to show even if a secret was pasted in it."""
    parts = urlsplit(url.strip()) if isinstance(url, str) else None
    if parts is None or not parts.scheme or not parts.hostname:
        return "(not a URL)"
    port = f":{parts.port}" if _port(parts.port) else ""
    return _clip(f"{parts.scheme}://{parts.hostname}{port}{parts.path}", limit=120)


def _port(port: object) -> bool:
    return isinstance(port, int)


def _clip(text: str, limit: int = _MAX_QUOTED) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."


def _quote(text: str) -> str:
    return repr(_clip(text)) if text.strip() else "(empty)"
