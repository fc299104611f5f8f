"""attempts.py alone: which rows a lost upload or crawl made, and the POSTs it holds back."""

from __future__ import annotations

import threading
import time
from typing import Any, cast

import pytest

from caigunn_provider.chatbot_level.api import Added, Event, TrainingRow
from caigunn_provider.config import settle_time
from caigunn_provider.errors import APIError, CaiGunnError, ConfigError, NotFoundError
from caigunn_provider.kinds.knowledge.attempts import (
    Jobs,
    Others,
    is_attempt,
    new_attempt,
    resolve,
)
from caigunn_provider.messages import may_have_taken_effect


class Rows:
    """A chatbot's rows that grow on a schedule, and events by id."""

    def __init__(self, rows: list[TrainingRow], events: dict[str, Event] | None = None) -> None:
        self.rows = rows
        self.events = events or {}
        self.later: list[tuple[float, TrainingRow]] = []
        self.reads = 0

    def list_training_data(self) -> list[TrainingRow]:
        self.reads += 1
        now = time.monotonic()
        self.rows += [row for at, row in self.later if at <= now]
        self.later = [(at, row) for at, row in self.later if at > now]
        return list(self.rows)

    def event(self, event_id: str) -> Event:
        if event_id not in self.events:
            raise NotFoundError("gone", status=404, method="GET", url="/event", detail=None)
        return self.events[event_id]


THEIRS = "0c5b2f0e-6c1d-4b7a-9a51-3f4f6a0d9e11"


def row(id_: str, type_: str = "file") -> TrainingRow:
    return TrainingRow(id=id_, title=id_, type=type_)


def completed(ids: list[str]) -> Event:
    return Event(
        "e",
        "uploading",
        "completed",
        {"training_data_ids": [{"id": i, "filename": i} for i in ids]},
    )


NOTHING = Others()


def resolved(api: Any, attempt: dict[str, Any], others: Others = NOTHING) -> list[str]:
    return resolve(api, "c1", attempt, others, Jobs(), settle=0.2, timeout=10, say=lambda _: None)


def test_the_new_rows_of_the_attempts_type_are_its_own_once_they_settle() -> None:
    api = Rows([row("old"), row("t1", "text"), row("hand")])
    attempt = new_attempt("file", ["old", "hand"])
    api.later = [(time.monotonic() + 0.1, row("a")), (time.monotonic() + 0.25, row("b"))]

    assert resolved(api, attempt) == ["a", "b"], "rows that came late, while it settled, count"
    assert api.reads >= 3


def test_rows_held_by_other_items_or_made_by_their_jobs_are_never_taken() -> None:
    api = Rows(
        [row("mine"), row("held"), row(THEIRS), row("c1", "crawler")],
        {"e2": completed([THEIRS])},
    )
    attempt = new_attempt("file", [])
    others = Others(ids=frozenset({"held"}), events=frozenset({"e2"}))

    assert resolved(api, attempt, others) == ["mine"]


def test_a_job_still_running_holds_the_answer_back_until_it_ends() -> None:
    running = Event("e2", "uploading", "initial", {})
    api = Rows([row("mine"), row(THEIRS)], {"e2": running})
    attempt = new_attempt("file", [])
    timer = threading.Timer(0.6, lambda: api.events.update(e2=completed([THEIRS])))
    timer.start()
    started = time.monotonic()

    assert resolved(api, attempt, Others(events=frozenset({"e2"}))) == ["mine"]
    assert time.monotonic() - started >= 0.6


def test_rows_that_never_settle_are_a_failure_that_posts_nothing() -> None:
    api = Rows([])
    attempt = new_attempt("file", [])
    api.later = [(time.monotonic() + 0.05 * n, row(f"r{n}")) for n in range(1, 200)]

    with pytest.raises(CaiGunnError, match="still changing"):
        resolve(
            cast(Any, api),
            "c1",
            attempt,
            NOTHING,
            Jobs(),
            settle=0.5,
            timeout=1,
            say=lambda _: None,
        )


def test_an_attempt_record_is_recognised_and_others_read_safely() -> None:
    assert is_attempt(new_attempt("website", ["x"]))
    assert not is_attempt({"at": "soon", "type": "file", "before": []})
    assert not is_attempt(None)
    assert Others.of({"ids": ["a"], "events": "junk"}) == Others(ids=frozenset({"a"}))
    assert Others.of(None) == Others()


def test_a_lost_post_holds_back_the_next_post_of_its_chatbot_and_type() -> None:
    jobs = Jobs()

    def lost() -> Added:
        raise APIError("boom", status=500, method="POST", url="/training_data", detail=None)

    with pytest.raises(APIError):
        jobs.post("c1", "file", "a", [], lost, may_have_taken_effect)
    with pytest.raises(CaiGunnError, match="the POST of a lost its answer"):
        jobs.post("c1", "file", "b", [], lambda: Added(None, "e1"), may_have_taken_effect)
    # Another type, or another chatbot, is not held back.
    assert jobs.post("c1", "crawler", "c", [], lambda: Added(None, "e2"), may_have_taken_effect)
    assert jobs.post("c2", "file", "d", [], lambda: Added(None, "e3"), may_have_taken_effect)
    assert jobs.state("c2", "file") == (0, {"e3"})


def test_an_earlier_runs_unresolved_attempt_holds_back_until_this_run_resolves_it() -> None:
    jobs = Jobs()
    with pytest.raises(CaiGunnError, match="the POST of a lost its answer"):
        jobs.post("c1", "file", "b", ["a"], lambda: Added(None, "e1"), may_have_taken_effect)
    jobs.resolved("a")
    assert jobs.post("c1", "file", "b", ["a"], lambda: Added(None, "e1"), may_have_taken_effect)


def test_settle_time_is_a_checked_number_of_seconds() -> None:
    assert settle_time({}, {}) == 60
    assert settle_time({"caigunn:settleTime": "5"}, {}) == 5
    assert settle_time({}, {"CAIGUNN_SETTLE_TIME": "0.5"}) == 0.5
    with pytest.raises(ConfigError, match="caigunn:settleTime is not a number of seconds"):
        settle_time({"caigunn:settleTime": "soon"}, {})
