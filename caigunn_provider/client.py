"""HTTP client for the CaiGunn chatbot-management API: auth header, paging, retries, errors."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import InvalidHeader, NameResolutionError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from caigunn_provider.errors import (
    APIConnectionError,
    APIError,
    AuthError,
    ConfigError,
    NotFoundError,
    UnsupportedError,
    ValidationError,
)

__all__ = ["CaiGunnClient", "ChatbotSummary", "CreatedChatbot"]

T = TypeVar("T")

CHATBOT_PATH = "/api/external/user/chatbot"
PLAN_PATH = "/api/external/user/plan"
TOKEN_HEADER = "caigunn-access-token"
USER_AGENT = "caigunn-provider/0.1"

_TOKEN_ADVICE = (
    "set it with `pulumi config set --secret caigunn:accessToken <token>` or CAIGUNN_ACCESS_TOKEN"
)
_REDACTED = "<redacted>"
# Server text quoted into a message is cut here so an HTML error page does not flood the terminal.
_MAX_QUOTED = 300


@dataclass(frozen=True)
class ChatbotSummary:
    """One row of the chatbot list; plan_id is None where the server does not list it (seed)."""

    id: str
    title: str
    # The api_key is the chatbot's secret; kept out of repr so a logged row does not leak it.
    api_key: str | None = field(repr=False)
    plan_id: str | None = None


@dataclass(frozen=True)
class CreatedChatbot:
    """The answer to a create; the ids are None at seed level, which returns only the key."""

    api_key: str = field(repr=False)
    expired_at: str | None
    chatbot_id: str | None
    webchat_id: str | None


class _Malformed(Exception):
    """An answer parsed as JSON but not in the shape the API documents (internal)."""


class _CaiGunnRetry(Retry):
    """urllib3 Retry that retries a POST only where the create surely did not happen.

    A create that got a 5xx or a read timeout may have committed, so resending it could make a
    duplicate chatbot; a 429 was refused before any work, and a connect error never reached the
    server. Connect errors are retried for every method by Retry itself; read errors are retried
    only for methods in allowed_methods, which leaves POST out.
    """

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if method.upper() == "POST":
            return status_code == 429
        return super().is_retry(method, status_code, has_retry_after)

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


class CaiGunnClient:
    """One method per CaiGunn API operation; every call goes through `_request()`.

    Thread safety: requests.Session is not documented as thread-safe (its cookie jar and adapter
    pools are shared mutable state), and the Pulumi engine calls the provider from several threads,
    so each thread gets its own Session from a threading.local.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 30.0,
        retries: int = 4,
        page_size: int = 100,
        backoff_factor: float = 0.5,
        retry_after_max: int = 60,
        max_pages: int = 10_000,
    ) -> None:
        # Checked before anything else so a bad value is never echoed by requests (its
        # InvalidHeader message quotes the header value, which would be the token).
        if not isinstance(token, str) or not token.strip():
            raise ConfigError(f"no CaiGunn access token; {_TOKEN_ADVICE}")
        if token != token.strip() or any(c in token for c in "\r\n\0"):
            raise ConfigError(
                "the CaiGunn access token contains whitespace or control characters "
                f"(a copy-paste slip?); {_TOKEN_ADVICE}"
            )
        parts = urlsplit(base_url.strip()) if isinstance(base_url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            # The value is not echoed: a token pasted into the wrong setting would leak.
            raise ConfigError(
                "caigunn:apiUrl must be a URL starting with http:// or https://, such as "
                "https://caigunn-api.ap-mic.com; set it with "
                "`pulumi config set caigunn:apiUrl <url>` or CAIGUNN_API_URL"
            )
        if timeout <= 0 or retries < 0 or page_size < 1 or max_pages < 1:
            raise ConfigError(
                "timeout, page_size and max_pages must be positive and retries not negative"
            )
        self._base_url = base_url.strip().rstrip("/")
        self._token = token
        # A connect that takes longer than this is a wrong or unreachable host, not a slow server.
        self._timeout = (min(timeout, 10.0), timeout)
        self._page_size = page_size
        self._max_pages = max_pages
        self._retry = _CaiGunnRetry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            # TLS failures and the like do not heal by retrying, and after one of them we cannot
            # tell whether a POST reached the server.
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
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"CaiGunnClient(base_url={self._base_url!r})"

    def __reduce__(self) -> NoReturn:
        # Pulumi pickles (dill) provider objects into state; a client caught there would carry
        # the token into the state file, so fail loudly instead.
        raise TypeError("CaiGunnClient holds the access token and must not be pickled")

    @property
    def base_url(self) -> str:
        return self._base_url

    def close(self) -> None:
        """Close every Session this client opened, in any thread."""
        with self._sessions_lock:
            sessions, self._sessions = self._sessions, []
            # Threads that call again after close() get a fresh, tracked Session.
            self._local = threading.local()
        for session in sessions:
            session.close()

    def __enter__(self) -> CaiGunnClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- operations ---------------------------------------------------------------------------

    def iter_chatbots(self) -> Iterator[ChatbotSummary]:
        """Every chatbot of the account, each once, paging until an empty page."""
        for row in self._iter_rows(CHATBOT_PATH, "chatbots"):
            yield _summary(row)

    def list_chatbots(self) -> list[ChatbotSummary]:
        return list(self.iter_chatbots())

    def find_chatbot(self, chatbot_id: str) -> ChatbotSummary | None:
        """The listed chatbot with this id, or None; works at both API levels."""
        for bot in self.iter_chatbots():
            if bot.id == chatbot_id:
                return bot
        return None

    def find_by_api_key(self, api_key: str) -> ChatbotSummary | None:
        """The listed chatbot with this api_key (how a seed-level create learns its id)."""
        for bot in self.iter_chatbots():
            if bot.api_key == api_key:
                return bot
        return None

    def create_chatbot(self, title: str, plan_id: str) -> CreatedChatbot:
        # The seed API reads the query string, the current one reads form data; send both.
        fields = {"title": title, "plan_id": plan_id}
        return self._request("POST", CHATBOT_PATH, params=fields, data=fields, parse=_created)

    def get_chatbot(self, chatbot_id: str) -> dict[str, Any]:
        # A seed-level server has no such route; to the caller that is "no info for this id".
        return self._request(
            "GET", _chatbot_path(chatbot_id), errors={405: NotFoundError}, parse=_object
        )

    def update_chatbot(self, chatbot_id: str, *, title: str) -> None:
        self._request(
            "PUT",
            _chatbot_path(chatbot_id),
            data={"title": title},
            errors={405: UnsupportedError},
            parse=_ignore,
        )

    def delete_chatbot(self, chatbot_id: str) -> None:
        self._request(
            "DELETE", _chatbot_path(chatbot_id), errors={405: UnsupportedError}, parse=_ignore
        )

    def list_plans(self) -> list[dict[str, Any]]:
        """The account's plans; UnsupportedError at seed level (no plan route there)."""
        return list(self._iter_rows(PLAN_PATH, "plans", errors={404: UnsupportedError}))

    # --- the one place that talks HTTP --------------------------------------------------------

    def _iter_rows(
        self, path: str, key: str, *, errors: Mapping[int, type[APIError]] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Rows of a paged list, each id once.

        offset advances by the rows actually received because a server may clamp limit
        silently. Rows are deduplicated by id because the list may shift while we page, and a
        page that brings no new id ends the walk: that is how a server that ignores offset
        (and so repeats its first page forever) still terminates.
        """
        seen: set[str] = set()
        offset = 0
        for _ in range(self._max_pages):
            params = {"offset": offset, "limit": self._page_size}
            rows = self._request("GET", path, params=params, errors=errors, parse=_rows(key))
            if not rows:
                return
            fresh = 0
            for row in rows:
                if row["id"] in seen:
                    continue
                seen.add(row["id"])
                fresh += 1
                yield row
            if not fresh:
                return
            offset += len(rows)
        url = self._base_url + path
        raise APIError(
            f"gave up listing after {self._max_pages} pages of GET {url} ({len(seen)} rows): the "
            "server keeps returning new rows; it may be ignoring offset, or the account is "
            "larger than max_pages * page_size",
            status=200,
            method="GET",
            url=url,
            detail=None,
        )

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(max_retries=self._retry)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.headers["User-Agent"] = USER_AGENT
            session.headers["Accept"] = "application/json"
            self._local.session = session
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        data: Mapping[str, str] | None = None,
        errors: Mapping[int, type[APIError]] | None = None,
        parse: Callable[[Any], T],
    ) -> T:
        """Send one API call: timeouts, retries, error mapping, JSON decoding, token redaction.

        `errors` overrides the exception class for given statuses (e.g. 405 -> UnsupportedError),
        `parse` turns the decoded JSON into the caller's type and raises _Malformed otherwise.
        """
        url = self._base_url + path
        try:
            response = self._session().request(
                method,
                url,
                params=params,
                data=data,
                headers={TOKEN_HEADER: self._token},
                timeout=self._timeout,
                # A redirect would carry our custom token header to wherever it points.
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise APIConnectionError(
                self._redact(self._connection_message(method, url, exc)),
                method=method,
                url=url,
                may_have_taken_effect=not _never_sent(exc),
            ) from exc

        if response.status_code >= 300:
            self._raise_for_status(method, url, response, params, data, errors or {})

        try:
            payload: Any = response.json() if response.content.strip() else None
        except ValueError as exc:
            raise APIError(
                self._redact(
                    f"CaiGunn answered {method} {url} with {response.status_code} and a body "
                    f"that is not JSON: {_quote(response.text)}; is caigunn:apiUrl right?"
                ),
                status=response.status_code,
                method=method,
                url=url,
                detail=self._redact_detail(_clip(response.text)),
            ) from exc
        try:
            return parse(payload)
        except _Malformed as exc:
            raise APIError(
                self._redact(
                    f"unexpected answer from CaiGunn to {method} {url} "
                    f"({response.status_code}): {exc}; is caigunn:apiUrl a CaiGunn API?"
                ),
                status=response.status_code,
                method=method,
                url=url,
                detail=self._redact_detail(payload),
            ) from exc

    def _raise_for_status(
        self,
        method: str,
        url: str,
        response: requests.Response,
        params: Mapping[str, str | int] | None,
        data: Mapping[str, str] | None,
        errors: Mapping[int, type[APIError]],
    ) -> NoReturn:
        status = response.status_code
        detail = self._redact_detail(_detail(response))
        said = _format_detail(detail) or response.reason or "no detail"
        answered = f"{method} {url} answered {status}: {said}"
        retried = _retry_count(response)
        after = f", after {retried} retries" if retried else ""
        maybe_done = (
            "; the request may still have taken effect" if method in ("POST", "PUT") else ""
        )

        cls: type[APIError] = errors.get(status) or _default_class(status)
        if 300 <= status < 400:
            where = response.headers.get("Location", "?")
            message = (
                f"CaiGunn redirected {method} {url} ({status}) to {where}; redirects are not "
                "followed so the access token stays put; is caigunn:apiUrl right (https?)"
            )
        elif cls is AuthError:
            message = f"CaiGunn refused the access token ({answered}); {_TOKEN_ADVICE}"
        elif cls is ValidationError and _is_plan_not_found(detail):
            plan_id = (data or {}).get("plan_id") or (params or {}).get("plan_id")
            which = f"plan_id {plan_id!r}" if plan_id else "the plan_id"
            message = (
                f"CaiGunn rejected the request ({answered}): {which} is not a plan of this "
                "account; use the id of one of the account's plans"
            )
        elif cls is ValidationError:
            message = f"CaiGunn rejected the values sent ({answered})"
        elif cls is NotFoundError:
            message = f"CaiGunn found no such resource ({answered})"
            if url.endswith((CHATBOT_PATH, PLAN_PATH)):
                # These routes exist on every CaiGunn API; a 404 means the URL is not one.
                message += "; is caigunn:apiUrl right?"
        elif cls is UnsupportedError:
            message = (
                f"this CaiGunn API does not offer the call ({answered}); "
                "it may be an older API level"
            )
        elif status == 429:
            message = f"CaiGunn is rate-limiting requests ({answered}{after}); try again later"
        elif status >= 500:
            message = f"CaiGunn server error {status} ({answered}{after}){maybe_done}; try again"
        else:
            message = f"CaiGunn refused the request ({answered})"
        raise cls(self._redact(message), status=status, method=method, url=url, detail=detail)

    def _connection_message(self, method: str, url: str, exc: requests.RequestException) -> str:
        connect_s, read_s = self._timeout
        if isinstance(exc, requests.ReadTimeout):
            maybe = "; the request may still have taken effect" if method == "POST" else ""
            return (
                f"the CaiGunn API at {self._base_url} did not answer {method} {url} within "
                f"{read_s:g}s{maybe}; try again"
            )
        if isinstance(exc, requests.exceptions.ChunkedEncodingError | requests.ConnectionError):
            host = urlsplit(self._base_url).hostname or self._base_url
            reason = _connection_reason(exc, host, connect_s)
        else:
            reason = f"{type(exc).__name__}: {_clip(str(exc))}"
        return (
            f"could not connect to the CaiGunn API at {self._base_url}: {reason} "
            f"({method} {url}); is caigunn:apiUrl right?"
        )

    def _redact(self, text: str) -> str:
        return text.replace(self._token, _REDACTED)

    def _redact_detail(self, detail: object) -> object:
        # A server (or proxy) may echo request headers back in an error body.
        if isinstance(detail, str):
            return self._redact(detail)
        if isinstance(detail, list):
            return [self._redact_detail(item) for item in detail]
        if isinstance(detail, dict):
            return {key: self._redact_detail(value) for key, value in detail.items()}
        return detail


# --- helpers: pure functions, no I/O -----------------------------------------------------------


def _chatbot_path(chatbot_id: str) -> str:
    if not chatbot_id:
        raise ValueError("chatbot_id must be a non-empty string")
    # An id is one path segment; quoting keeps a stray '/' or '?' from reaching another route.
    return f"{CHATBOT_PATH}/{quote(chatbot_id, safe='')}"


def _default_class(status: int) -> type[APIError]:
    if status in (401, 403):
        return AuthError
    if status in (400, 422):
        return ValidationError
    if status == 404:
        return NotFoundError
    return APIError


def _detail(response: requests.Response) -> object:
    """The server's `detail`, or the body text when it is not JSON of that shape."""
    try:
        body = response.json()
    except ValueError:
        return _clip(response.text) or None
    if isinstance(body, dict) and "detail" in body:
        return body["detail"]
    return body


def _format_detail(detail: object) -> str:
    """FastAPI-style detail as one line: `loc.path: msg; loc.path: msg`."""
    if detail is None:
        return ""
    if isinstance(detail, str):
        return detail
    if isinstance(detail, dict) and "msg" in detail:
        loc = detail.get("loc")
        msg = str(detail["msg"])
        if isinstance(loc, list | tuple) and loc:
            return f"{'.'.join(str(part) for part in loc)}: {msg}"
        return f"{loc}: {msg}" if isinstance(loc, str) and loc else msg
    if isinstance(detail, list):
        return "; ".join(_format_detail(item) for item in detail)
    return _clip(str(detail))


def _is_plan_not_found(detail: object) -> bool:
    return isinstance(detail, str) and "plan not found" in detail.lower()


def _retry_count(response: requests.Response) -> int:
    retries = getattr(response.raw, "retries", None)
    return len(retries.history) if isinstance(retries, Retry) else 0


def _connection_reason(exc: BaseException, host: str, connect_s: float) -> str:
    """A short human reason found anywhere in the exception's chain (urllib3 nests deeply)."""
    for err in _chain(exc):
        if isinstance(err, ConnectionRefusedError):
            return "connection refused"
        if isinstance(err, NameResolutionError):
            return f"host name {host!r} could not be resolved"
        if isinstance(err, requests.ConnectTimeout):
            return f"no connection within {connect_s:g}s"
        if isinstance(err, requests.exceptions.SSLError):
            return f"TLS error ({_clip(str(err.args[0] if err.args else err))})"
        if isinstance(err, ConnectionResetError | requests.exceptions.ChunkedEncodingError):
            return "the connection was dropped"
    return _clip(str(exc))


def _never_sent(exc: BaseException) -> bool:
    """Whether the request provably never reached the server (no connection was made)."""
    return any(
        isinstance(err, ConnectionRefusedError | NameResolutionError | requests.ConnectTimeout)
        for err in _chain(exc)
    )


def _chain(exc: BaseException) -> Iterator[BaseException]:
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


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_QUOTED else text[:_MAX_QUOTED] + "..."


def _quote(text: str) -> str:
    return repr(_clip(text)) if text.strip() else "(empty)"


# --- parsers: JSON -> our types; raise _Malformed on a shape the API does not document ---------


def _object(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise _Malformed(f"expected a JSON object, got {type(payload).__name__}")
    return payload


def _ignore(payload: Any) -> None:
    return None


def _rows(key: str) -> Callable[[Any], list[dict[str, Any]]]:
    def parse(payload: Any) -> list[dict[str, Any]]:
        rows = _object(payload).get(key)
        if not isinstance(rows, list):
            raise _Malformed(f"expected a {key!r} list")
        for row in rows:
            if not isinstance(row, dict) or not isinstance(row.get("id"), str | int):
                raise _Malformed(f"a {key!r} entry has no id: {_clip(repr(row))}")
            if isinstance(row["id"], int):
                row["id"] = str(row["id"])
        return rows

    return parse


def _optional_str(row: Mapping[str, Any], key: str) -> str | None:
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, str | int):
        return str(value)
    raise _Malformed(f"{key!r} is not a string: {_clip(repr(value))}")


def _summary(row: Mapping[str, Any]) -> ChatbotSummary:
    title = row.get("title")
    return ChatbotSummary(
        id=str(row["id"]),
        title=title if isinstance(title, str) else "",
        api_key=row["api_key"] if isinstance(row.get("api_key"), str) else None,
        plan_id=row["plan_id"] if isinstance(row.get("plan_id"), str) else None,
    )


def _created(payload: Any) -> CreatedChatbot:
    body = _object(payload)
    api_key = body.get("api_key")
    if not isinstance(api_key, str) or not api_key:
        raise _Malformed("the create answer has no api_key")
    return CreatedChatbot(
        api_key=api_key,
        expired_at=_optional_str(body, "expired_at"),
        chatbot_id=_optional_str(body, "chatbot_id"),
        webchat_id=_optional_str(body, "webchat_id"),
    )
