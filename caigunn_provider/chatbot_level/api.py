"""The chatbot-level API of one chatbot (its api-key): training data, background events.

The chatbot's own info (its model, its webhook URL) is the user-level GET of
caigunn_provider.client.operations.CaiGunnClient.get_chatbot, read with the token alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NoReturn, TypeVar

from urllib3.filepost import encode_multipart_formdata

from caigunn_provider.client import parsers
from caigunn_provider.client.transport import REDACTED, Malformed, Transport, is_sendable_token
from caigunn_provider.errors import APIError, CaiGunnError, ConfigError
from caigunn_provider.ids import is_canonical_id

T = TypeVar("T")

CHATBOT_API = "/api/external/chatbot"
API_KEY_HEADER = "api-key"
# Where an event stands: `initial` until it ends `completed` or `failed`.
COMPLETED, FAILED = "completed", "failed"
# The statuses in the user's words (`initial` cannot tell queued from running).
STATUS_WORDS = {"initial": "queued or running", COMPLETED: "done", FAILED: "failed"}

DataType = Literal["text", "file", "crawler"]


@dataclass(frozen=True)
class TrainingRow:
    """One row of a chatbot's training data: what its next training uses."""

    id: str
    title: str
    type: str


@dataclass(frozen=True)
class Added:
    """The answer to adding training data: an id at once (text) or an event to wait for."""

    id: str | None
    event_id: str | None


@dataclass(frozen=True)
class Event:
    """Where one background job (crawling, uploading, training) stands, from its latest log."""

    event_id: str
    event: str
    status: str
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ended(self) -> bool:
        return self.status in (COMPLETED, FAILED)

    @property
    def stage(self) -> str:
        """A few words for progress output, in the user's words: `training: queued or running`."""
        extra = self.data.get("stage")
        said = f"{self.event or 'background work'}: {STATUS_WORDS.get(self.status, self.status)}"
        return f"{said} ({extra})" if isinstance(extra, str) and extra else said


class ChatbotAPI:
    """The calls about one chatbot's knowledge; each carries its api-key beside the token."""

    def __init__(self, transport: Transport, api_key: str) -> None:
        if not is_sendable_token(api_key):
            raise ConfigError("the chatbot's api_key cannot be sent in an HTTP header as it is")
        self.transport = transport
        self._api_key = api_key

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.transport.base_url!r})"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a chatbot API object holds the chatbot's api_key and must not be pickled")

    # --- training data --------------------------------------------------------------------------

    def add_text(self, text: str) -> Added:
        """POST /training_data?type=text: the new row's id at once."""
        return self._add("text", data={"text": text})

    def add_file(self, filename: str, content: bytes) -> Added:
        """POST /training_data?type=file (multipart `files`): an event to wait for."""
        body, content_type = encode_multipart_formdata({"files": (filename, content)})
        return self._add("file", body=body, content_type=content_type)

    def add_website(self, url: str, single_page: bool) -> Added:
        """POST /training_data?type=crawler: an event to wait for."""
        form = {"website": url, "is_single_page": "true" if single_page else "false"}
        return self._add("crawler", data=form)

    def list_training_data(self) -> list[TrainingRow]:
        """GET /training_data: every row the chatbot's next training uses."""
        rows: list[TrainingRow] = self.send(
            "GET",
            f"{CHATBOT_API}/training_data",
            parse=parsers.rows("training_data", _training_row),
        )
        return rows

    def delete_training_data(self, row_id: str) -> None:
        """DELETE /training_data/{id}; NotFoundError when no such row is left."""
        self.send(
            "DELETE", f"{CHATBOT_API}/training_data/{checked_id(row_id)}", parse=parsers.ignore
        )

    # --- background work ------------------------------------------------------------------------

    def event(self, event_id: str) -> Event:
        """GET /event/{id}: the event as its latest log says (an ended log wins over `initial`)."""
        event: Event = self.send(
            "GET", f"{CHATBOT_API}/event/{checked_id(event_id)}", parse=_event_of(event_id)
        )
        return event

    # --- plumbing -------------------------------------------------------------------------------

    def send_json(
        self, method: str, path: str, body: Mapping[str, Any], parse: Callable[[Any], T]
    ) -> T:
        """A call whose body is JSON (the training and webhook calls)."""
        encoded = json.dumps(dict(body)).encode()
        return self.send(method, path, parse=parse, body=encoded, content_type="application/json")

    def send(
        self,
        method: str,
        path: str,
        *,
        parse: Callable[[Any], T],
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
    ) -> T:
        """One call with the api-key header; the key never reaches a message or a detail."""
        headers = {API_KEY_HEADER: self._api_key}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            return self.transport.send(
                method,
                path,
                parse=parse,
                params=params,
                data=body if body is not None else data,
                headers=headers,
                secrets=(self._api_key,),
            )
        except CaiGunnError as exc:
            self._redact(exc)
            raise

    def _add(
        self,
        kind: DataType,
        *,
        data: Mapping[str, str] | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
    ) -> Added:
        added: Added = self.send(
            "POST",
            f"{CHATBOT_API}/training_data",
            params={"type": kind},
            data=data,
            body=body,
            content_type=content_type,
            parse=_added,
        )
        return added

    def _redact(self, exc: CaiGunnError) -> None:
        # A server (or a proxy) may echo request headers back in an error body.
        exc.args = tuple(
            arg.replace(self._api_key, REDACTED) if isinstance(arg, str) else arg
            for arg in exc.args
        )
        if isinstance(exc, APIError):
            exc.detail = _redacted(exc.detail, self._api_key)


# --- parsers --------------------------------------------------------------------------------------


def _training_row(row: Mapping[str, Any]) -> TrainingRow:
    title = row.get("title")
    kind = row.get("type")
    return TrainingRow(
        id=parsers._id(row, "id"),
        title=title if isinstance(title, str) else "",
        type=kind if isinstance(kind, str) else "",
    )


def _added(payload: Any) -> Added:
    body = parsers._object(payload)
    added = Added(
        id=parsers._optional_id(body, "id"), event_id=parsers._optional_id(body, "event_id")
    )
    if added.id is None and added.event_id is None:
        raise Malformed("the answer carries neither an id nor an event_id")
    return added


def _event_of(event_id: str) -> Callable[[Any], Event]:
    def parse(payload: Any) -> Event:
        logs = parsers._object(payload).get("webhook_logs")
        if not isinstance(logs, list) or not all(isinstance(log, dict) for log in logs):
            raise Malformed("no 'webhook_logs' list of objects in the answer")
        if not logs:
            return Event(event_id, "", "initial")
        ended = [log for log in logs if log.get("status") in (COMPLETED, FAILED)]
        latest = (ended or logs)[-1]
        data = latest.get("data")
        return Event(
            event_id=event_id,
            event=str(latest.get("event") or ""),
            status=str(latest.get("status") or "initial"),
            data=data if isinstance(data, dict) else {},
        )

    return parse


def checked_id(an_id: str) -> str:
    """an_id, checked to be a canonical UUID before it goes into a path."""
    # Only a canonical UUID goes into a path: nothing else can reach another route.
    if not is_canonical_id(an_id):
        raise ValueError("an id must be a canonical lower-case UUID to be put into a URL")
    return an_id


def _redacted(detail: object, secret: str) -> object:
    if isinstance(detail, str):
        return detail.replace(secret, REDACTED)
    if isinstance(detail, list):
        return [_redacted(item, secret) for item in detail]
    if isinstance(detail, dict):
        return {str(key): _redacted(value, secret) for key, value in detail.items()}
    return detail
