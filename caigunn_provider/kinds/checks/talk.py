"""The conversation calls of one chatbot (its api-key): talk, the conversations, their messages.

A talk is sent once and never again: after a timeout, a 5xx or even a 429 it may have been
answered, and every answer counts against the plan's `message_limit`. A talk that fails is the
caller's to report, never to repeat (talk_transport).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from caigunn_provider.chatbot_level.api import API_KEY_HEADER, CHATBOT_API, ChatbotAPI
from caigunn_provider.client import parsers
from caigunn_provider.client.transport import Malformed, Transport, is_sendable_token
from caigunn_provider.config import ProviderConfig
from caigunn_provider.errors import CaiGunnError
from caigunn_provider.kinds.checks.runner import Talk
from caigunn_provider.kinds.checks.spec import NICKNAME, UID_PREFIX

TALK = f"{CHATBOT_API}/talk"
UIDS = f"{CHATBOT_API}/uids"
MESSAGES = f"{CHATBOT_API}/messages"
UID_HEADER = "uid"

T = TypeVar("T")


@dataclass(frozen=True)
class Conversation:
    """One row of the conversation list (`GET /uids`): a uid and what its last message was.

    fields holds the row as the API gave it, for an export to write out whole.
    """

    uid: str
    nickname: str | None
    last_sent_at: str | None
    fields: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Message:
    """One message of a conversation (`GET /messages`); fields as the API gave them."""

    id: str
    created_at: str | None
    fields: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


def fresh_uid() -> str:
    """A conversation of its own for one question: the checks' prefix and a random hex."""
    return UID_PREFIX + uuid.uuid4().hex


def talk_transport(config: ProviderConfig) -> Transport:
    """A transport that sends each call once, whatever comes back (no retry at all).

    The usual transport sends a POST again after a 429 (taken as refused before any work) or
    when it never connected; for a talk nothing proves the 429 was not answered and counted, so
    the talk's own transport does not try again either.
    """
    return Transport(
        config.api_url,
        config.token,
        timeout=config.timeout,
        retries=0,
        max_concurrency=config.max_concurrency,
    )


class TalkAPI(ChatbotAPI):
    """POST /talk, GET /uids and GET /messages, beside the chatbot-level calls."""

    def talk(self, text: str, *, uid: str, nickname: str) -> str:
        """POST /talk?nickname= with the `uid` header: the chatbot's answer.

        Never sent again after a timeout or a 5xx, whatever the transport; over talk_transport,
        not after a 429 or a failed connect either (the usual transport tries those again).
        """
        body = json.dumps({"text": text}).encode()
        answer: str = self._send(
            "POST",
            TALK,
            uid=uid,
            params={"nickname": nickname},
            body=body,
            parse=_answer_text,
        )
        return answer

    def uids(
        self,
        offset: int,
        limit: int,
        start_at: datetime | None = None,
        end_at: datetime | None = None,
    ) -> list[Conversation]:
        """GET /uids: one page of the conversations, by `last_sent_at` (a server may return
        fewer rows than asked)."""
        rows: list[Conversation] = self.send(
            "GET",
            UIDS,
            params=_page(offset, limit, start_at, end_at),
            parse=parsers.rows("uids", _conversation),
        )
        return rows

    def messages(
        self,
        uid: str,
        offset: int,
        limit: int,
        start_at: datetime | None = None,
        end_at: datetime | None = None,
    ) -> list[Message]:
        """GET /messages with the `uid` header: one page of that conversation's messages."""
        rows: list[Message] = self._send(
            "GET",
            MESSAGES,
            uid=uid,
            params=_page(offset, limit, start_at, end_at),
            parse=parsers.rows("messages", _message),
        )
        return rows

    def _send(
        self,
        method: str,
        path: str,
        *,
        uid: str,
        params: Mapping[str, str],
        parse: Callable[[Any], T],
        body: bytes | None = None,
    ) -> T:
        """A call with the `uid` header beside the api-key; a POST is sent once."""
        if not is_sendable_token(uid):
            raise CaiGunnError(
                f"the conversation uid {uid!r} cannot be sent in an HTTP header as it is"
            )
        headers = {API_KEY_HEADER: self._api_key, UID_HEADER: uid}
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            return self.transport.send(
                method,
                path,
                parse=parse,
                params=params,
                data=body,
                headers=headers,
                secrets=(self._api_key,),
                once=method == "POST",
            )
        except CaiGunnError as exc:
            self._redact(exc)
            raise


def asker(api: TalkAPI) -> Talk:
    """Ask one question under a fresh uid, as the checks do (their nickname, their uid prefix)."""

    def ask(question: str) -> str:
        return api.talk(question, uid=fresh_uid(), nickname=NICKNAME)

    return ask


def is_check_conversation(conversation: Conversation) -> bool:
    """Whether the checks asked in this conversation (by their nickname or their uid prefix)."""
    return conversation.nickname == NICKNAME or conversation.uid.startswith(UID_PREFIX)


def stamp(moment: datetime) -> str:
    """A time as the API writes its own: ISO 8601 in UTC to the millisecond (cut, not rounded),
    with `Z`; start_at and end_at take it so."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- parsers --------------------------------------------------------------------------------------


def _page(
    offset: int, limit: int, start_at: datetime | None, end_at: datetime | None
) -> dict[str, str]:
    params = {"offset": str(offset), "limit": str(limit)}
    if start_at is not None:
        params["start_at"] = stamp(start_at)
    if end_at is not None:
        params["end_at"] = stamp(end_at)
    return params


def _answer_text(payload: Any) -> str:
    text = parsers._object(payload).get("text")
    if not isinstance(text, str):
        raise Malformed(f"the talk answer's 'text' is {parsers._kind(text)}, not a string")
    return text


def _conversation(row: Mapping[str, Any]) -> Conversation:
    uid = row.get("uid")
    if not isinstance(uid, str) or not uid:
        raise Malformed(f"a conversation's 'uid' is {parsers._kind(uid)}, not a string")
    return Conversation(
        uid=uid,
        nickname=_optional_text(row, "nickname", "a conversation"),
        last_sent_at=_optional_text(row, "last_sent_at", "a conversation"),
        fields=dict(row),
    )


def _message(row: Mapping[str, Any]) -> Message:
    an_id = row.get("id")
    # The API does not say of what type a message id is: a string or a whole number is one.
    if isinstance(an_id, bool) or not isinstance(an_id, str | int) or an_id == "":
        raise Malformed(f"a message's 'id' is {parsers._kind(an_id)}, not a string or a number")
    return Message(
        id=str(an_id),
        created_at=_optional_text(row, "created_at", "a message"),
        fields=dict(row),
    )


def _optional_text(row: Mapping[str, Any], key: str, what: str) -> str | None:
    value = row.get(key)
    if value is None or isinstance(value, str):
        return value
    raise Malformed(f"{what}'s {key!r} is {parsers._kind(value)}, not a string")
