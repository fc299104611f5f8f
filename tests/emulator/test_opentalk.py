"""The Opentalk binding: bind, rebind, unbind, refusals, the admin view, knobs on its routes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import TOKEN, UNKNOWN_ID, Admin

from .knowledge_calls import Bot, make_bot

BOUND = {"detail": "Bind Opentalk successfully"}
UNBOUND = {"detail": "Unbind Opentalk successfully"}


@pytest.fixture
def level() -> str:
    """The Opentalk routes are the current level's (the seed test below asks for its own)."""
    return "current"


@pytest.fixture
def bot(admin: Admin) -> Bot:
    return make_bot(admin, "talks-on-a-device")


def device_of(bot: Bot) -> Any:
    """The device the admin view shows the chatbot bound to (None: none)."""
    (row,) = [row for row in bot.admin.rows() if row["id"] == bot.id]
    return row["opentalk_device_id"]


def bind(bot: Bot, device_id: Any, **kw: Any) -> Any:
    return bot.call("PUT", "/opentalk", json={"device_id": device_id}, **kw)


def test_bind_rebind_and_unbind_show_in_the_admin_view(bot: Bot) -> None:
    assert device_of(bot) is None

    first = bind(bot, "desk-phone-1")
    assert (first.status_code, first.json(), device_of(bot)) == (200, BOUND, "desk-phone-1")
    again = bind(bot, "lobby-speaker")
    assert (again.status_code, again.json(), device_of(bot)) == (200, BOUND, "lobby-speaker")
    unbound = bot.call("DELETE", "/opentalk")
    assert (unbound.status_code, unbound.json(), device_of(bot)) == (200, UNBOUND, None)


def test_unbinding_a_chatbot_bound_to_nothing_succeeds(bot: Bot) -> None:
    response = bot.call("DELETE", "/opentalk")

    assert (response.status_code, response.json()) == (200, UNBOUND)
    assert device_of(bot) is None


def test_the_binding_is_the_chatbots_own_and_not_in_its_public_info(admin: Admin, bot: Bot) -> None:
    other = make_bot(admin, "no-device")

    bind(bot, "desk-phone-1")

    assert (device_of(bot), device_of(other)) == ("desk-phone-1", None)
    assert "opentalk_device_id" not in bot.info()


@pytest.mark.parametrize(
    ("api_key", "token", "detail"),
    [
        ("0" * 40, TOKEN, "Invalid api-key"),
        ("", TOKEN, "Missing api-key header"),
        (None, "", "Missing caigunn-access-token header"),
    ],
    ids=["wrong api-key", "no api-key", "no token"],
)
def test_a_refused_call_answers_401_and_changes_nothing(
    bot: Bot, api_key: str | None, token: str, detail: str
) -> None:
    bind(bot, "desk-phone-1")
    headers = {"caigunn-access-token": token} if token else {}
    if api_key != "":
        headers["api-key"] = bot.api_key if api_key is None else api_key
    url = bot.admin.base_url + "/api/external/chatbot/opentalk"

    put = bot.admin.session.put(url, headers=headers, json={"device_id": "x"}, timeout=30)
    delete = bot.admin.session.delete(url, headers=headers, timeout=30)

    assert [put.status_code, delete.status_code] == [401, 401]
    assert put.json() == delete.json() == {"detail": detail}
    assert device_of(bot) == "desk-phone-1"


def test_the_token_header_is_refused_before_the_api_key(bot: Bot) -> None:
    response = bot.admin.session.put(
        bot.admin.base_url + "/api/external/chatbot/opentalk",
        headers={"caigunn-access-token": "wrong-token", "api-key": bot.api_key},
        json={"device_id": "x"},
        timeout=30,
    )

    assert (response.status_code, response.json()) == (
        401,
        {"detail": "Invalid caigunn-access-token"},
    )


@pytest.mark.parametrize(
    "body",
    [{}, {"device_id": ""}, {"device_id": "   "}, {"device_id": "x" * 256}, {"device_id": 7}],
    ids=["missing", "empty", "blank", "too long", "not text"],
)
def test_a_bad_body_answers_422_located_at_the_device_id(bot: Bot, body: dict[str, Any]) -> None:
    bind(bot, "desk-phone-1")

    response = bot.call("PUT", "/opentalk", json=body)

    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["body", "device_id"]]
    assert device_of(bot) == "desk-phone-1"


def test_a_body_that_is_not_json_answers_422(bot: Bot) -> None:
    response = bot.call("PUT", "/opentalk", data='{"device_id": ')

    assert response.status_code == 422
    assert device_of(bot) is None


def test_a_device_id_of_255_characters_binds_as_it_was_sent(bot: Bot) -> None:
    device = " " + "d" * 254  # not blank: kept as it is, spaces included

    assert bind(bot, device).status_code == 200
    assert device_of(bot) == device


def test_the_admin_edit_sets_and_clears_the_device_out_of_band(admin: Admin, bot: Bot) -> None:
    path = f"/_emulator/chatbots/{bot.id}"

    set_ = admin.call("PATCH", path, json={"opentalk_device_id": "from-the-console"})
    assert (set_.status_code, set_.json()["opentalk_device_id"]) == (200, "from-the-console")
    assert device_of(bot) == "from-the-console"
    refused = admin.call("PATCH", path, json={"opentalk_device_id": " "})
    assert (refused.status_code, device_of(bot)) == (422, "from-the-console")
    cleared = admin.call("PATCH", path, json={"opentalk_device_id": None})
    assert (cleared.status_code, device_of(bot)) == (200, None)


def test_a_scripted_answer_on_bind_fires_and_binds_nothing(admin: Admin, bot: Bot) -> None:
    admin.set_knobs(script=[{"operation": "bind_opentalk", "answer": "status", "status": 503}])

    refused = bind(bot, "desk-phone-1")

    assert (refused.status_code, refused.json()) == (503, {"detail": "Service Unavailable"})
    assert refused.headers["Retry-After"] == "1"
    assert device_of(bot) is None
    assert admin.knobs()["script"] == []
    assert bind(bot, "desk-phone-1").status_code == 200


def test_a_committing_scripted_answer_on_unbind_unbinds_then_answers_500(
    admin: Admin, bot: Bot
) -> None:
    bind(bot, "desk-phone-1")
    admin.set_knobs(script=[{"operation": "unbind_opentalk", "answer": "status", "commit": True}])

    response = bot.call("DELETE", "/opentalk")

    assert response.status_code == 500
    assert device_of(bot) is None


def test_the_opentalk_calls_are_in_the_request_log(admin: Admin, bot: Bot) -> None:
    admin.clear_requests()

    bind(bot, "desk-phone-1")
    bot.call("DELETE", "/opentalk", api_key="0" * 40)

    assert [(e["method"], e["path"], e["status"]) for e in admin.requests()] == [
        ("PUT", "/api/external/chatbot/opentalk", 200),
        ("DELETE", "/api/external/chatbot/opentalk", 401),
    ]


@pytest.mark.parametrize("level", ["seed"])
def test_a_seed_server_has_no_opentalk_route(admin: Admin) -> None:
    response = admin.call("PUT", "/api/external/chatbot/opentalk", json={"device_id": "x"})

    assert (response.status_code, response.json()) == (404, {"detail": "Not Found"})


def test_the_extras_hook_shows_the_device_beside_the_webhook(admin: Admin, bot: Bot) -> None:
    bind(bot, "desk-phone-1")

    extras = admin.call("GET", f"/_emulator/chatbots/{bot.id}/extras")
    unknown = admin.call("GET", f"/_emulator/chatbots/{UNKNOWN_ID}/extras")

    assert (extras.status_code, extras.json()) == (
        200,
        {"next_plan_id": None, "opentalk_device_id": "desk-phone-1", "webhook_url": None},
    )
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "Chatbot not found"})
