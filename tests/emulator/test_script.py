"""The `script` knob: one-shot answers (status, drop, non_json, hang), committing first or not."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import requests

from tests.support import BASIC, CHATBOT_PATH, USER_API, Admin

from .api_calls import create_and_give_up, list_page

CREATE = {"title": "scripted", "plan_id": BASIC}


def _create(admin: Admin) -> requests.Response:
    response: requests.Response = admin.call("POST", CHATBOT_PATH, params=CREATE)
    return response


def _rule(**fields: Any) -> dict[str, Any]:
    return {"operation": "create_chatbot", **fields}


def _stored_titles(admin: Admin) -> list[str]:
    return [row["title"] for row in admin.rows()]


def test_a_status_rule_answers_once_in_the_service_shape_without_creating(admin: Admin) -> None:
    admin.set_knobs(script=[_rule(answer="status", status=503)], retry_after=4)

    scripted = _create(admin)
    normal = _create(admin)

    assert (scripted.status_code, scripted.json()) == (503, {"detail": "Service Unavailable"})
    assert scripted.headers["Retry-After"] == "4"
    assert normal.status_code == 200
    assert _stored_titles(admin) == ["scripted"]
    assert admin.knobs()["script"] == []


def test_a_committing_status_rule_creates_and_then_answers_500(admin: Admin) -> None:
    # What the removed create_commits_then_500 knob did.
    admin.set_knobs(script=[_rule(answer="status", commit=True)])

    failed = _create(admin)

    assert (failed.status_code, failed.json()) == (500, {"detail": "Internal Server Error"})
    assert _stored_titles(admin) == ["scripted"]


def test_a_rule_answers_as_many_times_as_it_says_and_shows_what_is_left(admin: Admin) -> None:
    admin.set_knobs(script=[_rule(answer="status", status=502, times=2)])

    first = _create(admin).status_code
    left = admin.knobs()["script"]
    statuses = [first, _create(admin).status_code, _create(admin).status_code]

    assert statuses == [502, 502, 200]
    assert [rule["times"] for rule in left] == [1]


def test_the_first_matching_rule_is_used_and_other_operations_pass(admin: Admin) -> None:
    admin.set_knobs(
        script=[
            {"operation": "get_all_chatbots", "answer": "status", "status": 429},
            _rule(answer="status", status=502),
            _rule(answer="status", status=504),
        ]
    )

    statuses = [_create(admin).status_code, _create(admin).status_code, _create(admin).status_code]

    assert statuses == [502, 504, 200]
    assert [rule["operation"] for rule in admin.knobs()["script"]] == ["get_all_chatbots"]


def test_drop_gives_the_client_a_broken_connection_and_no_status(admin: Admin) -> None:
    admin.set_knobs(script=[_rule(answer="drop")])

    with pytest.raises(requests.exceptions.ChunkedEncodingError, match="IncompleteRead"):
        _create(admin)

    assert admin.rows() == []
    assert _create(admin).status_code == 200  # the next request is served normally


def test_a_committing_drop_creates_and_then_breaks_the_connection(admin: Admin) -> None:
    admin.set_knobs(script=[_rule(answer="drop", commit=True)])

    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        _create(admin)

    assert _stored_titles(admin) == ["scripted"]


@pytest.mark.parametrize(("commit", "stored"), [(False, []), (True, ["scripted"])])
def test_non_json_answers_an_html_page_with_a_2xx_by_default(
    admin: Admin, commit: bool, stored: list[str]
) -> None:
    admin.set_knobs(script=[_rule(answer="non_json", commit=commit)])

    response = _create(admin)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    with pytest.raises(requests.JSONDecodeError):
        response.json()
    assert _stored_titles(admin) == stored


def test_a_status_rule_may_give_its_own_body_and_headers(admin: Admin) -> None:
    admin.set_knobs(
        script=[
            _rule(
                answer="status", status=429, body={"detail": "slow"}, headers={"Retry-After": "0.3"}
            ),
            _rule(answer="status", status=200, body={"bots": []}),
            _rule(answer="status", status=301, headers={"Location": "https://elsewhere.example/"}),
        ]
    )

    limited = _create(admin)
    wrong_shape = _create(admin)
    moved = admin.call("POST", CHATBOT_PATH, params=CREATE, allow_redirects=False)

    assert (limited.status_code, limited.json()) == (429, {"detail": "slow"})
    assert limited.headers["Retry-After"] == "0.3"
    assert (wrong_shape.status_code, wrong_shape.json()) == (200, {"bots": []})
    assert (moved.status_code, moved.headers["Location"]) == (301, "https://elsewhere.example/")
    assert admin.rows() == []


def test_non_json_may_give_its_own_text_and_refuses_other_bodies(admin: Admin) -> None:
    admin.set_knobs(script=[_rule(answer="non_json", body="Welcome to nginx")])
    refused = admin.call(
        "PUT", "/_emulator/knobs", json={"script": [_rule(answer="non_json", body={"a": 1})]}
    )

    response = _create(admin)

    assert (response.status_code, response.text) == (200, "Welcome to nginx")
    assert refused.status_code == 422


def test_non_json_takes_the_status_the_rule_gives(admin: Admin) -> None:
    admin.set_knobs(script=[_rule(answer="non_json", status=502)])

    response = _create(admin)

    assert response.status_code == 502
    assert "502 Bad Gateway" in response.text


# Timing only: the level changes nothing here.
@pytest.mark.parametrize("level", ["current"])
def test_a_committing_hang_creates_at_once_and_answers_late(admin: Admin) -> None:
    admin.set_knobs(script=[_rule(answer="hang", hang_ms=2000, commit=True)])

    create_and_give_up(admin, "scripted", timeout=0.5)
    in_flight = admin.call("GET", "/_emulator/in-flight").json()

    assert _stored_titles(admin) == ["scripted"]
    assert in_flight == {
        "committed_unanswered_creates": 1,
        "in_flight": 1,  # the hanging create is still being served
        "most_at_once": 1,
        "refused_busy": 0,
    }


# Timing only: the level changes nothing here.
@pytest.mark.parametrize("level", ["current"])
def test_a_hang_without_commit_serves_the_request_after_the_wait(admin: Admin) -> None:
    admin.set_knobs(script=[_rule(answer="hang", hang_ms=1500)])
    answers: list[int] = []
    client = threading.Thread(target=lambda: answers.append(_create(admin).status_code))

    started = time.monotonic()
    client.start()
    time.sleep(0.5)
    stored_while_hanging = _stored_titles(admin)
    client.join()

    assert stored_while_hanging == []
    assert answers == [200]
    assert time.monotonic() - started >= 1.5
    assert _stored_titles(admin) == ["scripted"]


# Timing only: the level changes nothing here.
@pytest.mark.parametrize("level", ["current"])
def test_a_late_write_lands_even_when_the_client_has_given_up(admin: Admin) -> None:
    admin.set_knobs(script=[_rule(answer="hang", hang_ms=1500)])

    create_and_give_up(admin, "scripted", timeout=0.3)
    stored_at_timeout = _stored_titles(admin)
    time.sleep(1.7)

    assert stored_at_timeout == []
    assert _stored_titles(admin) == ["scripted"]


def test_after_operation_arms_the_rule_only_once_that_operation_was_answered(
    admin: Admin,
) -> None:
    admin.set_knobs(script=[_rule(answer="status", after_operation="get_all_chatbots")])

    before_listing = _create(admin).status_code
    waiting = admin.knobs()["script"]
    list_page(admin)
    armed = admin.knobs()["script"]
    after_listing = _create(admin).status_code

    assert (before_listing, after_listing) == (200, 500)
    assert [rule["after_operation"] for rule in waiting] == ["get_all_chatbots"]
    assert [rule["after_operation"] for rule in armed] == [None]


@pytest.mark.parametrize("level", ["current"])
@pytest.mark.parametrize(
    ("operation", "method", "path"),
    [
        ("get_chatbot_info", "GET", "/chatbot/{id}"),
        ("update_chatbot", "PUT", "/chatbot/{id}"),
        ("delete_chatbot", "DELETE", "/chatbot/{id}"),
        ("get_all_plans", "GET", "/plan"),
        ("get_all_chatbots", "GET", "/chatbot"),
    ],
)
def test_every_operation_can_be_scripted_and_a_write_without_commit_changes_nothing(
    admin: Admin, operation: str, method: str, path: str
) -> None:
    chatbot_id = admin.create("target")
    admin.set_knobs(script=[{"operation": operation, "answer": "status", "status": 503}])

    response = admin.call(method, USER_API + path.format(id=chatbot_id), data={"title": "new"})

    assert response.status_code == 503
    assert admin.chatbots()[chatbot_id]["title"] == "target"


@pytest.mark.parametrize("level", ["current"])
def test_a_committing_rule_on_delete_deletes_and_then_answers_its_status(admin: Admin) -> None:
    chatbot_id = admin.create("doomed")
    admin.set_knobs(script=[{"operation": "delete_chatbot", "answer": "status", "commit": True}])

    response = admin.call("DELETE", f"{CHATBOT_PATH}/{chatbot_id}")

    assert response.status_code == 500
    assert admin.chatbots() == {}


def test_a_rule_shows_its_defaults_in_the_knobs(admin: Admin) -> None:
    knobs = admin.set_knobs(script=[_rule(answer="non_json"), _rule(answer="drop")])

    assert knobs["script"] == [
        {
            "operation": "create_chatbot",
            "answer": "non_json",
            "status": 200,
            "commit": False,
            "times": 1,
            "hang_ms": 0.0,
            "after_operation": None,
            "body": None,
            "headers": {},
        },
        {
            "operation": "create_chatbot",
            "answer": "drop",
            "status": 500,
            "commit": False,
            "times": 1,
            "hang_ms": 0.0,
            "after_operation": None,
            "body": None,
            "headers": {},
        },
    ]


@pytest.mark.parametrize(
    ("rule", "loc"),
    [
        ({"operation": "refresh_everything", "answer": "status"}, "operation"),
        (_rule(answer="explode"), "answer"),
        (_rule(answer="status", times=0), "times"),
        (_rule(answer="status", status=700), "status"),
        (_rule(answer="hang", hang_ms=600_001), "hang_ms"),
        (_rule(answer="status", after_operation="nothing"), "after_operation"),
        (_rule(answer="status", when="later"), "when"),
        (_rule(answer="status", headers={"X-Bad": "line\r\nbreak"}), "headers"),
        (_rule(answer="status", headers={"Bad Name": "x"}), "headers"),
    ],
)
def test_a_bad_rule_answers_422_and_leaves_the_script_as_it_was(
    admin: Admin, rule: dict[str, Any], loc: str
) -> None:
    response = admin.call("PUT", "/_emulator/knobs", json={"script": [rule]})

    assert response.status_code == 422
    assert [error["loc"][:4] for error in response.json()["detail"]] == [["body", "script", 0, loc]]
    assert admin.knobs()["script"] == []
