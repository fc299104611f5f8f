"""The token's expiry and refresh, and per-chatbot plan periods and other out-of-band edits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support import CHATBOT_PATH, ENTERPRISE, TOKEN, USER_API, Admin

from .api_calls import chatbot_info, create_form
from .knowledge_calls import make_bot

pytestmark = pytest.mark.parametrize("level", ["current"])
REFRESH = f"{USER_API}/token/refresh"


def test_calls_after_the_token_expiry_answer_401_and_admin_hooks_still_work(admin: Admin) -> None:
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    admin.set_knobs(token_expires_at=past)

    refused = admin.call("GET", CHATBOT_PATH)

    assert (refused.status_code, refused.json()) == (
        401,
        {"detail": "caigunn-access-token has expired"},
    )
    admin.set_knobs(token_expires_at=None)
    assert admin.call("GET", CHATBOT_PATH).status_code == 200


def test_a_token_expiry_in_the_future_refuses_nothing_yet(admin: Admin) -> None:
    admin.set_knobs(token_expires_at=(datetime.now(UTC) + timedelta(hours=1)).isoformat())

    assert admin.call("GET", CHATBOT_PATH).status_code == 200


def test_a_refresh_issues_a_new_token_and_retires_the_old_one(admin: Admin) -> None:
    response = admin.call("GET", REFRESH, params={"expired_date": "2030-01-01"})

    new = response.json()["token"]
    assert response.status_code == 200 and set(response.json()) == {"token"}
    assert new != TOKEN and len(new) >= 32
    old = admin.call("GET", CHATBOT_PATH)
    assert (old.status_code, old.json()) == (401, {"detail": "Invalid caigunn-access-token"})
    assert admin.call("GET", CHATBOT_PATH, token=new).status_code == 200
    assert admin.knobs()["token_expires_at"].startswith("2030-01-01T00:00:00")


def test_the_new_token_is_valid_30_days_by_default_and_the_admin_hook_shows_it(
    admin: Admin,
) -> None:
    new = admin.call("GET", REFRESH).json()["token"]

    shown = admin.call("GET", "/_emulator/token").json()  # the start token still opens hooks

    in_30_days = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    assert (shown["token"], shown["retired"]) == (new, 1)
    assert shown["expires_at"].startswith(in_30_days)
    assert admin.call("GET", "/_emulator/token", token=new).status_code == 200


def test_a_second_refresh_retires_the_first_new_token_too(admin: Admin) -> None:
    first = admin.call("GET", REFRESH).json()["token"]
    second = admin.call("GET", REFRESH, token=first).json()["token"]

    assert admin.call("GET", CHATBOT_PATH, token=first).status_code == 401
    assert admin.call("GET", CHATBOT_PATH, token=second).status_code == 200


def test_a_refresh_until_today_or_earlier_answers_400_and_keeps_the_token(admin: Admin) -> None:
    today = datetime.now(UTC).date().isoformat()

    response = admin.call("GET", REFRESH, params={"expired_date": today})

    assert (response.status_code, response.json()) == (
        400,
        {"detail": "expired_date must be a date after today"},
    )
    assert admin.call("GET", CHATBOT_PATH).status_code == 200


def test_create_answers_expired_at_which_is_the_period_end(admin: Admin) -> None:
    created = create_form(admin, "periodic")

    info = chatbot_info(admin, created["chatbot_id"])

    assert info["period_end_at"] == created["expired_at"] == info["expired_at"]
    assert info["period_start_at"] == info["created_at"]
    assert info["next_plan_id"] is None


def test_the_period_end_and_next_plan_are_settable_out_of_band(admin: Admin) -> None:
    chatbot_id = create_form(admin, "ending-soon")["chatbot_id"]

    edited = admin.call(
        "PATCH",
        f"/_emulator/chatbots/{chatbot_id}",
        json={"period_end_at": "2026-03-04T05:06:07+02:00", "next_plan_id": ENTERPRISE},
    )

    assert edited.status_code == 200
    info = chatbot_info(admin, chatbot_id)
    assert info["period_end_at"] == "2026-03-04T03:06:07.000Z" == info["expired_at"]
    assert info["next_plan_id"] == ENTERPRISE


@pytest.mark.parametrize(
    "body",
    [{}, {"period_end_at": "2026-03-04T05:06:07"}, {"title": None}, {"color": "red"}],
)
def test_a_bad_out_of_band_edit_answers_422(admin: Admin, body: dict[str, object]) -> None:
    chatbot_id = create_form(admin, "kept")["chatbot_id"]

    response = admin.call("PATCH", f"/_emulator/chatbots/{chatbot_id}", json=body)

    assert response.status_code == 422
    assert chatbot_info(admin, chatbot_id)["title"] == "kept"


def test_model_id_and_webhook_are_settable_out_of_band(admin: Admin) -> None:
    bot = make_bot(admin)
    bot.add_text("x")
    admin.set_knobs(work_ms=0)
    model_id = bot.wait(bot.train())["data"]["model_id"]

    admin.call(
        "PATCH",
        f"/_emulator/chatbots/{bot.id}",
        json={"model_id": model_id, "webhook_url": "https://elsewhere.example/hook"},
    )
    (row,) = [row for row in admin.rows() if row["id"] == bot.id]

    assert bot.info()["model"]["id"] == model_id == row["model_id"]
    assert bot.info()["webhook_url"] == "https://elsewhere.example/hook" == row["webhook_url"]
    admin.call("PATCH", f"/_emulator/chatbots/{bot.id}", json={"model_id": None})
    assert bot.info()["model"] is None


def test_the_knowledge_hook_lists_rows_models_and_events_and_deletes_a_row(admin: Admin) -> None:
    bot = make_bot(admin)
    admin.set_knobs(work_ms=0)
    keep, drop = bot.add_text("keep"), bot.add_text("drop")
    model_id = bot.wait(bot.train())["data"]["model_id"]

    deleted = admin.call("DELETE", f"/_emulator/chatbots/{bot.id}/training_data/{drop}")
    knowledge = admin.call("GET", f"/_emulator/chatbots/{bot.id}/knowledge").json()

    assert deleted.status_code == 200
    assert [row["id"] for row in bot.rows()] == [keep]
    assert [(row["id"], row["characters"]) for row in knowledge["training_data"]] == [(keep, 4)]
    assert [model["id"] for model in knowledge["models"]] == [model_id]
    (event,) = knowledge["events"]
    assert [log["status"] for log in event["webhook_logs"]] == ["initial", "completed"]
    gone = admin.call("DELETE", f"/_emulator/chatbots/{bot.id}/training_data/{drop}")
    assert gone.status_code == 404
