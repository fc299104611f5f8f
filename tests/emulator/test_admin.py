"""The /_emulator test hooks: see every row, cause drift behind the provider's back, turn knobs."""

from __future__ import annotations

import uuid

from .support import DEFAULT_KNOBS, USER_API, Api


def test_admin_list_shows_deleted_rows_with_every_field(api: Api) -> None:
    created = api.create("listed-then-deleted")
    api.call("DELETE", f"{USER_API}/chatbot/{created['chatbot_id']}")

    row = api.row_by_api_key(created["api_key"])

    assert row["id"] == created["chatbot_id"]
    assert row["is_deleted"] is True
    assert {"title", "plan_id", "created_at", "updated_at", "prompt"} <= set(row)


def test_admin_rename_changes_the_title_the_list_shows(api: Api) -> None:
    created = api.create("old-name")

    response = api.call(
        "PATCH", f"/_emulator/chatbots/{created['chatbot_id']}", json={"title": "drifted"}
    )

    assert response.status_code == 200
    assert response.json()["title"] == "drifted"
    listed = {c["id"]: c["title"] for c in api.list_chatbots(limit=10_000)}
    assert listed[created["chatbot_id"]] == "drifted"


def test_admin_delete_removes_the_chatbot_from_the_api(api: Api) -> None:
    created = api.create("deleted-out-of-band")

    response = api.call("DELETE", f"/_emulator/chatbots/{created['chatbot_id']}")

    assert response.status_code == 200
    assert response.json()["is_deleted"] is True
    info = api.call("GET", f"{USER_API}/chatbot/{created['chatbot_id']}")
    assert info.status_code == 404
    again = api.call("DELETE", f"/_emulator/chatbots/{created['chatbot_id']}")
    assert (again.status_code, again.json()) == (404, {"detail": "Chatbot not found"})


def test_admin_hooks_work_at_seed_level(seed_api: Api) -> None:
    body = seed_api.create_by_query("seed-drift")
    chatbot_id = seed_api.row_by_api_key(body["api_key"])["id"]

    seed_api.call("PATCH", f"/_emulator/chatbots/{chatbot_id}", json={"title": "seed-renamed"})
    renamed = {c["id"]: c["title"] for c in seed_api.list_chatbots(limit=10_000)}
    seed_api.call("DELETE", f"/_emulator/chatbots/{chatbot_id}")

    assert renamed[chatbot_id] == "seed-renamed"
    assert chatbot_id not in {c["id"] for c in seed_api.list_chatbots(limit=10_000)}


def test_admin_rename_of_an_unknown_id_answers_404(api: Api) -> None:
    response = api.call("PATCH", f"/_emulator/chatbots/{uuid.uuid4()}", json={"title": "x"})

    assert (response.status_code, response.json()) == (404, {"detail": "Chatbot not found"})


def test_knobs_answer_the_full_set_and_change_at_run_time(api: Api) -> None:
    assert api.call("GET", "/_emulator/knobs").json() == DEFAULT_KNOBS

    changed = api.set_knobs(max_limit=5, newest_first=True)

    assert changed == {**DEFAULT_KNOBS, "max_limit": 5, "newest_first": True}
    assert api.call("GET", "/_emulator/knobs").json() == changed


def test_bad_knob_values_and_unknown_knobs_answer_422_and_change_nothing(api: Api) -> None:
    response = api.call("PUT", "/_emulator/knobs", json={"fail_rate": 1.5, "fail_slowly": True})

    assert response.status_code == 422
    locs = [error["loc"] for error in response.json()["detail"]]
    assert locs == [["body", "fail_rate"], ["body", "fail_slowly"]]
    assert api.call("GET", "/_emulator/knobs").json() == DEFAULT_KNOBS
