"""Conversations: `POST /talk`, `GET /uids` and `GET /messages` under /api/external/chatbot, and
the test hooks that read and forget a chatbot's conversations. A talk is answered from the model
serving the chatbot and its prompt (caigunn_provider/emulator/answer_rules.py) and counts against
its message limit (caigunn_provider/emulator/conversation_models.py)."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Header, Query, Request
from pydantic import BaseModel, ConfigDict, StringConstraints
from starlette.concurrency import run_in_threadpool

from caigunn_provider.emulator.chatbot_module import JSON_BODY, Caller, ChatbotModule, ChatbotRoute
from caigunn_provider.emulator.conversation_models import (
    ConversationBackend,
    Message,
    Window,
    message_limit,
)
from caigunn_provider.emulator.exceptions import TalkFailed, TalkTimedOut
from caigunn_provider.emulator.models import ChatbotBackend, iso_time

if TYPE_CHECKING:  # for types only: these import the routing table, which imports this module
    from caigunn_provider.emulator.faults import FaultInjector
    from caigunn_provider.emulator.knobs import Knobs
    from caigunn_provider.emulator.knowledge_models import KnowledgeBackend

MESSAGE_TYPE = "text"
LOG_TYPE = "talk"

Offset = Annotated[int, Query(ge=0)]
Limit = Annotated[int, Query(ge=1)]
# A bound on last_sent_at (uids) or created_at (messages), included; without a zone it is UTC.
Moment = Annotated[datetime | None, Query()]
# The conversation's id, as the caller makes it up: not blank, 255 characters at most.
Uid = Annotated[str, Header(pattern=r"\S", max_length=255)]
Nickname = Annotated[str | None, Query(max_length=255)]


class TalkBody(BaseModel):
    """POST /talk JSON body."""

    model_config = ConfigDict(extra="ignore")

    text: Annotated[str, StringConstraints(min_length=1)]


def _stamp(moment: datetime | None) -> str | None:
    """A bound as the stored times are written (to the millisecond), so that they compare."""
    if moment is None:
        return None
    return iso_time(moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC))


def _window(
    request: Request, offset: int, limit: int, start_at: datetime | None, end_at: datetime | None
) -> Window:
    """The rows a list request asks for, after the list knobs (ignore_offset, max_limit)."""
    knobs: Knobs = request.app.state.faults.knobs
    served = limit if knobs.max_limit is None else min(limit, knobs.max_limit)
    offset = 0 if knobs.ignore_offset else offset
    return Window(_stamp(start_at), _stamp(end_at), offset, served)


def message_view(message: Message) -> dict[str, Any]:
    """One message as GET /messages shows it: the question received and the answer sent."""
    return {
        "created_at": message.created_at,
        "receive": message.receive,
        "send": message.send,
        "type": MESSAGE_TYPE,
        "id": message.id,
        "log_type": LOG_TYPE,
        "kwargs": {},
    }


class TalkResponses:
    """Handlers of the conversation routes and their test hooks."""

    def __init__(self, chatbots: ChatbotBackend) -> None:
        self._chatbots = chatbots
        self._conversations = ConversationBackend(chatbots)

    async def talk(
        self,
        request: Request,
        chatbot: Caller,
        uid: Uid,
        body: TalkBody,
        nickname: Nickname = None,
    ) -> dict[str, Any]:
        """POST /talk: the answer; the talk is stored in the uid's conversation."""
        faults: FaultInjector = request.app.state.faults
        knobs = faults.knobs
        await run_in_threadpool(self._conversations.refuse_past_limit, chatbot, knobs)
        # Waits on the event loop, not on a worker thread: a slow talk holds up nothing else.
        if knobs.talk_latency_ms > 0:
            await asyncio.sleep(knobs.talk_latency_ms / 1000)
        if faults.draw(knobs.talk_timeout_rate):
            await asyncio.sleep(knobs.talk_timeout_ms / 1000)
            raise TalkTimedOut()
        if faults.draw(knobs.talk_fail_rate):
            raise TalkFailed()
        knowledge: KnowledgeBackend = request.app.state.knowledge
        text = await run_in_threadpool(
            self._conversations.talk, knowledge, knobs, chatbot.id, uid, nickname or None, body.text
        )
        return {"text": text}

    def get_uids(
        self,
        request: Request,
        chatbot: Caller,
        offset: Offset = 0,
        limit: Limit = 30,
        start_at: Moment = None,
        end_at: Moment = None,
    ) -> dict[str, Any]:
        """GET /uids: the conversations, the one with the latest talk first."""
        window = _window(request, offset, limit, start_at, end_at)
        conversations = self._conversations.conversations(chatbot.id, window)
        return {"uids": [asdict(conversation) for conversation in conversations]}

    def get_messages(
        self,
        request: Request,
        chatbot: Caller,
        uid: Uid,
        offset: Offset = 0,
        limit: Limit = 30,
        start_at: Moment = None,
        end_at: Moment = None,
        nickname: Nickname = None,
    ) -> dict[str, Any]:
        """GET /messages: the uid's messages, oldest first."""
        window = _window(request, offset, limit, start_at, end_at)
        messages = self._conversations.messages(chatbot.id, uid, window, nickname or None)
        return {"messages": [message_view(message) for message in messages]}

    # Test hooks

    def get_conversations(self, request: Request, chatbot_id: str) -> dict[str, Any]:
        """A chatbot's talks so far, its message limit, the model serving it now and every
        conversation (latest first) with its messages (oldest first, each with its nickname and
        the model that answered)."""
        chatbot = self._chatbots.get_any(chatbot_id)
        knobs: Knobs = request.app.state.faults.knobs
        views = [
            {**asdict(conversation), "messages": []}
            for conversation in self._conversations.conversations(chatbot.id)
        ]
        by_uid = {view["uid"]: view["messages"] for view in views}
        for message in self._conversations.messages(chatbot.id, None):
            by_uid[message.uid].append(
                {
                    **message_view(message),
                    "nickname": message.nickname,
                    "model_id": message.model_id,
                }
            )
        return {
            "talks": self._conversations.talk_count(chatbot.id),
            "message_limit": message_limit(chatbot, knobs),
            "serving_model_id": self._conversations.serving_model_id(chatbot, knobs),
            "conversations": views,
        }

    def forget_conversations(self, request: Request, chatbot_id: str) -> dict[str, Any]:
        """Forget a chatbot's conversations; answers the emptied view."""
        self._chatbots.get_any(chatbot_id)
        self._conversations.forget(chatbot_id)
        return self.get_conversations(request, chatbot_id)


MODULE = ChatbotModule(
    name="talk",
    handlers=TalkResponses,
    routes=(
        ChatbotRoute(
            "POST",
            "/talk",
            "talk",
            "talk in the conversation the uid header names: {text}, the chatbot's answer",
            (
                (
                    "?nickname=Ann",
                    JSON_BODY + """-H 'uid: ticket-1' -d '{"text": "When are you open?"}'""",
                ),
            ),
        ),
        ChatbotRoute(
            "GET",
            "/uids",
            "get_uids",
            "the conversations, latest talk first: {uids: [{uid, nickname, source, last_sent, "
            "last_sent_at}]}",
            (("?offset=0&limit=30&start_at=2025-01-01T00:00:00Z", ""),),
        ),
        ChatbotRoute(
            "GET",
            "/messages",
            "get_messages",
            "the uid's messages, oldest first: {messages: [{created_at, receive, send, type, id, "
            "log_type, kwargs}]}",
            (("?offset=0&limit=30", "-H 'uid: ticket-1'"),),
        ),
    ),
    hooks=(
        ChatbotRoute(
            "GET",
            "/chatbots/{chatbot_id}/conversations",
            "get_conversations",
            "a chatbot's talks so far, its message limit, the model serving it now, and its "
            "conversations with their messages",
        ),
        ChatbotRoute(
            "DELETE",
            "/chatbots/{chatbot_id}/conversations",
            "forget_conversations",
            "forget a chatbot's conversations (its talks count from zero again)",
        ),
    ),
)
