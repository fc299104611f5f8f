"""State and rules of conversations: each chatbot's talks and their conversations, its message
limit, and which model serves it (the one its model_id named model_switch_delay_ms ago)."""

from __future__ import annotations

import sqlite3
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from caigunn_provider.emulator.answer_rules import IDK, answer, draws_idk
from caigunn_provider.emulator.exceptions import LimitExceeded, ModelNotFound
from caigunn_provider.emulator.models import PLANS, Chatbot, ChatbotBackend, iso_now

if TYPE_CHECKING:  # for types only: these import the routing table, which imports the modules
    from caigunn_provider.emulator.knobs import Knobs
    from caigunn_provider.emulator.knowledge_models import KnowledgeBackend

# Talks a chatbot may have, by plan (Basic, Pro, Enterprise); the message_limit knob overrides.
MESSAGE_LIMITS: dict[str, int] = dict(
    zip((plan.id for plan in PLANS), (1_000, 10_000, 100_000), strict=True)
)
SOURCE = "api"  # a talk through this API (the service names others: web chat, Opentalk)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS talk_conversations (
    chatbot_id TEXT NOT NULL,
    uid TEXT NOT NULL,
    nickname TEXT,
    source TEXT NOT NULL,
    last_sent TEXT NOT NULL,
    last_sent_at TEXT NOT NULL,
    last_seq INTEGER NOT NULL,
    PRIMARY KEY (chatbot_id, uid)
);
CREATE TABLE IF NOT EXISTS talk_messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    chatbot_id TEXT NOT NULL,
    uid TEXT NOT NULL,
    nickname TEXT,
    created_at TEXT NOT NULL,
    receive TEXT NOT NULL,
    send TEXT NOT NULL,
    model_id TEXT
);
CREATE INDEX IF NOT EXISTS talk_messages_of_uid ON talk_messages (chatbot_id, uid, seq);
CREATE TABLE IF NOT EXISTS model_switches (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    chatbot_id TEXT NOT NULL,
    previous_model_id TEXT,
    model_id TEXT,
    switched_at REAL NOT NULL
);
"""
_CONVERSATION_COLUMNS = "uid, nickname, source, last_sent, last_sent_at"
_MESSAGE_COLUMNS = "id, uid, nickname, created_at, receive, send, model_id"


@dataclass(frozen=True)
class Conversation:
    """One uid's conversation with a chatbot: who, through what, and its latest answer."""

    uid: str
    nickname: str | None
    source: str
    last_sent: str  # the chatbot's latest answer
    last_sent_at: str


@dataclass(frozen=True)
class Message:
    """One talk: the question the chatbot received and the answer it sent."""

    id: str
    uid: str
    nickname: str | None
    created_at: str
    receive: str
    send: str
    model_id: str | None  # the model that answered (None: no model)


@dataclass(frozen=True)
class Window:
    """Which rows of a list: between two stored times (both included, None: open), a page."""

    start: str | None
    end: str | None
    offset: int
    limit: int


def message_limit(chatbot: Chatbot, knobs: Knobs) -> int:
    """How many talks the chatbot may have: its plan's, unless the knob says otherwise."""
    if knobs.message_limit is not None:
        return knobs.message_limit
    return MESSAGE_LIMITS[chatbot.plan_id]


def _note_model_switch(conn: sqlite3.Connection, before: Chatbot, after: Chatbot) -> None:
    """Remember a change of model_id and its time (the model before keeps serving a while)."""
    previous, current = before.settings.get("model_id"), after.settings.get("model_id")
    if previous != current:
        conn.execute(
            "INSERT INTO model_switches (chatbot_id, previous_model_id, model_id, switched_at) "
            "VALUES (?, ?, ?, ?)",
            (after.id, previous, current, time.time()),
        )


class ConversationBackend:
    """Each chatbot's conversations, in the chatbot store's database."""

    def __init__(self, chatbots: ChatbotBackend) -> None:
        self._chatbots = chatbots
        with chatbots.transaction() as conn:
            conn.executescript(_SCHEMA)
        chatbots.watch_settings(_note_model_switch)

    def refuse_past_limit(self, chatbot: Chatbot, knobs: Knobs) -> None:
        """LimitExceeded (403) when the chatbot has had all the talks it may have."""
        with self._chatbots.transaction() as conn:
            _refuse_past(_talk_count(conn, chatbot.id), chatbot, knobs)

    def talk(
        self,
        knowledge: KnowledgeBackend,
        knobs: Knobs,
        chatbot_id: str,
        uid: str,
        nickname: str | None,
        text: str,
    ) -> str:
        """Answer from the model serving now, under the prompt as it is now; store the talk."""
        chatbot = self._chatbots.get_any(chatbot_id)
        model_id = self.serving_model_id(chatbot, knobs)
        try:
            model = None if model_id is None else knowledge.get_model(chatbot.id, model_id)
        except ModelNotFound:
            model = None
        texts = [] if model is None else knowledge.texts([row["id"] for row in model.training_data])
        reply = answer(text, texts, chatbot.settings.get("prompt"))
        with self._chatbots.transaction() as conn:
            talks = _talk_count(conn, chatbot.id)
            _refuse_past(talks, chatbot, knobs)  # again: another talk may have come meanwhile
            if draws_idk(knobs.talk_seed, talks, knobs.talk_idk_rate):
                reply = IDK
            _store(
                conn, chatbot.id, uid, nickname, text, reply, None if model is None else model.id
            )
        return reply

    def conversations(self, chatbot_id: str, window: Window | None = None) -> list[Conversation]:
        """The chatbot's conversations (those whose last talk is in the window), the one with
        the latest talk first."""
        window = window or Window(None, None, 0, -1)
        with self._chatbots.transaction() as conn:
            rows = conn.execute(
                f"SELECT {_CONVERSATION_COLUMNS} FROM talk_conversations WHERE chatbot_id = ?1 "
                "AND (?2 IS NULL OR last_sent_at >= ?2) AND (?3 IS NULL OR last_sent_at <= ?3) "
                "ORDER BY last_seq DESC LIMIT ?4 OFFSET ?5",
                (chatbot_id, window.start, window.end, window.limit, window.offset),
            ).fetchall()
        return [Conversation(*row) for row in rows]

    def messages(
        self,
        chatbot_id: str,
        uid: str | None,
        window: Window | None = None,
        nickname: str | None = None,
    ) -> list[Message]:
        """The uid's messages (every uid's for None) in the window, of that nickname if one is
        given, oldest first."""
        window = window or Window(None, None, 0, -1)
        with self._chatbots.transaction() as conn:
            rows = conn.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM talk_messages WHERE chatbot_id = ?1 "
                "AND (?2 IS NULL OR uid = ?2) AND (?3 IS NULL OR created_at >= ?3) "
                "AND (?4 IS NULL OR created_at <= ?4) AND (?5 IS NULL OR nickname = ?5) "
                "ORDER BY seq LIMIT ?6 OFFSET ?7",
                (chatbot_id, uid, window.start, window.end, nickname, window.limit, window.offset),
            ).fetchall()
        return [Message(*row) for row in rows]

    def talk_count(self, chatbot_id: str) -> int:
        """How many talks the chatbot has had (since its conversations were last forgotten)."""
        with self._chatbots.transaction() as conn:
            return _talk_count(conn, chatbot_id)

    def forget(self, chatbot_id: str) -> None:
        """Forget the chatbot's conversations: its talks count from zero again."""
        with self._chatbots.transaction() as conn:
            conn.execute("DELETE FROM talk_messages WHERE chatbot_id = ?", (chatbot_id,))
            conn.execute("DELETE FROM talk_conversations WHERE chatbot_id = ?", (chatbot_id,))

    def serving_model_id(self, chatbot: Chatbot, knobs: Knobs) -> str | None:
        """The model_id the chatbot had model_switch_delay_ms ago: the one before the earliest
        switch since then, else the one it has now."""
        since = time.time() - knobs.model_switch_delay_ms / 1000
        with self._chatbots.transaction() as conn:
            row = conn.execute(
                "SELECT previous_model_id FROM model_switches WHERE chatbot_id = ? "
                "AND switched_at > ? ORDER BY seq LIMIT 1",
                (chatbot.id, since),
            ).fetchone()
        model_id = row[0] if row is not None else chatbot.settings.get("model_id")
        return None if model_id is None else str(model_id)


def _talk_count(conn: sqlite3.Connection, chatbot_id: str) -> int:
    (talks,) = conn.execute(
        "SELECT COUNT(*) FROM talk_messages WHERE chatbot_id = ?", (chatbot_id,)
    ).fetchone()
    return int(talks)


def _refuse_past(talks: int, chatbot: Chatbot, knobs: Knobs) -> None:
    if talks >= message_limit(chatbot, knobs):
        raise LimitExceeded("Message limit exceeded")


def _store(
    conn: sqlite3.Connection,
    chatbot_id: str,
    uid: str,
    nickname: str | None,
    receive: str,
    send: str,
    model_id: str | None,
) -> None:
    """One talk: a message of the uid's conversation, which moves to the front of the list."""
    known = conn.execute(
        "SELECT nickname FROM talk_conversations WHERE chatbot_id = ? AND uid = ?",
        (chatbot_id, uid),
    ).fetchone()
    if nickname is None and known is not None:
        nickname = known[0]  # a talk without a nickname keeps the conversation's
    now = iso_now()
    seq = conn.execute(
        "INSERT INTO talk_messages (id, chatbot_id, uid, nickname, created_at, receive, send, "
        "model_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (str(uuid.uuid4()), chatbot_id, uid, nickname, now, receive, send, model_id),
    ).lastrowid
    conn.execute(
        "INSERT OR REPLACE INTO talk_conversations (chatbot_id, uid, nickname, source, "
        "last_sent, last_sent_at, last_seq) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (chatbot_id, uid, nickname, SOURCE, send, now, seq),
    )
