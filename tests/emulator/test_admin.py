"""The /_emulator test hooks: see every row, cause drift behind the provider's back, turn knobs."""

from __future__ import annotations

import pytest

from caigunn_provider.emulator.knobs import Knobs
from tests.support import CHATBOT_PATH, UNKNOWN_ID, Admin

from .api_calls import create_by_query, list_page, row_by_api_key

DEFAULT_KNOBS = Knobs().model_dump(mode="json")


def test_admin_list_shows_deleted_rows_with_every_field(admin: Admin) -> None:
    created = create_by_query(admin, "listed-then-deleted")
    chatbot_id = row_by_api_key(admin, created["api_key"])["id"]
    admin.delete_out_of_band(chatbot_id)

    row = row_by_api_key(admin, created["api_key"])

    assert row["is_deleted"] is True
    assert {"title", "plan_id", "created_at", "updated_at", "prompt", "allowed_domains"} <= set(row)


def test_admin_rename_changes_the_title_the_list_shows(admin: Admin) -> None:
    chatbot_id = admin.create("old-name")

    response = admin.call("PATCH", f"/_emulator/chatbots/{chatbot_id}", json={"title": "drifted"})

    assert (response.status_code, response.json()["title"]) == (200, "drifted")
    listed = {c["id"]: c["title"] for c in list_page(admin, limit=10_000)}
    assert listed[chatbot_id] == "drifted"


def test_admin_delete_removes_the_chatbot_from_the_api(admin: Admin) -> None:
    chatbot_id = admin.create("deleted-out-of-band")

    response = admin.call("DELETE", f"/_emulator/chatbots/{chatbot_id}")

    assert (response.status_code, response.json()["is_deleted"]) == (200, True)
    assert chatbot_id not in {c["id"] for c in list_page(admin, limit=10_000)}
    again = admin.call("DELETE", f"/_emulator/chatbots/{chatbot_id}")
    assert (again.status_code, again.json()) == (404, {"detail": "Chatbot not found"})


@pytest.mark.parametrize("level", ["current"])
def test_an_out_of_band_delete_makes_chatbot_info_answer_404(admin: Admin) -> None:
    chatbot_id = admin.create("gone")
    admin.delete_out_of_band(chatbot_id)

    assert admin.call("GET", f"{CHATBOT_PATH}/{chatbot_id}").status_code == 404


def test_admin_rename_of_an_unknown_id_answers_404(admin: Admin) -> None:
    response = admin.call("PATCH", f"/_emulator/chatbots/{UNKNOWN_ID}", json={"title": "x"})

    assert (response.status_code, response.json()) == (404, {"detail": "Chatbot not found"})


def test_knobs_answer_the_full_set_and_change_at_run_time(admin: Admin) -> None:
    assert admin.knobs() == DEFAULT_KNOBS

    changed = admin.set_knobs(max_limit=5, newest_first=True)

    assert changed == {**DEFAULT_KNOBS, "max_limit": 5, "newest_first": True}
    assert admin.knobs() == changed


def test_bad_knob_values_and_unknown_knobs_answer_422_and_change_nothing(admin: Admin) -> None:
    response = admin.call("PUT", "/_emulator/knobs", json={"fail_rate": 1.5, "fail_slowly": True})

    assert response.status_code == 422
    locs = [error["loc"] for error in response.json()["detail"]]
    assert locs == [["body", "fail_rate"], ["body", "fail_slowly"]]
    assert admin.knobs() == DEFAULT_KNOBS


def test_the_request_log_holds_api_calls_only_and_can_be_cleared(admin: Admin) -> None:
    list_page(admin, offset=0, limit=2)
    admin.knobs()
    admin.call("GET", CHATBOT_PATH, token="wrong-token")

    entries = admin.requests()
    admin.clear_requests()

    assert [(e["method"], e["path"], e["query"], e["status"]) for e in entries] == [
        ("GET", CHATBOT_PATH, {"offset": "0", "limit": "2"}, 200),
        ("GET", CHATBOT_PATH, {}, 401),
    ]
    assert admin.requests() == []
