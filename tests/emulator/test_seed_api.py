"""The seed-level API: only list and create, exactly as the user's document shows them."""

from __future__ import annotations

import pytest

from tests.support import BASIC, CHATBOT_PATH, PRO, USER_API, Admin

from .api_calls import create_by_query, list_page, row_by_api_key

pytestmark = pytest.mark.parametrize("level", ["seed"])


def test_seed_create_answers_only_api_key_and_expired_at(admin: Admin) -> None:
    body = create_by_query(admin, "seed-bot")

    assert set(body) == {"api_key", "expired_at"}
    assert body["expired_at"].endswith("Z")


def test_seed_create_stores_the_title_and_plan_from_the_query_string(admin: Admin) -> None:
    body = create_by_query(admin, "seed-pro", PRO)

    row = row_by_api_key(admin, body["api_key"])
    assert (row["title"], row["plan_id"]) == ("seed-pro", PRO)


def test_seed_create_takes_nothing_from_a_form_body(admin: Admin) -> None:
    response = admin.call("POST", CHATBOT_PATH, data={"title": "form-only", "plan_id": BASIC})

    assert response.status_code == 422
    locs = [error["loc"] for error in response.json()["detail"]]
    assert locs == [["query", "title"], ["query", "plan_id"]]


def test_seed_create_stores_no_settings_even_when_some_are_sent(admin: Admin) -> None:
    settings = {"prompt": "Be brief.", "is_shared": "true"}
    response = admin.call(
        "POST", CHATBOT_PATH, params={"title": "plain", "plan_id": BASIC, **settings}, data=settings
    )

    row = row_by_api_key(admin, response.json()["api_key"])
    assert (row["prompt"], row["is_shared"]) == ("", False)


def test_seed_new_chatbot_is_found_in_the_list_by_its_api_key(admin: Admin) -> None:
    body = create_by_query(admin, "find-me")

    chatbots = list_page(admin, limit=10_000)

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
    admin: Admin, method: str, path: str
) -> None:
    chatbot_id = admin.create("still-here")

    response = admin.call(method, USER_API + path.format(id=chatbot_id), data={"title": "x"})

    assert (response.status_code, response.json()) == (404, {"detail": "Not Found"})
    assert admin.chatbots()[chatbot_id]["title"] == "still-here"
