"""Every endpoint of the current-level API, as the later public reference describes it."""

from __future__ import annotations

import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from tests.support import BASIC, CHATBOT_PATH, ENTERPRISE, PRO, TOKEN, USER_API, Admin

from .api_calls import (
    chatbot_info,
    create_by_query,
    create_form,
    list_page,
    ok_json,
    row_by_api_key,
)

pytestmark = pytest.mark.parametrize("level", ["current"])

CREATE_KEYS = {"chatbot_id", "webchat_id", "api_key", "expired_at"}
# The documented split: among the settings, only prompt and is_shared are read back.
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
    "is_shared",
    "period_start_at",
    "period_end_at",
    "next_plan_id",
    "character_limit",
    "crawler_limit",
    "training_limit",
    "total_file_size_limit",
    "webhook_url",
    "model",
}
NOT_FOUND = {"detail": "Chatbot not found"}


def _is_uuid4(value: str) -> bool:
    return uuid.UUID(value).version == 4 and str(uuid.UUID(value)) == value


def test_create_answers_chatbot_id_webchat_id_api_key_and_expired_at(admin: Admin) -> None:
    body = create_form(admin, "support-bot")

    assert set(body) == CREATE_KEYS
    assert _is_uuid4(body["chatbot_id"]) and _is_uuid4(body["webchat_id"])
    assert re.fullmatch(r"[0-9a-f]{40}", body["api_key"])
    assert body["expired_at"].endswith("Z")
    one_year = datetime.now(UTC) + timedelta(days=365)
    assert abs(datetime.fromisoformat(body["expired_at"]) - one_year) < timedelta(days=2)


def test_create_takes_title_and_plan_id_from_the_query_string_too(admin: Admin) -> None:
    body = create_by_query(admin, "query-bot", PRO)

    info = chatbot_info(admin, body["chatbot_id"])
    assert (info["title"], info["plan_id"]) == ("query-bot", PRO)


def test_create_prefers_form_fields_over_query_fields(admin: Admin) -> None:
    response = admin.call(
        "POST",
        CHATBOT_PATH,
        params={"title": "from-query", "plan_id": BASIC},
        data={"title": "from-form", "plan_id": PRO},
    )

    info = chatbot_info(admin, response.json()["chatbot_id"])
    assert (info["title"], info["plan_id"]) == ("from-form", PRO)


def test_chatbot_info_is_the_large_object_with_defaults_for_settings_not_given(
    admin: Admin,
) -> None:
    created = create_form(admin, "plain", ENTERPRISE)

    info = chatbot_info(admin, created["chatbot_id"])

    assert set(info) == INFO_KEYS
    assert info["id"] == created["chatbot_id"]
    assert info["webchat_id"] == created["webchat_id"]
    assert (info["title"], info["plan_id"], info["api_key"]) == (
        "plain",
        ENTERPRISE,
        created["api_key"],
    )
    assert info["is_deleted"] is False
    assert info["created_at"] == info["updated_at"]
    assert (info["prompt"], info["is_shared"]) == ("", False)


def test_list_answers_only_id_title_and_api_key(admin: Admin) -> None:
    created = create_form(admin, "listed")

    chatbots = list_page(admin, limit=1000)

    assert {"id": created["chatbot_id"], "title": "listed", "api_key": created["api_key"]} in (
        chatbots
    )
    assert all(set(chatbot) == {"id", "title", "api_key"} for chatbot in chatbots)


def test_list_defaults_to_offset_0_and_limit_30(admin: Admin) -> None:
    for n in range(31):
        create_form(admin, f"bulk-{n}")

    default_page = list_page(admin)

    assert len(default_page) == 30
    assert default_page == list_page(admin, offset=0, limit=30)


def test_list_is_oldest_first_and_offset_and_limit_page_through_it(admin: Admin) -> None:
    ids = [create_form(admin, f"ordered-{n}")["chatbot_id"] for n in range(3)]
    everything = [chatbot["id"] for chatbot in list_page(admin, limit=10_000)]
    start = everything.index(ids[0])

    assert everything[start : start + 3] == ids
    page = list_page(admin, offset=start + 1, limit=2)
    assert [chatbot["id"] for chatbot in page] == ids[1:]


def test_an_offset_past_the_end_answers_an_empty_page(admin: Admin) -> None:
    assert list_page(admin, offset=1_000_000) == []


def test_titles_need_not_be_unique(admin: Admin) -> None:
    first = create_form(admin, "twin")
    second = create_form(admin, "twin")

    assert first["chatbot_id"] != second["chatbot_id"]
    assert first["api_key"] != second["api_key"]


def test_update_changes_title_and_settings_and_answers_update_successfully(admin: Admin) -> None:
    created = create_form(admin, "before")
    path = f"{USER_API}/chatbot/{created['chatbot_id']}"

    response = admin.call("PUT", path, data={"title": "after", "is_shared": "true"})

    assert response.status_code == 200
    assert response.json() == {"detail": "update successfully"}
    info = admin.call("GET", path).json()
    assert (info["title"], info["is_shared"]) == ("after", True)
    assert info["updated_at"] >= info["created_at"]
    assert info["api_key"] == created["api_key"]


def test_update_cannot_change_the_plan(admin: Admin) -> None:
    created = create_form(admin, "planned", BASIC)
    path = f"{USER_API}/chatbot/{created['chatbot_id']}"

    response = admin.call("PUT", path, data={"plan_id": PRO})

    assert response.status_code == 200
    assert admin.call("GET", path).json()["plan_id"] == BASIC


def test_update_rejects_an_empty_title(admin: Admin) -> None:
    created = create_form(admin, "keep-me")
    path = f"{USER_API}/chatbot/{created['chatbot_id']}"

    response = admin.call("PUT", path, data={"title": ""})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "title"]
    assert admin.call("GET", path).json()["title"] == "keep-me"


def test_delete_answers_delete_chatbot_successfully_and_soft_deletes(admin: Admin) -> None:
    created = create_form(admin, "doomed")
    path = f"{USER_API}/chatbot/{created['chatbot_id']}"

    response = admin.call("DELETE", path)

    assert response.status_code == 200
    assert response.json() == {"detail": "Delete chatbot successfully"}
    assert created["chatbot_id"] not in {c["id"] for c in list_page(admin, limit=10_000)}
    assert row_by_api_key(admin, created["api_key"])["is_deleted"] is True


def test_a_deleted_chatbot_answers_404_to_get_put_and_delete(admin: Admin) -> None:
    created = create_form(admin, "gone")
    path = f"{USER_API}/chatbot/{created['chatbot_id']}"
    admin.call("DELETE", path)

    for method in ("GET", "PUT", "DELETE"):
        response = admin.call(method, path, data={"title": "x"} if method == "PUT" else None)
        assert (response.status_code, response.json()) == (404, NOT_FOUND), method


def test_an_unknown_chatbot_id_answers_404(admin: Admin) -> None:
    for chatbot_id in (str(uuid.uuid4()), "not-a-uuid"):
        response = admin.call("GET", f"{USER_API}/chatbot/{chatbot_id}")
        assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_list_plans_answers_the_fixed_catalogue(admin: Admin) -> None:
    response = admin.call("GET", f"{USER_API}/plan")

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


def test_list_plans_pages_with_offset_and_limit(admin: Admin) -> None:
    response = admin.call("GET", f"{USER_API}/plan", params={"offset": 1, "limit": 1})

    assert [plan["id"] for plan in response.json()["plans"]] == [PRO]


def test_token_refresh_rejects_an_expired_date_that_is_not_a_date(admin: Admin) -> None:
    response = admin.call("GET", f"{USER_API}/token/refresh", params={"expired_date": "soon"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "expired_date"]


def test_an_unknown_route_answers_404_not_found(admin: Admin) -> None:
    response = admin.call("GET", "/api/external/user/nothing-here")

    assert (response.status_code, response.json()) == (404, {"detail": "Not Found"})


def test_twenty_parallel_creates_all_land_with_unique_ids(admin: Admin) -> None:
    start = threading.Barrier(20)

    def create(n: int) -> dict[str, Any]:
        start.wait()  # release all threads at once so the requests really overlap
        with requests.Session() as session:
            response = session.post(
                admin.base_url + CHATBOT_PATH,
                headers={"caigunn-access-token": TOKEN},
                data={"title": f"parallel-{n}", "plan_id": BASIC},
                timeout=30,
            )
        body: dict[str, Any] = ok_json(response)
        return body

    with ThreadPoolExecutor(max_workers=20) as pool:
        bodies = list(pool.map(create, range(20)))

    ids = {body["chatbot_id"] for body in bodies}
    assert len(ids) == 20
    assert {row["id"] for row in admin.rows()} == ids
    assert sorted(row["title"] for row in admin.rows()) == sorted(
        f"parallel-{n}" for n in range(20)
    )
