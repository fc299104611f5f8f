"""max_in_flight: a busy server answers 429 at once to a call past its limit, changing nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.support import BASIC, CHATBOT_PATH, Admin


def _all_at_once(admin: Admin, calls: list[Callable[[], requests.Response]]) -> list[Any]:
    """Send every call at the same moment, each on its own thread; their answers, in order."""
    answers: list[Any] = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(index: int) -> None:
        start.wait()
        answers[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert all(isinstance(answer, requests.Response) for answer in answers)
    return answers


def _list(admin: Admin) -> Callable[[], requests.Response]:
    headers = {"caigunn-access-token": admin.token}
    return lambda: requests.get(admin.base_url + CHATBOT_PATH, headers=headers, timeout=30)


def _create(admin: Admin, title: str) -> Callable[[], requests.Response]:
    headers = {"caigunn-access-token": admin.token}
    params = {"title": title, "plan_id": BASIC}
    return lambda: requests.post(
        admin.base_url + CHATBOT_PATH, headers=headers, params=params, timeout=30
    )


def _load(admin: Admin) -> dict[str, int]:
    load: dict[str, int] = admin.call("GET", "/_emulator/in-flight").json()
    return load


def _wait_for_one_in_flight(admin: Admin) -> None:
    deadline = time.monotonic() + 10
    while _load(admin)["in_flight"] < 1:
        assert time.monotonic() < deadline, "no CaiGunn call came in flight"
        time.sleep(0.01)


# Timing only: the level changes nothing here.
@pytest.mark.parametrize("level", ["current"])
def test_calls_past_max_in_flight_are_answered_429_with_retry_after(admin: Admin) -> None:
    admin.set_knobs(max_in_flight=2, latency_ms=600, retry_after=3)

    answers = _all_at_once(admin, [_list(admin) for _ in range(6)])
    refused = [a for a in answers if a.status_code == 429]
    load = _load(admin)

    assert sorted({a.status_code for a in answers}) == [200, 429]
    assert len(refused) >= 4  # at most two are served at once, and each takes 600 ms
    assert {a.headers["Retry-After"] for a in refused} == {"3"}
    assert {a.json()["detail"] for a in refused} == {"Too Many Requests"}
    assert load["most_at_once"] <= 2
    assert load["refused_busy"] == len(refused)
    assert load["in_flight"] == 0


# Timing only: the level changes nothing here.
@pytest.mark.parametrize("level", ["current"])
def test_a_refused_call_is_answered_without_waiting_out_the_latency(admin: Admin) -> None:
    admin.set_knobs(max_in_flight=1, latency_ms=3000)
    slow = threading.Thread(target=_list(admin))
    slow.start()
    _wait_for_one_in_flight(admin)

    refused = _list(admin)()
    slow.join(timeout=30)

    assert refused.status_code == 429
    # A wide margin under the 3 s latency, for a loaded machine.
    assert refused.elapsed.total_seconds() < 2.0


def test_creates_refused_as_busy_store_nothing(admin: Admin) -> None:
    admin.set_knobs(max_in_flight=2, latency_ms=400)
    titles = [f"busy-{n}" for n in range(8)]

    answers = _all_at_once(admin, [_create(admin, title) for title in titles])
    created = sorted(t for t, a in zip(titles, answers, strict=True) if a.status_code == 200)
    stored = sorted(row["title"] for row in admin.rows())

    assert {a.status_code for a in answers} == {200, 429}
    assert stored == created
    assert _load(admin)["refused_busy"] == len(titles) - len(created)


# Timing only: the level changes nothing here.
@pytest.mark.parametrize("level", ["current"])
def test_admin_calls_are_neither_refused_nor_counted_while_the_server_is_busy(
    admin: Admin,
) -> None:
    admin.set_knobs(max_in_flight=1, latency_ms=1500)
    slow = threading.Thread(target=_list(admin))
    slow.start()
    _wait_for_one_in_flight(admin)

    knobs = admin.knobs()
    rows = admin.rows()
    load = _load(admin)
    slow.join(timeout=30)

    assert (knobs["max_in_flight"], rows) == (1, [])
    assert (load["in_flight"], load["most_at_once"], load["refused_busy"]) == (1, 1, 0)


# Timing only: the level changes nothing here.
@pytest.mark.parametrize("level", ["current"])
def test_without_max_in_flight_every_call_is_served_and_the_most_at_once_is_counted(
    admin: Admin,
) -> None:
    admin.set_knobs(latency_ms=600)

    answers = _all_at_once(admin, [_list(admin) for _ in range(5)])
    load = _load(admin)

    assert {a.status_code for a in answers} == {200}
    assert load["refused_busy"] == 0
    assert 2 <= load["most_at_once"] <= 5
