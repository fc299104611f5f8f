"""Knobs turned at run time on an in-process emulator (their flags: test_command_line)."""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import pytest

from caigunn_provider.emulator.knobs import Knobs
from caigunn_provider.emulator.responses import ENDLESS_PAGE_CAP
from caigunn_provider.emulator.startup import EmulatorSettings
from caigunn_provider.emulator.threaded import ThreadedEmulator
from tests.support import BASIC, CHATBOT_PATH, TOKEN, USER_API, Admin

from .api_calls import create_and_give_up, list_page

PLAN_PATH = f"{USER_API}/plan"


def _titles(admin: Admin, **params: Any) -> list[str]:
    return [chatbot["title"] for chatbot in list_page(admin, **params)]


def _in_flight(admin: Admin) -> int:
    count: int = admin.call("GET", "/_emulator/in-flight").json()["committed_unanswered_creates"]
    return count


# Timing only: the level changes nothing here.
@pytest.mark.parametrize("level", ["current"])
def test_latency_is_added_to_api_calls_but_not_to_admin_calls(admin: Admin) -> None:
    # A wide margin: the admin call must stay fast even on a loaded 2-core CI machine.
    admin.set_knobs(latency_ms=800)

    started = time.monotonic()
    list_page(admin, limit=1)
    api_seconds = time.monotonic() - started
    started = time.monotonic()
    admin.knobs()
    admin_seconds = time.monotonic() - started

    assert api_seconds >= 0.8
    assert admin_seconds < 0.8


def test_fail_rate_answers_429_with_retry_after(admin: Admin) -> None:
    admin.set_knobs(fail_rate=1.0, fail_statuses=[429], retry_after=7)

    response = admin.call("GET", CHATBOT_PATH)

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json() == {"detail": "Too Many Requests"}


def test_fail_rate_draws_from_the_configured_statuses(admin: Admin) -> None:
    admin.set_knobs(fail_rate=1.0, fail_statuses=[500, 503])

    statuses = [admin.call("GET", CHATBOT_PATH).status_code for _ in range(20)]

    assert set(statuses) == {500, 503}


def test_fail_rate_fails_about_the_configured_share(admin: Admin) -> None:
    admin.set_knobs(fail_rate=0.5, fail_statuses=[503])

    statuses = [admin.call("GET", CHATBOT_PATH).status_code for _ in range(100)]

    assert set(statuses) == {200, 503}
    assert 25 <= statuses.count(503) <= 75


def test_the_same_seed_replays_the_same_failures() -> None:
    def statuses(seed: int) -> list[int]:
        knobs = Knobs(fail_rate=0.5)
        settings = EmulatorSettings(token=TOKEN, seed=seed, knobs=knobs, port=0)
        with ThreadedEmulator(settings) as running:
            admin = Admin(running.base_url)
            return [admin.call("GET", CHATBOT_PATH).status_code for _ in range(30)]

    first, again, other = statuses(7), statuses(7), statuses(8)

    assert first == again
    assert first != other
    assert len(set(first)) > 1


def test_injected_failures_happen_before_any_state_change(admin: Admin) -> None:
    admin.set_knobs(fail_rate=1.0)

    statuses = {
        admin.call("POST", CHATBOT_PATH, params={"title": "never", "plan_id": BASIC}).status_code
        for _ in range(10)
    }

    assert statuses <= {429, 500, 503}
    assert admin.rows() == []


def test_admin_routes_never_fail(admin: Admin) -> None:
    admin.set_knobs(fail_rate=1.0)

    assert all(admin.call("GET", "/_emulator/chatbots").status_code == 200 for _ in range(10))


def test_create_commit_fail_rate_commits_every_picked_create_and_answers_500(
    admin: Admin,
) -> None:
    admin.set_knobs(create_commit_fail_rate=0.5)

    statuses = [
        admin.call("POST", CHATBOT_PATH, params={"title": f"bot-{n}", "plan_id": BASIC}).status_code
        for n in range(40)
    ]
    listed = admin.call("GET", CHATBOT_PATH, params={"limit": 100}).status_code

    assert set(statuses) == {200, 500}
    assert 5 <= statuses.count(500) <= 35
    assert len(admin.rows()) == 40  # every create committed, failed or not
    assert listed == 200  # only creates are picked


@pytest.mark.parametrize("level", ["current"])
def test_max_limit_silently_clamps_pages(admin: Admin) -> None:
    for n in range(3):
        admin.create(f"clamped-{n}")
    admin.set_knobs(max_limit=2)

    chatbots = list_page(admin, limit=10)
    plans = admin.call("GET", PLAN_PATH, params={"limit": 10}).json()["plans"]

    assert (len(chatbots), len(plans)) == (2, 2)


def test_newest_first_reverses_the_list(admin: Admin) -> None:
    ids = [admin.create(f"newest-{n}") for n in range(3)]
    admin.set_knobs(newest_first=True)

    listed = [chatbot["id"] for chatbot in list_page(admin)]

    assert listed == ids[::-1]


def test_ignore_offset_serves_every_offset_from_the_start(admin: Admin) -> None:
    for n in range(5):
        admin.create(f"bot-{n}")
    admin.set_knobs(ignore_offset=True)

    pages = [_titles(admin, offset=offset, limit=2) for offset in (0, 2, 4, 100)]

    assert pages == [["bot-0", "bot-1"]] * 4


@pytest.mark.parametrize("level", ["current"])
def test_ignore_offset_applies_to_the_plan_list_too(admin: Admin) -> None:
    admin.set_knobs(ignore_offset=True)

    first = admin.call("GET", PLAN_PATH, params={"offset": 0, "limit": 1}).json()
    later = admin.call("GET", PLAN_PATH, params={"offset": 2, "limit": 1}).json()

    assert later == first
    assert first["plans"][0]["title"] == "Basic"


def test_endless_serves_full_pages_of_synthetic_rows_at_any_offset(admin: Admin) -> None:
    admin.create("stored")  # the endless list shows only synthetic rows
    admin.set_knobs(endless=True, max_limit=7)

    page = list_page(admin, offset=1_000_000, limit=50)

    assert [row["title"] for row in page] == [f"endless-{1_000_000 + n}" for n in range(7)]
    assert all(uuid.UUID(row["id"]) for row in page)
    assert len({row["id"] for row in page}) == 7
    assert len({row["api_key"] for row in page}) == 7


def test_endless_pages_are_capped_even_without_max_limit(admin: Admin) -> None:
    admin.set_knobs(endless=True)

    page = list_page(admin, offset=5, limit=1_000_000_000)

    assert len(page) == ENDLESS_PAGE_CAP
    assert page[-1]["title"] == f"endless-{5 + ENDLESS_PAGE_CAP - 1}"


def test_endless_ids_are_derived_from_the_position(admin: Admin) -> None:
    admin.set_knobs(endless=True)

    first = list_page(admin, offset=0, limit=4)
    overlapping = list_page(admin, offset=2, limit=4)

    assert first[2:] == overlapping[:2]
    assert first[0]["id"] not in {row["id"] for row in overlapping}


def test_endless_with_ignore_offset_repeats_its_first_page(admin: Admin) -> None:
    admin.set_knobs(endless=True, ignore_offset=True)

    assert _titles(admin, offset=10, limit=2) == ["endless-0", "endless-1"]


@pytest.mark.parametrize(
    ("newest_first", "deleted"), [(False, "preloaded-1"), (True, "preloaded-3")]
)
def test_churn_delete_removes_the_first_prefixed_chatbot_in_list_order_every_kth_list(
    admin: Admin, newest_first: bool, deleted: str
) -> None:
    for title in ("mine", "preloaded-1", "preloaded-2", "preloaded-3", "mine-too"):
        admin.create(title)
    admin.set_knobs(churn_every=2, churn="delete", newest_first=newest_first)

    before = _titles(admin)
    during = _titles(admin)  # the 2nd list request: one deletion first, then this page

    assert "preloaded-1" in before and "preloaded-3" in before
    assert set(before) - set(during) == {deleted}
    assert {row["title"] for row in admin.chatbots().values()} == set(before) - {deleted}


def test_churn_delete_shifts_later_offsets(admin: Admin) -> None:
    for n in range(1, 7):
        admin.create(f"preloaded-{n}")
    admin.set_knobs(churn_every=2)

    first = _titles(admin, offset=0, limit=3)
    second = _titles(admin, offset=3, limit=3)

    # preloaded-1 went before the second page was served: preloaded-4 moved to offset 2.
    assert (first, second) == (
        ["preloaded-1", "preloaded-2", "preloaded-3"],
        ["preloaded-5", "preloaded-6"],
    )


def test_churn_never_touches_chatbots_without_the_prefix(admin: Admin) -> None:
    for title in ("alpha", "beta"):
        admin.create(title)
    admin.set_knobs(churn_every=1, churn="delete", churn_prefix="preloaded-")

    for _ in range(3):
        list_page(admin)

    assert sorted(row["title"] for row in admin.chatbots().values()) == ["alpha", "beta"]


@pytest.mark.parametrize(("newest_first", "position"), [(False, -1), (True, 0)])
def test_churn_insert_adds_a_prefixed_chatbot_on_the_basic_plan(
    admin: Admin, newest_first: bool, position: int
) -> None:
    for title in ("bot-a", "bot-b"):
        admin.create(title)
    admin.set_knobs(churn_every=1, churn="insert", churn_prefix="x-", newest_first=newest_first)

    first = _titles(admin)
    second = _titles(admin)

    assert first[position] == "x-churn-1"
    assert second[position] == "x-churn-2"
    assert len(second) == 4
    assert all(row["plan_id"] == BASIC for row in admin.chatbots().values())


def test_setting_the_churn_knobs_restarts_the_count(admin: Admin) -> None:
    admin.set_knobs(churn_every=2, churn="insert")
    list_page(admin)
    admin.set_knobs(churn_every=2, churn="insert")

    list_page(admin)  # the 1st since the knobs were set again: no change
    unchanged = len(admin.rows())
    list_page(admin)

    assert (unchanged, len(admin.rows())) == (0, 1)


def test_pause_after_create_commits_first_and_answers_later(admin: Admin) -> None:
    admin.set_knobs(pause_after_create_ms=1500)
    answers: list[int] = []
    client = threading.Thread(
        target=lambda: answers.append(
            admin.call(
                "POST", CHATBOT_PATH, params={"title": "paused", "plan_id": BASIC}
            ).status_code
        )
    )

    started = time.monotonic()
    client.start()
    deadline = time.monotonic() + 5
    while _in_flight(admin) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    stored_during_pause = [row["title"] for row in admin.rows()]
    in_flight_during_pause = _in_flight(admin)
    client.join()

    assert stored_during_pause == ["paused"]
    assert in_flight_during_pause == 1
    assert answers == [200]
    assert time.monotonic() - started >= 1.5
    assert _in_flight(admin) == 0


# Timing only: the level changes nothing here.
@pytest.mark.parametrize("level", ["current"])
def test_a_client_that_gives_up_during_the_pause_leaves_the_chatbot_created(
    admin: Admin,
) -> None:
    # Wide margins: the checks inside the window must land there even on a loaded machine.
    admin.set_knobs(pause_after_create_ms=2000)

    create_and_give_up(admin, "abandoned", timeout=0.3)
    in_flight_after_timeout = _in_flight(admin)
    time.sleep(2.2)

    assert in_flight_after_timeout == 1
    assert [row["title"] for row in admin.chatbots().values()] == ["abandoned"]
    assert _in_flight(admin) == 0


# Timing only: the level changes nothing here.
@pytest.mark.parametrize("level", ["current"])
def test_pause_after_create_does_not_delay_other_operations(admin: Admin) -> None:
    admin.set_knobs(pause_after_create_ms=2000)

    started = time.monotonic()
    list_page(admin)

    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize("level", ["current"])
def test_write_commit_fail_rate_commits_every_picked_chatbot_level_write_and_answers_500(
    admin: Admin,
) -> None:
    chatbot_id = admin.create("Support")
    [row] = [row for row in admin.rows() if row["id"] == chatbot_id]
    admin.set_knobs(write_commit_fail_rate=0.5)
    headers = {"api-key": str(row["api_key"]), "caigunn-access-token": admin.token}
    statuses = [
        admin.session.post(
            f"{admin.base_url}/api/external/chatbot/training_data",
            params={"type": "text"},
            data={"text": f"row {n}"},
            headers=headers,
            timeout=30,
        ).status_code
        for n in range(40)
    ]
    listed = admin.session.get(
        f"{admin.base_url}/api/external/chatbot/training_data", headers=headers, timeout=30
    )

    assert set(statuses) == {200, 500}
    assert 5 <= statuses.count(500) <= 35
    assert len(listed.json()["training_data"]) == 40  # every write committed, failed or not
    assert listed.status_code == 200  # only writes are picked
