"""The seed-level API: only list and create, exactly as the user's document shows them."""

from __future__ import annotations

import pytest

from .support import BASIC, PRO, USER_API, Api


def test_seed_create_answers_only_api_key_and_expired_at(seed_api: Api) -> None:
    body = seed_api.create_by_query("seed-bot")

    assert set(body) == {"api_key", "expired_at"}
    assert body["expired_at"].endswith("Z")


def test_seed_create_stores_the_title_and_plan_from_the_query_string(seed_api: Api) -> None:
    body = seed_api.create_by_query("seed-pro", PRO)

    row = seed_api.row_by_api_key(body["api_key"])
    assert (row["title"], row["plan_id"]) == ("seed-pro", PRO)


def test_seed_create_takes_nothing_from_a_form_body(seed_api: Api) -> None:
    response = seed_api.call(
        "POST", f"{USER_API}/chatbot", data={"title": "form-only", "plan_id": BASIC}
    )

    assert response.status_code == 422
    locs = [error["loc"] for error in response.json()["detail"]]
    assert locs == [["query", "title"], ["query", "plan_id"]]


def test_seed_new_chatbot_is_found_in_the_list_by_its_api_key(seed_api: Api) -> None:
    body = seed_api.create_by_query("find-me")

    chatbots = seed_api.list_chatbots(limit=10_000)

    (found,) = [c for c in chatbots if c["api_key"] == body["api_key"]]
    assert set(found) == {"id", "title", "api_key"}
    assert found["title"] == "find-me"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/chatbot/{id}"),
        ("PUT", "/chatbot/{id}"),
        ("DELETE", "/chatbot/{id}"),
        ("GET", "/plan"),
        ("GET", "/token/refresh"),
    ],
)
def test_seed_answers_404_not_found_to_current_only_routes(
    seed_api: Api, method: str, path: str
) -> None:
    body = seed_api.create_by_query("still-here")
    chatbot_id = seed_api.row_by_api_key(body["api_key"])["id"]

    response = seed_api.call(method, USER_API + path.format(id=chatbot_id), data={"title": "x"})

    assert (response.status_code, response.json()) == (404, {"detail": "Not Found"})
    assert seed_api.row_by_api_key(body["api_key"])["title"] == "still-here"
