"""One test per knob, turned at run time on the shared emulator (start-up flags: test_process)."""

from __future__ import annotations

import time

from caigunn_provider.emulator.process import EmulatorProcess

from .support import BASIC, TOKEN, USER_API, Api


def test_latency_is_added_to_api_calls_but_not_to_admin_calls(api: Api) -> None:
    # A wide margin: the admin call must stay fast even on a loaded 2-core CI machine.
    api.set_knobs(latency_ms=800)

    started = time.monotonic()
    api.list_chatbots(limit=1)
    api_seconds = time.monotonic() - started
    started = time.monotonic()
    api.call("GET", "/_emulator/knobs")
    admin_seconds = time.monotonic() - started

    assert api_seconds >= 0.8
    assert admin_seconds < 0.8


def test_fail_rate_answers_429_with_retry_after(api: Api) -> None:
    api.set_knobs(fail_rate=1.0, fail_statuses=[429], retry_after=7)

    response = api.call("GET", f"{USER_API}/chatbot")

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json() == {"detail": "Too Many Requests"}


def test_fail_rate_draws_from_the_configured_statuses(api: Api) -> None:
    api.set_knobs(fail_rate=1.0, fail_statuses=[500, 503])

    statuses = [api.call("GET", f"{USER_API}/plan").status_code for _ in range(20)]

    assert set(statuses) == {500, 503}


def test_fail_rate_fails_about_the_configured_share(api: Api) -> None:
    api.set_knobs(fail_rate=0.5, fail_statuses=[503])

    statuses = [api.call("GET", f"{USER_API}/plan").status_code for _ in range(100)]

    assert set(statuses) == {200, 503}
    assert 25 <= statuses.count(503) <= 75


def test_injected_failures_happen_before_any_state_change(api: Api) -> None:
    before = len(api.all_rows())
    api.set_knobs(fail_rate=1.0)

    statuses = {
        api.call(
            "POST", f"{USER_API}/chatbot", data={"title": "never", "plan_id": BASIC}
        ).status_code
        for _ in range(10)
    }
    api.set_knobs(fail_rate=0.0)

    assert statuses <= {429, 500, 503}
    assert len(api.all_rows()) == before


def test_admin_routes_never_fail(api: Api) -> None:
    api.set_knobs(fail_rate=1.0)

    assert all(api.call("GET", "/_emulator/chatbots").status_code == 200 for _ in range(10))


def test_create_commits_then_500_leaves_the_chatbot_behind(api: Api) -> None:
    api.set_knobs(create_commits_then_500=1)

    failed = api.call("POST", f"{USER_API}/chatbot", data={"title": "ghost", "plan_id": BASIC})
    succeeded = api.call("POST", f"{USER_API}/chatbot", data={"title": "solid", "plan_id": BASIC})

    assert (failed.status_code, failed.json()) == (500, {"detail": "Internal Server Error"})
    assert succeeded.status_code == 200
    assert [row["title"] for row in api.all_rows()][-2:] == ["ghost", "solid"]
    assert api.call("GET", "/_emulator/knobs").json()["create_commits_then_500"] == 0


def test_max_limit_silently_clamps_pages(api: Api) -> None:
    for n in range(3):
        api.create(f"clamped-{n}")
    api.set_knobs(max_limit=2)

    chatbots = api.list_chatbots(limit=10)
    plans = api.call("GET", f"{USER_API}/plan", params={"limit": 10}).json()["plans"]

    assert (len(chatbots), len(plans)) == (2, 2)


def test_newest_first_reverses_the_list(api: Api) -> None:
    ids = [api.create(f"newest-{n}")["chatbot_id"] for n in range(3)]
    api.set_knobs(newest_first=True)

    listed = [chatbot["id"] for chatbot in api.list_chatbots(limit=10_000)]

    assert listed[:3] == ids[::-1]


def test_request_log_has_one_line_per_api_call_and_none_for_admin_calls(
    api: Api, current_emulator: EmulatorProcess
) -> None:
    before = len(current_emulator.read_request_log())

    api.list_chatbots(offset=0, limit=2)
    api.call("GET", f"{USER_API}/chatbot/no-such-id")
    api.call("GET", "/_emulator/knobs")
    api.call("GET", f"{USER_API}/plan", token="wrong-token")

    entries = current_emulator.read_request_log()[before:]
    assert [(e["method"], e["path"], e["query"], e["status"]) for e in entries] == [
        ("GET", f"{USER_API}/chatbot", {"offset": "0", "limit": "2"}, 200),
        ("GET", f"{USER_API}/chatbot/no-such-id", {}, 404),
        ("GET", f"{USER_API}/plan", {}, 401),
    ]
    assert all(set(entry) == {"ts", "method", "path", "query", "status"} for entry in entries)
    assert current_emulator.request_log is not None
    log_text = current_emulator.request_log.read_text(encoding="utf-8")
    assert TOKEN not in log_text and "wrong-token" not in log_text
