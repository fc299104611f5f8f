"""Refusals: missing or wrong token (401), bad values (422, FastAPI's shape), unknown plan (400)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import BASIC, CHATBOT_PATH, TOKEN, UNKNOWN_PLAN, USER_API, Admin


def _errors(body: dict[str, Any]) -> list[tuple[list[Any], str]]:
    """(loc, type) of each validation error, after checking each has FastAPI's fields."""
    detail = body["detail"]
    assert isinstance(detail, list) and detail
    for error in detail:
        assert isinstance(error["loc"], list)
        assert isinstance(error["msg"], str) and error["msg"]
        assert isinstance(error["type"], str)
    return [(error["loc"], error["type"]) for error in detail]


@pytest.mark.parametrize(("method", "path"), [("GET", "/chatbot"), ("POST", "/chatbot")])
def test_a_missing_token_answers_401_with_a_detail(admin: Admin, method: str, path: str) -> None:
    response = admin.call(method, USER_API + path, token="")

    assert response.status_code == 401
    assert isinstance(response.json()["detail"], str)


def test_a_wrong_token_answers_401_without_echoing_the_token(admin: Admin) -> None:
    wrong = "not-the-token-1234"

    response = admin.call("GET", CHATBOT_PATH, token=wrong)

    assert response.status_code == 401
    assert wrong not in response.text and TOKEN not in response.text


@pytest.mark.parametrize("level", ["current"])
def test_admin_routes_need_the_token_too(admin: Admin) -> None:
    assert admin.call("GET", "/_emulator/chatbots", token="").status_code == 401
    assert admin.call("PUT", "/_emulator/knobs", token="wrong", json={}).status_code == 401


@pytest.mark.parametrize("level", ["current"])
def test_a_refused_create_stores_nothing(admin: Admin) -> None:
    before = len(admin.rows())

    admin.call("POST", CHATBOT_PATH, token="wrong", data={"title": "x", "plan_id": BASIC})

    assert len(admin.rows()) == before


def test_the_token_is_checked_before_the_values(admin: Admin) -> None:
    response = admin.call("GET", CHATBOT_PATH, token="", params={"offset": "x"})

    assert response.status_code == 401


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"offset": "x"}, [(["query", "offset"], "int_parsing")]),
        ({"offset": "-1"}, [(["query", "offset"], "greater_than_equal")]),
        ({"limit": "0"}, [(["query", "limit"], "greater_than_equal")]),
        ({"limit": "ten"}, [(["query", "limit"], "int_parsing")]),
    ],
)
def test_bad_offset_or_limit_answers_422(
    admin: Admin, params: dict[str, str], expected: list[tuple[list[str], str]]
) -> None:
    response = admin.call("GET", CHATBOT_PATH, params=params)

    assert response.status_code == 422
    assert _errors(response.json()) == expected


@pytest.mark.parametrize("level", ["current"])
def test_bad_plan_list_paging_answers_422(admin: Admin) -> None:
    response = admin.call("GET", f"{USER_API}/plan", params={"limit": "0"})

    assert response.status_code == 422
    assert _errors(response.json()) == [(["query", "limit"], "greater_than_equal")]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"title": "", "plan_id": BASIC}, [(["query", "title"], "string_too_short")]),
        ({"title": "t", "plan_id": "basic"}, [(["query", "plan_id"], "uuid_parsing")]),
    ],
)
def test_bad_create_query_values_answer_422_at_either_level(
    admin: Admin, params: dict[str, str], expected: list[tuple[list[str], str]]
) -> None:
    before = len(admin.rows())

    response = admin.call("POST", CHATBOT_PATH, params=params)

    assert response.status_code == 422
    assert _errors(response.json()) == expected
    assert len(admin.rows()) == before


@pytest.mark.parametrize("level", ["seed"])
def test_a_missing_create_field_is_located_in_the_query_at_seed_level(admin: Admin) -> None:
    response = admin.call("POST", CHATBOT_PATH, params={"plan_id": BASIC})

    assert response.status_code == 422
    assert _errors(response.json()) == [(["query", "title"], "missing")]


@pytest.mark.parametrize("level", ["current"])
def test_a_missing_create_field_is_located_in_the_form_body_at_current_level(admin: Admin) -> None:
    # The form is the current API's documented channel; the query string is only a fallback.
    response = admin.call("POST", CHATBOT_PATH, params={"title": "t"})

    assert response.status_code == 422
    assert _errors(response.json()) == [(["body", "plan_id"], "missing")]


@pytest.mark.parametrize("level", ["current"])
def test_bad_create_form_answers_422_located_in_the_body(admin: Admin) -> None:
    response = admin.call("POST", CHATBOT_PATH, data={"title": "", "plan_id": "abc"})

    assert response.status_code == 422
    assert _errors(response.json()) == [
        (["body", "title"], "string_too_short"),
        (["body", "plan_id"], "uuid_parsing"),
    ]


@pytest.mark.parametrize("level", ["current"])
def test_a_create_with_no_fields_at_all_names_both_missing_fields(admin: Admin) -> None:
    response = admin.call("POST", CHATBOT_PATH)

    assert response.status_code == 422
    assert _errors(response.json()) == [
        (["body", "title"], "missing"),
        (["body", "plan_id"], "missing"),
    ]


def test_a_uuid_outside_the_catalogue_answers_400_plan_not_found(admin: Admin) -> None:
    before = len(admin.rows())

    response = admin.call("POST", CHATBOT_PATH, params={"title": "t", "plan_id": UNKNOWN_PLAN})

    assert (response.status_code, response.json()) == (400, {"detail": "Plan not found"})
    assert len(admin.rows()) == before


def test_a_path_no_route_serves_answers_404_whatever_the_token(admin: Admin) -> None:
    response = admin.call("GET", f"{USER_API}/nothing-here", token="")

    assert (response.status_code, response.json()) == (404, {"detail": "Not Found"})


@pytest.mark.parametrize("level", ["seed"])
def test_a_seed_server_answers_404_to_current_routes_before_looking_at_the_token(
    admin: Admin,
) -> None:
    # As a server that simply lacks the route: a client probing the level learns that first.
    response = admin.call("GET", f"{USER_API}/plan", token="wrong-token")

    assert (response.status_code, response.json()) == (404, {"detail": "Not Found"})
