"""An upload or a crawl whose POST lost its answer, or whose event CaiGunn forgot (issue 28).

A file's or a website's POST is never sent again in the run that lost its answer (a 5xx, a
timeout, a dropped connection after the request left): CaiGunn may be at work on it, and its rows
arrive later, in a number nobody knows. The item records the attempt instead (`attempt`: when,
the rows' type, and the chatbot's rows of that type before it), as a partial create, and no
training starts in that run, since the Training depends on the item. The next run resolves it
(`resolve`): once the chatbot's rows of that type have stayed as they are for the settle time
(`caigunn:settleTime`), and every other job of that chatbot and type this run knows of has ended,
the rows of that type that are neither in the attempt's "before", nor held by another item, nor
made by another known job are the attempt's. None: the item is posted again, once.

The rows before an attempt are read once per chatbot and run (`Jobs.before`); what another item of
the same chatbot posts after that read is told apart by its event, which this run registers
(`Jobs.post`). Two attempts of one chatbot and type never overlap: a POST waits while another of
the same chatbot and type is in flight, and is not sent while one is unresolved.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from caigunn_provider.chatbot_level.api import (
    COMPLETED,
    FAILED,
    Added,
    ChatbotAPI,
    Event,
    TrainingRow,
)
from caigunn_provider.errors import CaiGunnError, NotFoundError
from caigunn_provider.ids import canonical_id

T = TypeVar("T")
# The rows' type (GET /training_data) an item of each kind makes.
ROW_TYPE = {"file": "file", "website": "crawler"}
# How often the rows are read while they settle (at most; a short settle time reads more often).
POLL = 2.0


def row_ids(event: Event) -> tuple[list[str], list[str]]:
    """The rows a completed crawl or upload made, and the details of the parts that failed."""
    ids: list[str] = []
    failures: list[str] = []
    for entry in event.data.get("training_data_ids") or []:
        if isinstance(entry, dict):
            if entry.get("status") == FAILED:
                what = entry.get("filename") or "a file"
                failures.append(f"{what}: {entry.get('detail') or 'failed'}")
                continue
            entry = entry.get("id")
        canonical = canonical_id(entry)
        if canonical is not None:
            ids.append(canonical)
    return ids, failures


def new_attempt(kind: str, before: Iterable[str]) -> dict[str, Any]:
    """The record of a POST about to be sent: when, the rows' type, the rows of that type before."""
    return {"at": time.time(), "type": ROW_TYPE[kind], "before": sorted(before)}


def is_attempt(value: object) -> bool:
    """Whether value is an attempt's record (as new_attempt makes it, read back from the state)."""
    return (
        isinstance(value, dict)
        and isinstance(value.get("at"), int | float)
        and value.get("type") in ROW_TYPE.values()
        and isinstance(value.get("before"), list)
    )


@dataclass(frozen=True)
class Others:
    """What the program read in the stack's checkpoint of a chatbot's other items: the rows they
    hold, the events of their jobs, and the items whose own attempt is still unresolved."""

    ids: frozenset[str] = frozenset()
    events: frozenset[str] = frozenset()
    unresolved: frozenset[str] = frozenset()

    @classmethod
    def of(cls, value: object) -> Others:
        if not isinstance(value, dict):
            return cls()

        def strings(key: str) -> frozenset[str]:
            found = value.get(key)
            return frozenset(str(v) for v in found) if isinstance(found, list) else frozenset()

        return cls(strings("ids"), strings("events"), strings("unresolved"))


class Once(Generic[T]):
    """A value per key, made once per run: the first asker makes it, the others wait for its
    answer; a failure is not kept (a later asker tries again)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._made: dict[str, Future[T]] = {}

    def get(self, key: str, make: Callable[[], T]) -> T:
        with self._lock:
            found = self._made.get(key)
            mine = found is None
            if found is None:
                found = self._made[key] = Future()
        if mine:
            try:
                found.set_result(make())
            except BaseException as exc:
                with self._lock:
                    del self._made[key]
                found.set_exception(exc)
        return found.result()


@dataclass
class _Kind:
    """One chatbot's jobs of one row type in this run."""

    in_flight: int = 0
    events: set[str] = field(default_factory=set)
    # Items whose POST of this type lost its answer in this run (resolved by the next run).
    lost: set[str] = field(default_factory=set)


class Jobs:
    """This run's uploads and crawls, per chatbot (a run slot of the provider process)."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._rows: Once[list[TrainingRow]] = Once()
        self._kinds: dict[tuple[str, str], _Kind] = {}
        # Items whose attempt this run resolved.
        self._resolved: set[str] = set()

    def before(self, chatbot_id: str, read: Callable[[], list[TrainingRow]]) -> list[TrainingRow]:
        """The chatbot's rows, read once per run (the first asker reads, the others wait)."""
        return self._rows.get(chatbot_id, read)

    def post(
        self,
        chatbot_id: str,
        row_type: str,
        name: str,
        blocked_by: Iterable[str],
        send: Callable[[], Added],
        lost: Callable[[BaseException], bool],
    ) -> Added:
        """Send one POST of this chatbot and type, none beside it; its event registered. Not
        sent while another item's POST of that type lost its answer (in this run, or an earlier
        one and not yet resolved: `blocked_by`)."""
        with self._lock:
            kind = self._kinds.setdefault((chatbot_id, row_type), _Kind())
            self._lock.wait_for(lambda: kind.in_flight == 0)
            waiting = sorted((set(blocked_by) - self._resolved | kind.lost) - {name})
            if waiting:
                raise CaiGunnError(
                    f"{name}: not posted in this run: the POST of {', '.join(waiting)} lost its "
                    "answer, and which rows it made must be told first. Run `pulumi up` again: "
                    "it resolves that one, then posts this item."
                )
            kind.in_flight += 1
        try:
            added = send()
        except BaseException as exc:
            with self._lock:
                if lost(exc):
                    kind.lost.add(name)
                kind.in_flight -= 1
                self._lock.notify_all()
            raise
        with self._lock:
            if added.event_id:
                kind.events.add(added.event_id)
            kind.in_flight -= 1
            self._lock.notify_all()
        return added

    def resolved(self, name: str) -> None:
        """The item's attempt is resolved: another item of its chatbot and type may post."""
        with self._lock:
            self._resolved.add(name)

    def state(self, chatbot_id: str, row_type: str) -> tuple[int, set[str]]:
        """(POSTs in flight, events posted) of this chatbot and type in this run."""
        with self._lock:
            kind = self._kinds.setdefault((chatbot_id, row_type), _Kind())
            return kind.in_flight, set(kind.events)


def resolve(
    api: ChatbotAPI,
    chatbot_id: str,
    attempt: dict[str, Any],
    others: Others,
    jobs: Jobs,
    *,
    settle: float,
    timeout: float,
    say: Callable[[str], None],
) -> list[str]:
    """The rows the attempt made, once the chatbot's rows of its type have settled (sorted; []
    when it made none). CaiGunnError past `timeout` while rows still arrive or jobs still run."""
    row_type = str(attempt["type"])
    mine_not = set(attempt["before"]) | others.ids
    started = time.monotonic()
    seen: set[str] | None = None
    changed = started
    ended: dict[str, list[str]] = {}  # each known job's event, once ended: the rows it made
    while True:
        rows = {row.id for row in api.list_training_data() if row.type == row_type}
        now = time.monotonic()
        if rows != seen:
            seen, changed = rows, now
        in_flight, posted = jobs.state(chatbot_id, row_type)
        running = [e for e in sorted(posted | others.events) if e not in ended]
        for event_id in running:
            made = _made(api, event_id)
            if made is not None:
                ended[event_id] = made
        quiet = now - changed >= settle and time.time() - float(attempt["at"]) >= settle
        if quiet and not in_flight and all(e in ended for e in running):
            break
        if now - started > timeout:
            raise CaiGunnError(
                f"the chatbot's {row_type} rows were still changing after {timeout:g} s, so the "
                "rows of the upload or crawl whose answer was lost cannot be told yet; run "
                "`pulumi up` again later (nothing is posted again meanwhile)"
            )
        say(f"telling which {row_type} rows are its own ({now - started:.0f} s)")
        time.sleep(min(POLL, max(settle / 4, 0.05)))
    made_by_others = {row_id for made in ended.values() for row_id in made}
    return sorted(seen - mine_not - made_by_others)


def _made(api: ChatbotAPI, event_id: str) -> list[str] | None:
    """The rows a job made once it ended ([] if it failed, or CaiGunn no longer knows it); None
    while it runs."""
    try:
        event = api.event(event_id)
    except NotFoundError:
        return []
    if not event.ended:
        return None
    return row_ids(event)[0] if event.status == COMPLETED else []
