"""Every endpoint of the current-level API, as the later public reference describes it."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from .support import BASIC, ENTERPRISE, PRO, TOKEN, USER_API, Api

CREATE_KEYS = {"chatbot_id", "webchat_id", "api_key", "expired_at"}
INFO_KEYS = {
    "id",
    "webchat_id",
    "title",
    "plan_id",
    "api_key",
    "expired_at",
    "is_deleted",
    "created_at",
    "updated_at",
    "prompt",
    "main_color",
    "is_default_visible",
    "button_style",
    "initial_messages",
    "is_fixed",
    "show_history",
    "allowed_domains",
    "model_id",
    "is_shared",
    "avatar",
    "button_image",
}
NOT_FOUND = {"detail": "Chatbot not found"}


def _is_uuid4(value: str) -> bool:
    return uuid.UUID(value).version == 4 and str(uuid.UUID(value)) == value


def test_create_answers_chatbot_id_webchat_id_api_key_and_expired_at(api: Api) -> None:
    body = api.create("support-bot")

    assert set(body) == CREATE_KEYS
    assert _is_uuid4(body["chatbot_id"]) and _is_uuid4(body["webchat_id"])
    assert re.fullmatch(r"[0-9a-f]{40}", body["api_key"])
    assert body["expired_at"].endswith("Z")
    one_year = datetime.now(UTC) + timedelta(days=365)
    assert abs(datetime.fromisoformat(body["expired_at"]) - one_year) < timedelta(days=2)


def test_create_takes_title_and_plan_id_from_the_query_string_too(api: Api) -> None:
    body = api.create_by_query("query-bot", PRO)

    info = api.call("GET", f"{USER_API}/chatbot/{body['chatbot_id']}").json()
    assert (info["title"], info["plan_id"]) == ("query-bot", PRO)


def test_create_prefers_form_fields_over_query_fields(api: Api) -> None:
    response = api.call(
        "POST",
        f"{USER_API}/chatbot",
        params={"title": "from-query", "plan_id": BASIC},
        data={"title": "from-form", "plan_id": PRO},
    )

    info = api.call("GET", f"{USER_API}/chatbot/{response.json()['chatbot_id']}").json()
    assert (info["title"], info["plan_id"]) == ("from-form", PRO)


def test_create_stores_optional_settings_and_files_that_chatbot_info_shows(api: Api) -> None:
    response = api.call(
        "POST",
        f"{USER_API}/chatbot",
        data={
            "title": "styled",
            "plan_id": ENTERPRISE,
            "prompt": "Be brief.",
            "button_style": "image",
            "is_fixed": "true",
            "initial_messages": ["Hi!", "How can I help?"],
            "allowed_domains": '["example.com"]',
        },
        files={"avatar": ("face.png", b"\x89PNG", "image/png")},
    )
    assert response.status_code == 200, response.text

    info = api.call("GET", f"{USER_API}/chatbot/{response.json()['chatbot_id']}").json()
    assert info["prompt"] == "Be brief."
    assert info["button_style"] == "image"
    assert info["is_fixed"] is True
    assert info["initial_messages"] == ["Hi!", "How can I help?"]
    assert info["allowed_domains"] == ["example.com"]
    assert info["avatar"] == "face.png"


def test_chatbot_info_is_the_large_object_with_defaults_for_settings_not_given(api: Api) -> None:
    created = api.create("plain")

    info = api.call("GET", f"{USER_API}/chatbot/{created['chatbot_id']}").json()

    assert set(info) == INFO_KEYS
    assert info["id"] == created["chatbot_id"]
    assert info["webchat_id"] == created["webchat_id"]
    assert (info["title"], info["plan_id"], info["api_key"]) == ("plain", BASIC, created["api_key"])
    assert info["is_deleted"] is False
    assert info["created_at"] == info["updated_at"]
    assert (info["button_style"], info["is_shared"], info["initial_messages"]) == (
        "basic",
        False,
        [],
    )


def test_list_answers_only_id_title_and_api_key(api: Api) -> None:
    created = api.create("listed")

    chatbots = api.list_chatbots(limit=1000)

    assert {"id": created["chatbot_id"], "title": "listed", "api_key": created["api_key"]} in (
        chatbots
    )
    assert all(set(chatbot) == {"id", "title", "api_key"} for chatbot in chatbots)


def test_list_defaults_to_offset_0_and_limit_30(api: Api) -> None:
    for n in range(31):
        api.create(f"bulk-{n}")

    default_page = api.list_chatbots()

    assert len(default_page) == 30
    assert default_page == api.list_chatbots(offset=0, limit=30)


def test_list_is_oldest_first_and_offset_and_limit_page_through_it(api: Api) -> None:
    ids = [api.create(f"ordered-{n}")["chatbot_id"] for n in range(3)]
    everything = [chatbot["id"] for chatbot in api.list_chatbots(limit=10_000)]
    start = everything.index(ids[0])

    assert everything[start : start + 3] == ids
    page = api.list_chatbots(offset=start + 1, limit=2)
    assert [chatbot["id"] for chatbot in page] == ids[1:]


def test_an_offset_past_the_end_answers_an_empty_page(api: Api) -> None:
    assert api.list_chatbots(offset=1_000_000) == []


def test_titles_need_not_be_unique(api: Api) -> None:
    first = api.create("twin")
    second = api.create("twin")

    assert first["chatbot_id"] != second["chatbot_id"]
    assert first["api_key"] != second["api_key"]


def test_update_changes_title_and_settings_and_answers_update_successfully(api: Api) -> None:
    created = api.create("before")
    path = f"{USER_API}/chatbot/{created['chatbot_id']}"

    response = api.call("PUT", path, data={"title": "after", "show_history": "false"})

    assert response.status_code == 200
    assert response.json() == {"detail": "update successfully"}
    info = api.call("GET", path).json()
    assert (info["title"], info["show_history"]) == ("after", False)
    assert info["updated_at"] >= info["created_at"]
    assert info["api_key"] == created["api_key"]


def test_update_cannot_change_the_plan(api: Api) -> None:
    created = api.create("planned", BASIC)
    path = f"{USER_API}/chatbot/{created['chatbot_id']}"

    response = api.call("PUT", path, data={"plan_id": PRO})

    assert response.status_code == 200
    assert api.call("GET", path).json()["plan_id"] == BASIC


def test_update_rejects_an_empty_title(api: Api) -> None:
    created = api.create("keep-me")
    path = f"{USER_API}/chatbot/{created['chatbot_id']}"

    response = api.call("PUT", path, data={"title": ""})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "title"]
    assert api.call("GET", path).json()["title"] == "keep-me"


def test_delete_answers_delete_chatbot_successfully_and_soft_deletes(api: Api) -> None:
    created = api.create("doomed")
    path = f"{USER_API}/chatbot/{created['chatbot_id']}"

    response = api.call("DELETE", path)

    assert response.status_code == 200
    assert response.json() == {"detail": "Delete chatbot successfully"}
    assert created["chatbot_id"] not in {c["id"] for c in api.list_chatbots(limit=10_000)}
    assert api.row_by_api_key(created["api_key"])["is_deleted"] is True


def test_a_deleted_chatbot_answers_404_to_get_put_and_delete(api: Api) -> None:
    created = api.create("gone")
    path = f"{USER_API}/chatbot/{created['chatbot_id']}"
    api.call("DELETE", path)

    for method in ("GET", "PUT", "DELETE"):
        response = api.call(method, path, data={"title": "x"} if method == "PUT" else None)
        assert (response.status_code, response.json()) == (404, NOT_FOUND), method


def test_an_unknown_chatbot_id_answers_404(api: Api) -> None:
    for chatbot_id in (str(uuid.uuid4()), "not-a-uuid"):
        response = api.call("GET", f"{USER_API}/chatbot/{chatbot_id}")
        assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_list_plans_answers_the_fixed_catalogue(api: Api) -> None:
    response = api.call("GET", f"{USER_API}/plan")

    plans = response.json()["plans"]
    assert [(plan["id"], plan["title"]) for plan in plans] == [
        (BASIC, "Basic"),
        (PRO, "Pro"),
        (ENTERPRISE, "Enterprise"),
    ]
    for plan in plans:
        assert set(plan) == {
            "id",
            "title",
            "crawler_limit",
            "character_limit",
            "training_limit",
            "price",
        }
        assert all(isinstance(plan[key], int) for key in ("crawler_limit", "training_limit"))
        assert isinstance(plan["character_limit"], int)
        assert isinstance(plan["price"], float)


def test_list_plans_pages_with_offset_and_limit(api: Api) -> None:
    response = api.call("GET", f"{USER_API}/plan", params={"offset": 1, "limit": 1})

    assert [plan["id"] for plan in response.json()["plans"]] == [PRO]


def test_token_refresh_answers_the_one_accepted_token(api: Api) -> None:
    response = api.call("GET", f"{USER_API}/token/refresh", params={"expired_date": "2030-01-01"})

    assert (response.status_code, response.json()) == (200, {"token": TOKEN})
    assert api.call("GET", f"{USER_API}/token/refresh").json() == {"token": TOKEN}


def test_token_refresh_rejects_an_expired_date_that_is_not_a_date(api: Api) -> None:
    response = api.call("GET", f"{USER_API}/token/refresh", params={"expired_date": "soon"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "expired_date"]


def test_an_unknown_route_answers_404_not_found(api: Api) -> None:
    response = api.call("GET", "/api/external/user/nothing-here")

    assert (response.status_code, response.json()) == (404, {"detail": "Not Found"})
