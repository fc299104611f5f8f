"""State and rules of the emulated CaiGunn account: chatbots and the plan catalogue, in SQLite."""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from caigunn_provider.client.fields import DEFAULTS
from caigunn_provider.emulator.exceptions import ChatbotNotFound, PlanNotFound


@dataclass(frozen=True)
class Plan:
    """One entry of the fixed plan catalogue."""

    id: str
    title: str
    crawler_limit: int
    character_limit: int
    training_limit: int
    price: float


# Fixed ids so that stack files and tests can name plans (docs/emulator.md).
PLANS: tuple[Plan, ...] = (
    Plan("3fa85f64-5717-4562-b3fc-2c963f66afa6", "Basic", 10, 1_000_000, 20, 0.0),
    Plan("6b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "Pro", 100, 10_000_000, 200, 49.0),
    Plan("0c9d8e7f-6a5b-4c3d-9e2f-1a0b9c8d7e6f", "Enterprise", 1000, 100_000_000, 2000, 499.0),
)

# The optional chatbot settings the current API accepts on create and update, with the values a
# chatbot has when they are not given (the one table: caigunn_provider/client/fields.py),
# and the two uploaded files, kept by name.
DEFAULT_SETTINGS: Mapping[str, Any] = {**DEFAULTS, "avatar": None, "button_image": None}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS chatbots (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    webchat_id TEXT NOT NULL,
    title TEXT NOT NULL,
    plan_id TEXT NOT NULL,
    api_key TEXT NOT NULL UNIQUE,
    expired_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    is_deleted INTEGER NOT NULL DEFAULT 0,
    settings TEXT NOT NULL
)
"""

# What a chatbot has beyond its row that the API reads but no create or update form writes: its
# next plan, and a column for each value a chatbot-level module keeps (added when missing).
_EXTRAS_SCHEMA = """
CREATE TABLE IF NOT EXISTS chatbot_extras (
    chatbot_id TEXT PRIMARY KEY,
    next_plan_id TEXT
)
"""

_COLUMNS = (
    "id, webchat_id, title, plan_id, api_key, expired_at, created_at, updated_at, is_deleted, "
    "settings"
)


@dataclass(frozen=True)
class Chatbot:
    """One stored chatbot, deleted or not."""

    id: str
    webchat_id: str
    title: str
    plan_id: str
    api_key: str
    expired_at: str
    created_at: str
    updated_at: str
    is_deleted: bool
    settings: Mapping[str, Any]


# Told of every update of a chatbot, inside its transaction: the connection, the chatbot before
# and after (a chatbot-level module records what it must remember of a change, in its own table).
SettingsWatcher = Callable[[sqlite3.Connection, Chatbot, Chatbot], None]


def iso_now(offset: timedelta = timedelta(0)) -> str:
    """Now (plus offset) in UTC as ISO-8601 with milliseconds and `Z`, as the real API writes it."""
    return iso_time(datetime.now(UTC) + offset)


def iso_time(moment: datetime) -> str:
    """An aware time in UTC as ISO-8601 with milliseconds and `Z`, as the real API writes it."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def find_plan(plan_id: str) -> Plan:
    """The catalogue plan with this id (any UUID spelling), or PlanNotFound."""
    try:
        canonical = str(uuid.UUID(plan_id))
    except ValueError as exc:
        raise PlanNotFound() from exc
    for plan in PLANS:
        if plan.id == canonical:
            return plan
    raise PlanNotFound()


def _row_to_chatbot(row: tuple[Any, ...]) -> Chatbot:
    settings = {**DEFAULT_SETTINGS, **json.loads(row[9])}
    return Chatbot(
        id=row[0],
        webchat_id=row[1],
        title=row[2],
        plan_id=row[3],
        api_key=row[4],
        expired_at=row[5],
        created_at=row[6],
        updated_at=row[7],
        is_deleted=bool(row[8]),
        settings=settings,
    )


# Namespace of the endless list's synthetic ids: the same position always has the same id.
_ENDLESS_NAMESPACE = uuid.UUID("6f1d7c52-8a0e-4b5c-9d3e-2f4a6b8c0d1e")


def endless_chatbot(position: int) -> Chatbot:
    """The synthetic chatbot an endless list shows at this 0-based position (never stored)."""
    chatbot_id = str(uuid.uuid5(_ENDLESS_NAMESPACE, str(position)))
    return Chatbot(
        id=chatbot_id,
        webchat_id=chatbot_id,
        title=f"endless-{position}",
        plan_id=PLANS[0].id,
        api_key=hashlib.sha1(chatbot_id.encode(), usedforsecurity=False).hexdigest(),
        expired_at="",
        created_at="",
        updated_at="",
        is_deleted=False,
        settings=DEFAULT_SETTINGS,
    )


class ChatbotBackend:
    """The account's chatbots; method names follow the CaiGunn API's operation names."""

    def __init__(
        self,
        db_path: str | None = None,
        *,
        api_key_prefix: str = "",
        extra_columns: Sequence[str] = (),
    ) -> None:
        self._api_key_prefix = api_key_prefix
        # Per chatbot, beside its row: the next plan and the chatbot-level modules' columns.
        self._extras = ("next_plan_id", *extra_columns)
        if len(set(self._extras)) != len(self._extras):
            raise ValueError(f"a chatbot extra is named twice: {self._extras}")
        # One connection shared by the server's worker threads; the lock serialises its use,
        # which SQLite needs and which keeps every operation atomic.
        self._lock = threading.Lock()
        self._watchers: list[SettingsWatcher] = []
        self._conn = sqlite3.connect(db_path or ":memory:", check_same_thread=False)
        with self._lock, self._conn:
            if db_path:
                # WAL lets a crashed emulator's committed rows survive and keeps writes cheap.
                self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute(_SCHEMA)
            self._conn.execute(_EXTRAS_SCHEMA)
            self._add_missing_extras()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """The shared connection, under the lock and in one transaction (for the other models)."""
        with self._lock, self._conn:
            yield self._conn

    def watch_settings(self, watcher: SettingsWatcher) -> None:
        """Call watcher on every update_chatbot from now on, inside the update's transaction."""
        self._watchers.append(watcher)

    def close(self) -> None:
        """Close the database (checkpointing the WAL of a file database)."""
        with self._lock:
            self._conn.close()

    # CaiGunn operations

    def get_all_chatbots(
        self, offset: int, limit: int, *, newest_first: bool = False
    ) -> list[Chatbot]:
        """A page of live chatbots, oldest first by insertion unless newest_first."""
        order = "DESC" if newest_first else "ASC"
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM chatbots WHERE is_deleted = 0 "
                f"ORDER BY seq {order} LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
        return [_row_to_chatbot(row) for row in rows]

    def create_chatbot(
        self, title: str, plan_id: str, settings: Mapping[str, Any] | None = None
    ) -> Chatbot:
        """Store a new chatbot on a catalogue plan; PlanNotFound for an unknown plan."""
        plan = find_plan(plan_id)
        return self._insert_many([(title, plan.id, dict(settings or {}))])[0]

    def get_chatbot_info(self, chatbot_id: str) -> Chatbot:
        """The live chatbot with this id; ChatbotNotFound if unknown or deleted."""
        with self._lock:
            return self._get_live(chatbot_id)

    def update_chatbot(
        self,
        chatbot_id: str,
        *,
        title: str | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> Chatbot:
        """Change the title and/or settings of a live chatbot."""
        with self._lock, self._conn:
            current = self._get_live(chatbot_id)
            merged = {**current.settings, **(settings or {})}
            self._conn.execute(
                "UPDATE chatbots SET title = ?, settings = ?, updated_at = ? WHERE id = ?",
                (
                    title if title is not None else current.title,
                    json.dumps(merged),
                    iso_now(),
                    current.id,
                ),
            )
            updated = self._get_any(current.id)
            for watcher in self._watchers:
                watcher(self._conn, current, updated)
            return updated

    def delete_chatbot(self, chatbot_id: str) -> Chatbot:
        """Soft-delete a live chatbot: it leaves the list but stays in the table."""
        with self._lock, self._conn:
            current = self._get_live(chatbot_id)
            self._conn.execute(
                "UPDATE chatbots SET is_deleted = 1, updated_at = ? WHERE id = ?",
                (iso_now(), current.id),
            )
            return self._get_any(current.id)

    def get_all_plans(self, offset: int, limit: int) -> list[Plan]:
        """A page of the plan catalogue."""
        return list(PLANS[offset : offset + limit])

    # Emulator-only operations (test hooks)

    def all_chatbots(self) -> list[Chatbot]:
        """Every stored chatbot, deleted ones too, oldest first."""
        with self._lock:
            rows = self._conn.execute(f"SELECT {_COLUMNS} FROM chatbots ORDER BY seq").fetchall()
        return [_row_to_chatbot(row) for row in rows]

    def rename_chatbot(self, chatbot_id: str, title: str) -> Chatbot:
        """Out-of-band rename; works on deleted chatbots too, as a console edit would."""
        with self._lock, self._conn:
            current = self._get_any(chatbot_id)
            self._conn.execute(
                "UPDATE chatbots SET title = ?, updated_at = ? WHERE id = ?",
                (title, iso_now(), current.id),
            )
            return self._get_any(current.id)

    def get_any(self, chatbot_id: str) -> Chatbot:
        """The stored chatbot with this id, deleted or not; ChatbotNotFound if unknown."""
        with self._lock:
            return self._get_any(chatbot_id)

    def find_by_api_key(self, api_key: str) -> Chatbot | None:
        """The live chatbot holding this api_key, or None."""
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_COLUMNS} FROM chatbots WHERE api_key = ? AND is_deleted = 0", (api_key,)
            ).fetchone()
        return _row_to_chatbot(row) if row is not None else None

    def extras(self, chatbot_id: str) -> dict[str, Any]:
        """The chatbot's next_plan_id and module columns, by name (None when never set)."""
        with self._lock:
            return self.read_extras(self._conn, chatbot_id)

    def read_extras(self, conn: sqlite3.Connection, chatbot_id: str) -> dict[str, Any]:
        """The same, read on a connection the caller holds (see transaction)."""
        row = conn.execute(
            f"SELECT {', '.join(self._extras)} FROM chatbot_extras WHERE chatbot_id = ?",
            (chatbot_id,),
        ).fetchone()
        return dict(zip(self._extras, row or (None,) * len(self._extras), strict=True))

    def set_extras(self, chatbot_id: str, changes: Mapping[str, Any]) -> None:
        """Set some of next_plan_id and the module columns (None clears one) of any stored
        chatbot."""
        unknown = set(changes) - set(self._extras)
        if unknown:
            raise KeyError(f"not a chatbot extra: {sorted(unknown)}")
        with self._lock, self._conn:
            self._get_any(chatbot_id)
            merged = {**self.read_extras(self._conn, chatbot_id), **changes}
            self._conn.execute(
                f"INSERT OR REPLACE INTO chatbot_extras (chatbot_id, {', '.join(self._extras)}) "
                f"VALUES (?{', ?' * len(self._extras)})",
                (chatbot_id, *(merged[name] for name in self._extras)),
            )

    def set_period_end(self, chatbot_id: str, period_end_at: str) -> Chatbot:
        """Out-of-band change of when the chatbot's plan period ends (its expired_at)."""
        with self._lock, self._conn:
            current = self._get_any(chatbot_id)
            self._conn.execute(
                "UPDATE chatbots SET expired_at = ?, updated_at = ? WHERE id = ?",
                (period_end_at, iso_now(), current.id),
            )
            return self._get_any(current.id)

    def delete_first_with_prefix(
        self, prefix: str, *, newest_first: bool = False
    ) -> Chatbot | None:
        """Out-of-band delete of the live chatbot titled `prefix...` that the list shows first
        (so every later offset shifts by one); None if no live title has the prefix."""
        order = "DESC" if newest_first else "ASC"
        with self._lock, self._conn:
            row = self._conn.execute(
                f"SELECT {_COLUMNS} FROM chatbots WHERE is_deleted = 0 "
                f"AND substr(title, 1, ?) = ? ORDER BY seq {order} LIMIT 1",
                (len(prefix), prefix),
            ).fetchone()
            if row is None:
                return None
            self._conn.execute(
                "UPDATE chatbots SET is_deleted = 1, updated_at = ? WHERE id = ?",
                (iso_now(), row[0]),
            )
            return self._get_any(row[0])

    def count(self) -> int:
        """How many chatbots are stored, deleted ones included."""
        with self._lock:
            (total,) = self._conn.execute("SELECT COUNT(*) FROM chatbots").fetchone()
        return int(total)

    def preload(self, count: int) -> int:
        """Add `count` chatbots titled preloaded-0001... to an empty store; how many it added."""
        if count <= 0 or self.count() > 0:
            return 0
        rows: list[tuple[str, str, dict[str, Any]]] = [
            (f"preloaded-{n:04d}", PLANS[0].id, {}) for n in range(1, count + 1)
        ]
        return len(self._insert_many(rows))

    # internals

    def _add_missing_extras(self) -> None:
        """Add the columns a store made before a module existed lacks."""
        present = {row[1] for row in self._conn.execute("PRAGMA table_info(chatbot_extras)")}
        for name in self._extras:
            if name not in present:  # names are identifiers (ChatbotColumn checks them)
                self._conn.execute(f"ALTER TABLE chatbot_extras ADD COLUMN {name} TEXT")

    def _insert_many(self, rows: list[tuple[str, str, dict[str, Any]]]) -> list[Chatbot]:
        now = iso_now()
        expired_at = iso_now(timedelta(days=365))
        records = [
            (
                str(uuid.uuid4()),
                str(uuid.uuid4()),
                title,
                plan_id,
                self._api_key_prefix + secrets.token_hex(20),
                expired_at,
                now,
                now,
                0,
                json.dumps(settings),
            )
            for title, plan_id, settings in rows
        ]
        with self._lock, self._conn:
            self._conn.executemany(
                f"INSERT INTO chatbots ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", records
            )
        return [_row_to_chatbot(record) for record in records]

    def _get_any(self, chatbot_id: str) -> Chatbot:
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM chatbots WHERE id = ?", (chatbot_id,)
        ).fetchone()
        if row is None:
            raise ChatbotNotFound()
        return _row_to_chatbot(row)

    def _get_live(self, chatbot_id: str) -> Chatbot:
        chatbot = self._get_any(chatbot_id)
        if chatbot.is_deleted:
            raise ChatbotNotFound()
        return chatbot
