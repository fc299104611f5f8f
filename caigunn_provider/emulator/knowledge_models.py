"""State and rules of the chatbot-level API: training data, models, events and plan limits."""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Literal, get_args

from caigunn_provider.emulator.chatbot_routes.webhook import WEBHOOK_URL
from caigunn_provider.emulator.exceptions import (
    EventNotFound,
    FileSizeLimitExceeded,
    LimitExceeded,
    ModelNotFound,
    TrainingDataNotFound,
)
from caigunn_provider.emulator.knobs import Knobs
from caigunn_provider.emulator.models import (
    PLANS,
    Chatbot,
    ChatbotBackend,
    find_plan,
    iso_now,
)
from caigunn_provider.emulator.webhooks import Delivery, WebhookSender, is_loopback_url

DataType = Literal["text", "file", "crawler"]
EventKind = Literal["crawling", "uploading", "training"]
# How a finished event ends: its status and the data of its last log.
Outcome = tuple[Literal["completed", "failed"], dict[str, Any]]

# The reference's model names; the first is the default.
ModelName = Literal[
    "PaLM2",
    "gpt-3.5-turbo",
    "gpt-4",
    "Gemini",
    "Claude 2",
    "Claude 3",
    "CaiGunn001",
    "Gemini 1.5",
]
MODEL_NAMES: tuple[str, ...] = get_args(ModelName)
DEFAULT_MODEL_NAME: ModelName = "PaLM2"
# What a chatbot's `model` shows as embedding_name: the service does not say, so one fixed name.
EMBEDDING_NAME = "text-embedding-004"
# File types an upload turns into training data; any other is "Unsupport file format".
SUPPORTED_EXTENSIONS = frozenset(
    {".pdf", ".txt", ".md", ".docx", ".doc", ".csv", ".xlsx", ".pptx", ".html", ".htm", ".json"}
)
UNSUPPORTED_FORMAT = "Unsupport file format"  # sic: the service's own words
NO_TRAINING_DATA = "Training data not found"
CHARACTER_LIMIT_EXCEEDED = "Character limit exceeded"
TEXT_TITLE_LENGTH = 30
MIB = 1024 * 1024
# Not in the plan list (the chatbot info carries it); by plan id.
TOTAL_FILE_SIZE_LIMITS: dict[str, int] = dict(
    zip((plan.id for plan in PLANS), (2 * MIB, 20 * MIB, 200 * MIB), strict=True)
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS training_data (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    chatbot_id TEXT NOT NULL,
    type TEXT NOT NULL,
    title TEXT NOT NULL,
    characters INTEGER NOT NULL,
    size INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS training_texts (
    id TEXT PRIMARY KEY,
    text TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS models (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    chatbot_id TEXT NOT NULL,
    title TEXT NOT NULL,
    model_name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    training_data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    chatbot_id TEXT NOT NULL,
    event TEXT NOT NULL,
    status TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS event_logs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    event TEXT NOT NULL,
    status TEXT NOT NULL,
    data TEXT NOT NULL,
    broadcast_status TEXT
);
"""


@dataclass(frozen=True)
class Limits:
    """What a chatbot's plan allows it."""

    character_limit: int
    crawler_limit: int
    training_limit: int
    total_file_size_limit: int


def plan_limits(plan_id: str) -> Limits:
    """The limits of a catalogue plan."""
    plan = find_plan(plan_id)
    return Limits(
        plan.character_limit,
        plan.crawler_limit,
        plan.training_limit,
        TOTAL_FILE_SIZE_LIMITS[plan.id],
    )


@dataclass(frozen=True)
class TrainingData:
    """One training-data row of a chatbot."""

    id: str
    chatbot_id: str
    type: DataType
    title: str
    characters: int  # of a text row; 0 for the others
    size: int  # bytes of a file row; 0 for the others
    created_at: str


@dataclass(frozen=True)
class TrainedModel:
    """A model trained from a chatbot's training data."""

    id: str
    chatbot_id: str
    title: str
    model_name: str
    created_at: str
    updated_at: str
    training_data: list[dict[str, str]]  # [{id, title}] of the rows it was trained on


@dataclass(frozen=True)
class EventLog:
    """One status change of an event."""

    created_at: str
    event_id: str
    event: EventKind
    status: Literal["initial", "completed", "failed"]
    data: dict[str, Any]
    # null: no webhook; "skipped": not loopback (never sent); "pending", "success", "failed".
    broadcast_status: str | None


@dataclass(frozen=True)
class UploadedFile:
    """One file of an upload: its name and size (the content itself is not kept)."""

    filename: str
    size: int


_DATA_COLUMNS = "id, chatbot_id, type, title, characters, size, created_at"
_MODEL_COLUMNS = "id, chatbot_id, title, model_name, created_at, updated_at, training_data"
_LOG_COLUMNS = "created_at, event_id, event, status, data, broadcast_status"


def _data(row: tuple[Any, ...]) -> TrainingData:
    return TrainingData(*row)


def _model(row: tuple[Any, ...]) -> TrainedModel:
    model_id, chatbot_id, title, model_name, created_at, updated_at, data = row
    return TrainedModel(
        model_id, chatbot_id, title, model_name, created_at, updated_at, json.loads(data)
    )


def _log(row: tuple[Any, ...]) -> EventLog:
    return EventLog(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5])


def _insert_data(conn: sqlite3.Connection, rows: Sequence[TrainingData]) -> None:
    conn.executemany(
        f"INSERT INTO training_data ({_DATA_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(r.id, r.chatbot_id, r.type, r.title, r.characters, r.size, r.created_at) for r in rows],
    )


def crawled_titles(website: str, single_page: bool, pages: int) -> list[str]:
    """The rows' titles a crawl yields: the URL, and for a whole site `<URL>/page-N` after it."""
    if single_page or pages == 1:
        return [website]
    base = website.rstrip("/")
    return [website, *(f"{base}/page-{n}" for n in range(2, pages + 1))]


class KnowledgeBackend:
    """Each chatbot's training data, models and events (their logs POSTed to the chatbot's
    webhook); method names follow the API's operations. Crawls, uploads and trainings finish on
    timers, `work_ms` after they start."""

    def __init__(
        self, chatbots: ChatbotBackend, knobs: Callable[[], Knobs], sender: WebhookSender
    ) -> None:
        self._chatbots = chatbots
        self._knobs = knobs
        self._sender = sender
        self._timers_lock = threading.Lock()
        self._timers: dict[str, threading.Timer] = {}
        self._closed = False
        with chatbots.transaction() as conn:
            conn.executescript(_SCHEMA)

    def close(self) -> None:
        """Cancel the background work still waiting (its events stay initial)."""
        with self._timers_lock:
            self._closed = True
            timers, self._timers = list(self._timers.values()), {}
        for timer in timers:
            timer.cancel()

    # Training data

    def create_text(self, chatbot: Chatbot, text: str) -> TrainingData:
        """Store a text row at once."""
        row = TrainingData(
            str(uuid.uuid4()),
            chatbot.id,
            "text",
            text[:TEXT_TITLE_LENGTH],
            len(text),
            0,
            iso_now(),
        )
        with self._chatbots.transaction() as conn:
            _insert_data(conn, [row])
            # The words a model trained on the row answers from: kept when the row is deleted,
            # as a model trained before the delete still knows them.
            conn.execute("INSERT INTO training_texts (id, text) VALUES (?, ?)", (row.id, text))
        return row

    def texts(self, training_data_ids: Sequence[str]) -> list[str]:
        """The texts of these rows, in this order (a file row has none, nor a crawled page that
        site_pages does not list)."""
        with self._chatbots.transaction() as conn:
            known = dict(
                conn.execute(
                    "SELECT id, text FROM training_texts "
                    "WHERE id IN (SELECT value FROM json_each(?))",
                    (json.dumps(list(training_data_ids)),),
                ).fetchall()
            )
        return [known[row_id] for row_id in training_data_ids if row_id in known]

    def create_upload(self, chatbot: Chatbot, files: Sequence[UploadedFile]) -> str:
        """Start an upload; its rows appear when its event completes. The event id."""
        limit = plan_limits(chatbot.plan_id).total_file_size_limit
        with self._chatbots.transaction() as conn:
            (stored,) = conn.execute(
                "SELECT COALESCE(SUM(size), 0) FROM training_data WHERE chatbot_id = ?",
                (chatbot.id,),
            ).fetchone()
            pending = sum(
                item["size"]
                for payload in self._pending_payloads(conn, chatbot.id, "uploading")
                for item in payload["files"]
            )
            if stored + pending + sum(f.size for f in files) > limit:
                raise FileSizeLimitExceeded()
            payload = {"files": [{"filename": f.filename, "size": f.size} for f in files]}
            event_id, deliveries = self._start(conn, chatbot.id, "uploading", payload)
        self._after_commit(deliveries, event_id)
        return event_id

    def create_crawl(self, chatbot: Chatbot, website: str, single_page: bool) -> str:
        """Start a crawl; its rows appear when its event completes. The event id."""
        titles = crawled_titles(website, single_page, self._knobs().crawl_pages)
        limit = plan_limits(chatbot.plan_id).crawler_limit
        with self._chatbots.transaction() as conn:
            (stored,) = conn.execute(
                "SELECT COUNT(*) FROM training_data WHERE chatbot_id = ? AND type = 'crawler'",
                (chatbot.id,),
            ).fetchone()
            pending = sum(
                len(payload["titles"])
                for payload in self._pending_payloads(conn, chatbot.id, "crawling")
            )
            if stored + pending + len(titles) > limit:
                raise LimitExceeded("Crawler limit exceeded")
            event_id, deliveries = self._start(conn, chatbot.id, "crawling", {"titles": titles})
        self._after_commit(deliveries, event_id)
        return event_id

    def get_all_training_data(self, chatbot_id: str) -> list[TrainingData]:
        """The chatbot's rows, oldest first: what the next training uses."""
        with self._chatbots.transaction() as conn:
            return self._all_data(conn, chatbot_id)

    def delete_training_data(self, chatbot_id: str, training_data_id: str) -> None:
        """Delete one of the chatbot's rows; TrainingDataNotFound if it has none with this id."""
        with self._chatbots.transaction() as conn:
            deleted = conn.execute(
                "DELETE FROM training_data WHERE chatbot_id = ? AND id = ?",
                (chatbot_id, training_data_id),
            ).rowcount
        if not deleted:
            raise TrainingDataNotFound()

    # Models

    def create_model(self, chatbot: Chatbot, title: str, model_name: str) -> str:
        """Start a training on all the chatbot's current training data. The event id."""
        limit = plan_limits(chatbot.plan_id).training_limit
        with self._chatbots.transaction() as conn:
            (trainings,) = conn.execute(
                "SELECT COUNT(*) FROM events WHERE chatbot_id = ? AND event = 'training'",
                (chatbot.id,),
            ).fetchone()
            if trainings >= limit:
                raise LimitExceeded("Training limit exceeded")
            rows = self._all_data(conn, chatbot.id)
            payload = {
                "title": title,
                "model_name": model_name,
                "training_data": [{"id": row.id, "title": row.title} for row in rows],
                "characters": sum(row.characters for row in rows),
                "character_limit": plan_limits(chatbot.plan_id).character_limit,
            }
            event_id, deliveries = self._start(conn, chatbot.id, "training", payload)
        self._after_commit(deliveries, event_id)
        return event_id

    def get_all_models(self, chatbot_id: str) -> list[TrainedModel]:
        """The chatbot's trained models, oldest first."""
        with self._chatbots.transaction() as conn:
            rows = conn.execute(
                f"SELECT {_MODEL_COLUMNS} FROM models WHERE chatbot_id = ? ORDER BY seq",
                (chatbot_id,),
            ).fetchall()
        return [_model(row) for row in rows]

    def get_model(self, chatbot_id: str, model_id: str) -> TrainedModel:
        """One of the chatbot's models; ModelNotFound otherwise."""
        for model in self.get_all_models(chatbot_id):
            if model.id == model_id:
                return model
        raise ModelNotFound()

    def model_in_use(self, chatbot: Chatbot) -> TrainedModel | None:
        """The model the chatbot's model_id setting names, if it is one of its models."""
        model_id = chatbot.settings.get("model_id")
        if not model_id:
            return None
        try:
            return self.get_model(chatbot.id, str(model_id))
        except ModelNotFound:
            return None

    # Events

    def get_event(self, chatbot_id: str, event_id: str) -> list[EventLog]:
        """The event's logs, oldest first; EventNotFound if the chatbot has no such event."""
        with self._chatbots.transaction() as conn:
            known = conn.execute(
                "SELECT 1 FROM events WHERE chatbot_id = ? AND id = ?", (chatbot_id, event_id)
            ).fetchone()
            if known is None:
                raise EventNotFound()
            rows = conn.execute(
                f"SELECT {_LOG_COLUMNS} FROM event_logs WHERE event_id = ? ORDER BY seq",
                (event_id,),
            ).fetchall()
        return [_log(row) for row in rows]

    def all_events(self, chatbot_id: str) -> dict[str, list[EventLog]]:
        """Every event of the chatbot with its logs, oldest first (admin view)."""
        with self._chatbots.transaction() as conn:
            ids = [
                row[0]
                for row in conn.execute(
                    "SELECT id FROM events WHERE chatbot_id = ? ORDER BY seq", (chatbot_id,)
                ).fetchall()
            ]
        return {event_id: self.get_event(chatbot_id, event_id) for event_id in ids}

    # internals

    def _all_data(self, conn: sqlite3.Connection, chatbot_id: str) -> list[TrainingData]:
        rows = conn.execute(
            f"SELECT {_DATA_COLUMNS} FROM training_data WHERE chatbot_id = ? ORDER BY seq",
            (chatbot_id,),
        ).fetchall()
        return [_data(row) for row in rows]

    def _pending_payloads(
        self, conn: sqlite3.Connection, chatbot_id: str, event: EventKind
    ) -> list[dict[str, Any]]:
        rows = conn.execute(
            "SELECT payload FROM events WHERE chatbot_id = ? AND event = ? AND status = 'initial'",
            (chatbot_id, event),
        ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def _start(
        self, conn: sqlite3.Connection, chatbot_id: str, event: EventKind, payload: dict[str, Any]
    ) -> tuple[str, list[Delivery]]:
        event_id = str(uuid.uuid4())
        conn.execute(
            "INSERT INTO events (id, chatbot_id, event, status, payload) VALUES (?, ?, ?, ?, ?)",
            (event_id, chatbot_id, event, "initial", json.dumps(payload)),
        )
        delivery = self._add_log(conn, chatbot_id, event_id, event, "initial", {})
        return event_id, [delivery] if delivery else []

    def _add_log(
        self,
        conn: sqlite3.Connection,
        chatbot_id: str,
        event_id: str,
        event: EventKind,
        status: str,
        data: dict[str, Any],
    ) -> Delivery | None:
        """Store one log; the delivery to make once it is committed, if the webhook is loopback."""
        url = self._chatbots.read_extras(conn, chatbot_id)[WEBHOOK_URL]
        broadcast = None if url is None else "pending" if is_loopback_url(url) else "skipped"
        log = {
            "created_at": iso_now(),
            "event_id": event_id,
            "event": event,
            "status": status,
            "data": {"chatbot_id": chatbot_id, **data},
        }
        seq = conn.execute(
            f"INSERT INTO event_logs ({_LOG_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
            (
                *(log[key] for key in ("created_at", "event_id", "event", "status")),
                json.dumps(log["data"]),
                broadcast,
            ),
        ).lastrowid
        if broadcast != "pending" or url is None:
            return None
        return Delivery(url, log, lambda outcome: self._set_broadcast(seq, outcome))

    def _set_broadcast(self, seq: int | None, outcome: str) -> None:
        with self._timers_lock:
            if self._closed:
                return
        with self._chatbots.transaction() as conn:
            conn.execute("UPDATE event_logs SET broadcast_status = ? WHERE seq = ?", (outcome, seq))

    def _after_commit(self, deliveries: list[Delivery], event_id: str | None) -> None:
        for delivery in deliveries:
            self._sender.send(delivery)
        if event_id is not None:
            self._schedule(event_id)

    def _schedule(self, event_id: str) -> None:
        timer = threading.Timer(self._knobs().work_ms / 1000, self._finish, (event_id,))
        timer.daemon = True
        with self._timers_lock:
            if self._closed:
                return
            self._timers[event_id] = timer
        timer.start()

    def _finish(self, event_id: str) -> None:
        """Complete or fail a started event (a timer's work)."""
        with self._timers_lock:
            if self._closed:
                return
            self._timers.pop(event_id, None)
        knobs = self._knobs()
        with self._chatbots.transaction() as conn:
            chatbot_id, event, payload = conn.execute(
                "SELECT chatbot_id, event, payload FROM events WHERE id = ?", (event_id,)
            ).fetchone()
            if event == "training" and knobs.training_never_finishes:
                deliveries: list[Delivery] = []
                again: str | None = event_id
            else:
                status, data = _outcome(conn, chatbot_id, event, json.loads(payload), knobs)
                conn.execute("UPDATE events SET status = ? WHERE id = ?", (status, event_id))
                delivery = self._add_log(conn, chatbot_id, event_id, event, status, data)
                deliveries, again = ([delivery] if delivery else []), None
        self._after_commit(deliveries, again)


def _finish_crawl(
    conn: sqlite3.Connection, chatbot_id: str, payload: dict[str, Any], knobs: Knobs
) -> Outcome:
    """A crawl adds a row per page (its text from site_pages), unless fail_crawl is set."""
    if knobs.fail_crawl is not None:
        return "failed", {"detail": knobs.fail_crawl}
    now = iso_now()
    rows, texts = [], []
    for title in payload["titles"]:
        text = knobs.site_pages.get(title)
        if text == "":
            continue  # a page with nothing on it: no row
        row = TrainingData(str(uuid.uuid4()), chatbot_id, "crawler", title, len(text or ""), 0, now)
        rows.append(row)
        if text:
            texts.append((row.id, text))
    _insert_data(conn, rows)
    conn.executemany("INSERT INTO training_texts (id, text) VALUES (?, ?)", texts)
    return "completed", {"training_data_ids": [row.id for row in rows]}


def _finish_upload(
    conn: sqlite3.Connection, chatbot_id: str, payload: dict[str, Any], knobs: Knobs
) -> Outcome:
    """An upload adds a row per supported file and names each file's fate, unless fail_upload
    is set."""
    if knobs.fail_upload is not None:
        return "failed", {"detail": knobs.fail_upload}
    now = iso_now()
    items = [_uploaded(conn, chatbot_id, file, now) for file in payload["files"]]
    return "completed", {"training_data_ids": items}


def _uploaded(
    conn: sqlite3.Connection, chatbot_id: str, file: dict[str, Any], now: str
) -> dict[str, Any]:
    """One file of a finished upload: its row, or why it has none."""
    name = file["filename"]
    if PurePosixPath(name).suffix.lower() not in SUPPORTED_EXTENSIONS:
        return {"id": None, "filename": name, "status": "failed", "detail": UNSUPPORTED_FORMAT}
    row = TrainingData(str(uuid.uuid4()), chatbot_id, "file", name, 0, file["size"], now)
    _insert_data(conn, [row])
    return {"id": row.id, "filename": name}


def _finish_training(
    conn: sqlite3.Connection, chatbot_id: str, payload: dict[str, Any], knobs: Knobs
) -> Outcome:
    """A training makes a model, unless fail_training is set or the data will not do."""
    detail = knobs.fail_training
    if detail is None and not payload["training_data"]:
        detail = NO_TRAINING_DATA
    if detail is None and payload["characters"] > payload["character_limit"]:
        detail = CHARACTER_LIMIT_EXCEEDED
    if detail is not None:
        return "failed", {"detail": detail}
    model_id, now = str(uuid.uuid4()), iso_now()
    conn.execute(
        f"INSERT INTO models ({_MODEL_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            model_id,
            chatbot_id,
            payload["title"],
            payload["model_name"],
            now,
            now,
            json.dumps(payload["training_data"]),
        ),
    )
    ids = [item["id"] for item in payload["training_data"]]
    return "completed", {"model_id": model_id, "training_data_ids": ids}


def _outcome(
    conn: sqlite3.Connection,
    chatbot_id: str,
    event: EventKind,
    payload: dict[str, Any],
    knobs: Knobs,
) -> Outcome:
    """Make the rows (or the model) of a finished event; its final status and log data."""
    finish = {
        "crawling": _finish_crawl,
        "uploading": _finish_upload,
        "training": _finish_training,
    }[event]
    return finish(conn, chatbot_id, payload, knobs)
