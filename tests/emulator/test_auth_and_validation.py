"""Refusals: missing or wrong token (401), bad values (422, FastAPI's shape), unknown plan (400)."""

from __future__ import annotations

from typing import Any

import pytest

from .support import BASIC, TOKEN, UNKNOWN_PLAN, USER_API, Api


@pytest.fixture(params=["current", "seed"])
def level_api(request: pytest.FixtureRequest) -> Api:
    """The shared client of each level in turn (list and create exist at both)."""
    api: Api = request.getfixturevalue("api" if request.param == "current" else "seed_api")
    return api


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
def test_a_missing_token_answers_401_with_a_detail(level_api: Api, method: str, path: str) -> None:
    response = level_api.call(method, USER_API + path, token="")

    assert response.status_code == 401
    assert isinstance(response.json()["detail"], str)


def test_a_wrong_token_answers_401_without_echoing_the_token(level_api: Api) -> None:
    wrong = "not-the-token-1234"

    response = level_api.call("GET", f"{USER_API}/chatbot", token=wrong)

    assert response.status_code == 401
    assert wrong not in response.text and TOKEN not in response.text


def test_admin_routes_need_the_token_too(api: Api) -> None:
    assert api.call("GET", "/_emulator/chatbots", token="").status_code == 401
    assert api.call("PUT", "/_emulator/knobs", token="wrong", json={}).status_code == 401


def test_a_refused_create_stores_nothing(api: Api) -> None:
    before = len(api.all_rows())

    api.call("POST", f"{USER_API}/chatbot", token="wrong", data={"title": "x", "plan_id": BASIC})

    assert len(api.all_rows()) == before


def test_the_token_is_checked_before_the_values(level_api: Api) -> None:
    response = level_api.call("GET", f"{USER_API}/chatbot", token="", params={"offset": "x"})

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
    level_api: Api, params: dict[str, str], expected: list[tuple[list[str], str]]
) -> None:
    response = level_api.call("GET", f"{USER_API}/chatbot", params=params)

    assert response.status_code == 422
    assert _errors(response.json()) == expected


def test_bad_plan_list_paging_answers_422(api: Api) -> None:
    response = api.call("GET", f"{USER_API}/plan", params={"limit": "0"})

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
    level_api: Api, params: dict[str, str], expected: list[tuple[list[str], str]]
) -> None:
    before = len(level_api.all_rows())

    response = level_api.call("POST", f"{USER_API}/chatbot", params=params)

    assert response.status_code == 422
    assert _errors(response.json()) == expected
    assert len(level_api.all_rows()) == before


def test_a_missing_create_field_is_located_in_the_query_at_seed_level(seed_api: Api) -> None:
    response = seed_api.call("POST", f"{USER_API}/chatbot", params={"plan_id": BASIC})

    assert response.status_code == 422
    assert _errors(response.json()) == [(["query", "title"], "missing")]


def test_a_missing_create_field_is_located_in_the_form_body_at_current_level(api: Api) -> None:
    # The form is the current API's documented channel; the query string is only a fallback.
    response = api.call("POST", f"{USER_API}/chatbot", params={"title": "t"})

    assert response.status_code == 422
    assert _errors(response.json()) == [(["body", "plan_id"], "missing")]


def test_bad_create_form_answers_422_located_in_the_body(api: Api) -> None:
    response = api.call("POST", f"{USER_API}/chatbot", data={"title": "", "plan_id": "abc"})

    assert response.status_code == 422
    assert _errors(response.json()) == [
        (["body", "title"], "string_too_short"),
        (["body", "plan_id"], "uuid_parsing"),
    ]


def test_a_create_with_no_fields_at_all_names_both_missing_fields(api: Api) -> None:
    response = api.call("POST", f"{USER_API}/chatbot")

    assert response.status_code == 422
    assert _errors(response.json()) == [
        (["body", "title"], "missing"),
        (["body", "plan_id"], "missing"),
    ]


def test_a_uuid_outside_the_catalogue_answers_400_plan_not_found(level_api: Api) -> None:
    before = len(level_api.all_rows())

    response = level_api.call(
        "POST", f"{USER_API}/chatbot", params={"title": "t", "plan_id": UNKNOWN_PLAN}
    )

    assert (response.status_code, response.json()) == (400, {"detail": "Plan not found"})
    assert len(level_api.all_rows()) == before
