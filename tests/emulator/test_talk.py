"""Conversations: talks answered from the serving model's rows and the prompt, the model switch
and its delay, the message limit, the uid and message lists with their paging, each talk knob."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from caigunn_provider.emulator.answer_rules import IDK, draws_idk
from tests.support import CHATBOT_PATH, PRO, TOKEN, UNKNOWN_ID, Admin, wait_for

from .api_calls import ok_json
from .knowledge_calls import CHATBOT_API, Bot, make_bot

HOURS = "Opening hours: Mon-Fri 9:00-18:00."
REFUNDS = "Refunds are paid back within 14 days."
SHIPPING = "Shipping is free for orders over 50 euros."


@pytest.fixture
def level() -> str:
    """The conversation routes are the current level's (the seed test below asks for its own)."""
    return "current"


@pytest.fixture
def bot(admin: Admin) -> Bot:
    admin.set_knobs(work_ms=0)  # trainings finish at once
    return make_bot(admin, "answers-questions")


def call(
    bot: Bot, method: str, path: str, *, uid: str | None = None, timeout: float = 30, **kw: Any
) -> requests.Response:
    """A chatbot-level request with both headers, and the uid header if one is given."""
    headers = {"caigunn-access-token": bot.admin.token, "api-key": bot.api_key}
    if uid is not None:
        headers["uid"] = uid
    return bot.admin.session.request(
        method, bot.admin.base_url + CHATBOT_API + path, headers=headers, timeout=timeout, **kw
    )


def talk(
    bot: Bot,
    text: str,
    uid: str = "ticket-1",
    *,
    nickname: str | None = None,
    timeout: float = 30,
) -> requests.Response:
    """POST /talk; the raw response."""
    params = {} if nickname is None else {"nickname": nickname}
    return call(bot, "POST", "/talk", uid=uid, params=params, json={"text": text}, timeout=timeout)


def ask(bot: Bot, text: str, uid: str = "ticket-1", **kw: Any) -> str:
    """The answer to a talk that must succeed."""
    return str(ok_json(talk(bot, text, uid, **kw))["text"])


def train_on(bot: Bot, *texts: str) -> str:
    """A model trained on exactly these text rows (the chatbot's other rows deleted first)."""
    for row in bot.rows():
        ok_json(bot.call("DELETE", f"/training_data/{row['id']}"))
    for text in texts:
        bot.add_text(text)
    final = bot.wait(bot.train())
    assert final["status"] == "completed", final
    return str(final["data"]["model_id"])


def update(bot: Bot, **form: str) -> None:
    """PUT /user/chatbot/{id}: model_id, prompt, ..."""
    ok_json(bot.admin.call("PUT", f"{CHATBOT_PATH}/{bot.id}", data=form))


def serving(bot: Bot, *texts: str) -> str:
    """A model trained on these texts and put into service at once; its id."""
    model_id = train_on(bot, *texts)
    update(bot, model_id=model_id)
    return model_id


def conversations(bot: Bot) -> dict[str, Any]:
    """The admin view of the chatbot's conversations."""
    view: dict[str, Any] = ok_json(
        bot.admin.call("GET", f"/_emulator/chatbots/{bot.id}/conversations")
    )
    return view


def uids(bot: Bot, **params: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = ok_json(bot.call("GET", "/uids", params=params))["uids"]
    return rows


def messages(bot: Bot, uid: str = "ticket-1", **params: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = ok_json(call(bot, "GET", "/messages", uid=uid, params=params))[
        "messages"
    ]
    return rows


# The answer


def test_a_talk_answers_with_the_row_sharing_the_most_words_with_the_question(bot: Bot) -> None:
    serving(bot, HOURS, REFUNDS, SHIPPING)

    assert ask(bot, "What are your opening hours?") == HOURS
    assert ask(bot, "How fast are REFUNDS paid?") == REFUNDS
    assert ask(bot, "Is shipping free?") == SHIPPING


def test_equal_rows_answer_with_the_first_and_a_long_row_with_its_best_paragraph(
    bot: Bot,
) -> None:
    manual = "Returns: send the parcel back.\n\nWarranty: two years on every device.\n"
    serving(bot, "Parcel tracking by e-mail.", "Parcel lockers in every town.", manual)

    assert ask(bot, "parcel") == "Parcel tracking by e-mail."  # three rows share one word
    assert (
        ask(bot, "How long is the warranty on a device?") == "Warranty: two years on every device."
    )


@pytest.mark.parametrize(
    "question", ["What is the weather like?", "Do you? Is it? What, how can I?"]
)
def test_a_question_sharing_no_word_but_stop_words_is_answered_i_dont_know(
    bot: Bot, question: str
) -> None:
    serving(bot, HOURS, "What is it? You can do it and I can too.")

    assert ask(bot, question) == IDK


def test_without_a_model_of_its_own_the_chatbot_answers_i_dont_know(admin: Admin, bot: Bot) -> None:
    assert ask(bot, "opening hours") == IDK  # no model_id at all
    other = make_bot(admin, "other")
    update(bot, model_id=train_on(other, HOURS))  # another chatbot's model

    assert ask(bot, "opening hours") == IDK


def test_a_model_switch_changes_the_answer(bot: Bot) -> None:
    first = serving(bot, "Our shop opens at 9:00.")
    assert ask(bot, "When does the shop open?") == "Our shop opens at 9:00."

    second = serving(bot, "The shop opens at 10:00 from May.")

    assert second != first
    assert ask(bot, "When does the shop open?") == "The shop opens at 10:00 from May."
    update(bot, model_id=first)  # a rollback
    assert ask(bot, "When does the shop open?") == "Our shop opens at 9:00."


def test_a_model_still_answers_from_rows_deleted_after_its_training(bot: Bot) -> None:
    serving(bot, HOURS)

    (row,) = bot.rows()
    ok_json(bot.call("DELETE", f"/training_data/{row['id']}"))

    assert ask(bot, "opening hours") == HOURS


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("You are the support desk of Example Ltd.", HOURS),
        ("Always answer: Please call us.", "Please call us."),
        ("Start every answer with: Hello!", f"Hello! {HOURS}"),
        ("end every answer with:   Bye.  ", f"{HOURS} Bye."),
        ("Answer in capitals.", HOURS.upper()),
        ("ANSWER IN CAPITALS", HOURS.upper()),
        ("Refuse every question.", IDK),
        ("Always answer: Call us.\nRefuse every question.", IDK),
        (
            "Be kind.\nStart every answer with: Hi,\nEnd every answer with: Bye.\n"
            "Answer in capitals.\nAlways answer: call us.",
            "HI, CALL US. BYE.",
        ),
        ("Always answer: one\nAlways answer: two", "two"),
    ],
    ids=[
        "other lines ignored",
        "always",
        "start",
        "end, spaces stripped",
        "capitals",
        "capitals, no period",
        "refuse",
        "refuse wins",
        "all at once",
        "the later wins",
    ],
)
def test_a_prompt_edit_changes_the_answer_at_once(bot: Bot, prompt: str, expected: str) -> None:
    serving(bot, HOURS)
    assert ask(bot, "opening hours") == HOURS

    update(bot, prompt=prompt)

    assert ask(bot, "opening hours") == expected


def test_i_dont_know_is_never_started_ended_or_capitalised(bot: Bot) -> None:
    serving(bot, HOURS)
    update(
        bot, prompt="Start every answer with: Hi!\nEnd every answer with: Bye.\nAnswer in capitals."
    )

    assert ask(bot, "weather") == IDK
    assert ask(bot, "hours") == f"Hi! {HOURS} Bye.".upper()


# The model switch delay


def test_after_a_switch_the_model_before_answers_until_the_delay_has_passed(bot: Bot) -> None:
    bot.admin.set_knobs(model_switch_delay_ms=1000)
    first = serving(bot, "Our shop opens at 9:00.")
    assert ask(bot, "When does the shop open?") == IDK  # the first model is not serving yet
    wait_for(lambda: conversations(bot)["serving_model_id"] == first, "the first model", 10)
    second = train_on(bot, "The shop opens at 10:00 from May.")

    switched = time.monotonic()
    update(bot, model_id=second)

    assert ask(bot, "When does the shop open?") == "Our shop opens at 9:00."
    assert bot.info()["model"]["id"] == second  # the setting is the new one at once
    wait_for(lambda: conversations(bot)["serving_model_id"] == second, "the switch", 10)
    assert time.monotonic() - switched >= 1.0
    assert ask(bot, "When does the shop open?") == "The shop opens at 10:00 from May."
    answered_by = [m["model_id"] for m in conversations(bot)["conversations"][0]["messages"]]
    assert answered_by == [None, first, second]


def test_two_switches_inside_the_delay_take_effect_one_after_the_other(bot: Bot) -> None:
    bot.admin.set_knobs(model_switch_delay_ms=1000)
    first = serving(bot, "Our shop opens at 9:00.")
    second = train_on(bot, "The shop opens at 10:00 from May.")
    third = train_on(bot, "The shop opens at 11:00 on Sundays.")
    wait_for(lambda: conversations(bot)["serving_model_id"] == first, "the first model", 10)

    update(bot, model_id=second)
    time.sleep(0.7)
    update(bot, model_id=third)
    seen: list[str] = []

    def serving_third() -> bool:
        now = conversations(bot)["serving_model_id"]
        if not seen or seen[-1] != now:
            seen.append(now)
        return bool(now == third)

    wait_for(serving_third, "the third model", 10)
    assert seen == [first, second, third]


def test_the_delay_is_read_at_each_talk_so_raising_it_holds_back_recent_switches(
    bot: Bot,
) -> None:
    first = serving(bot, "Our shop opens at 9:00.")  # no delay: serving at once
    assert ask(bot, "When does the shop open?") == "Our shop opens at 9:00."

    bot.admin.set_knobs(model_switch_delay_ms=600_000)

    assert conversations(bot)["serving_model_id"] is None  # what the chatbot had 10 minutes ago
    assert ask(bot, "When does the shop open?") == IDK
    bot.admin.set_knobs(model_switch_delay_ms=0)
    assert conversations(bot)["serving_model_id"] == first


def test_a_prompt_edit_is_not_delayed_by_the_model_switch_delay(bot: Bot) -> None:
    serving(bot, HOURS)
    bot.admin.set_knobs(model_switch_delay_ms=600_000)

    update(bot, prompt="Always answer: Closed for good.")

    assert ask(bot, "opening hours") == "Closed for good."


# The message limit


def test_past_the_message_limit_a_talk_answers_403_and_stores_nothing(bot: Bot) -> None:
    serving(bot, HOURS)
    bot.admin.set_knobs(message_limit=3)
    for n in range(3):
        assert ask(bot, f"hours {n}", uid=f"u{n}") == HOURS

    refused = talk(bot, "hours again", uid="u-new")

    assert (refused.status_code, refused.json()) == (403, {"detail": "Message limit exceeded"})
    view = conversations(bot)
    assert (view["talks"], view["message_limit"]) == (3, 3)
    assert [c["uid"] for c in view["conversations"]] == ["u2", "u1", "u0"]


def test_the_limit_is_checked_before_the_talk_latency(bot: Bot) -> None:
    bot.admin.set_knobs(message_limit=0, talk_latency_ms=5000)
    started = time.monotonic()

    refused = talk(bot, "hours")

    assert refused.status_code == 403
    assert time.monotonic() - started < 4


def test_answers_i_dont_know_count_and_forgetting_the_conversations_resets_the_count(
    bot: Bot,
) -> None:
    bot.admin.set_knobs(message_limit=2)
    assert [ask(bot, "one"), ask(bot, "two")] == [IDK, IDK]  # no model: they count all the same
    assert talk(bot, "three").status_code == 403

    forgotten = bot.admin.call("DELETE", f"/_emulator/chatbots/{bot.id}/conversations")

    assert (forgotten.status_code, forgotten.json()["talks"]) == (200, 0)
    assert forgotten.json()["conversations"] == []
    assert ask(bot, "three") == IDK


def test_without_the_knob_the_message_limit_is_the_plans(admin: Admin, bot: Bot) -> None:
    pro = make_bot(admin, "pro", PRO)

    assert conversations(bot)["message_limit"] == 1_000
    assert conversations(pro)["message_limit"] == 10_000


# Conversations and their list


def test_uids_list_the_conversations_latest_talk_first_and_a_talk_moves_one_to_the_front(
    bot: Bot,
) -> None:
    serving(bot, HOURS, REFUNDS)
    for uid in ("a", "b", "c"):
        ask(bot, "opening hours", uid)
    assert [row["uid"] for row in uids(bot)] == ["c", "b", "a"]

    ask(bot, "refunds", "a")

    rows = uids(bot)
    assert [row["uid"] for row in rows] == ["a", "c", "b"]
    assert rows[0] == {
        "uid": "a",
        "nickname": None,
        "source": "api",
        "last_sent": REFUNDS,
        "last_sent_at": rows[0]["last_sent_at"],
    }
    assert rows[0]["last_sent_at"] == messages(bot, "a")[-1]["created_at"]


def test_a_nickname_stays_the_conversations_until_another_is_given(bot: Bot) -> None:
    ask(bot, "hello", nickname="Ann")
    ask(bot, "still me")
    assert uids(bot)[0]["nickname"] == "Ann"

    ask(bot, "new name", nickname="Annie")

    assert uids(bot)[0]["nickname"] == "Annie"
    assert [m["nickname"] for m in conversations(bot)["conversations"][0]["messages"]] == [
        "Ann",
        "Ann",
        "Annie",
    ]


def test_uids_page_with_offset_and_limit_and_the_max_limit_clamp(bot: Bot) -> None:
    for n in range(10):
        ask(bot, "hello", f"u{n}")
    newest_first = [f"u{n}" for n in reversed(range(10))]
    assert [row["uid"] for row in uids(bot)] == newest_first  # default limit 30

    bot.admin.set_knobs(max_limit=7)

    first = uids(bot, offset=0, limit=30)
    second = uids(bot, offset=7, limit=30)
    assert (len(first), len(second)) == (7, 3)
    assert [row["uid"] for row in first + second] == newest_first
    assert [row["uid"] for row in uids(bot, offset=2, limit=3)] == newest_first[2:5]
    bot.admin.set_knobs(ignore_offset=True)
    assert [row["uid"] for row in uids(bot, offset=7)] == newest_first[:7]


def test_uids_filter_on_last_sent_at_with_both_bounds_included(bot: Bot) -> None:
    for uid in ("a", "b", "c"):
        ask(bot, "hello", uid)
        time.sleep(0.01)  # distinct milliseconds
    at = {row["uid"]: row["last_sent_at"] for row in uids(bot)}

    def listed(**bounds: str) -> list[str]:
        return [row["uid"] for row in uids(bot, **bounds)]

    assert listed(start_at=at["b"]) == ["c", "b"]
    assert listed(end_at=at["b"]) == ["b", "a"]
    assert listed(start_at=at["b"], end_at=at["b"]) == ["b"]
    assert listed(start_at="2000-01-01") == ["c", "b", "a"]
    assert listed(end_at="2000-01-01T00:00:00+02:00") == []


@pytest.mark.parametrize(
    "params",
    [{"offset": -1}, {"limit": 0}, {"limit": "x"}, {"start_at": "yesterday"}],
    ids=["negative offset", "zero limit", "limit not a number", "start_at not a time"],
)
def test_bad_list_parameters_answer_422(bot: Bot, params: dict[str, Any]) -> None:
    assert bot.call("GET", "/uids", params=params).status_code == 422
    assert call(bot, "GET", "/messages", uid="a", params=params).status_code == 422


# Messages


def test_messages_are_the_uids_talks_oldest_first(bot: Bot) -> None:
    serving(bot, HOURS)
    ask(bot, "opening hours", "a")
    ask(bot, "weather", "b")
    ask(bot, "hours on Monday?", "a")

    listed = messages(bot, "a")

    assert [(m["receive"], m["send"]) for m in listed] == [
        ("opening hours", HOURS),
        ("hours on Monday?", HOURS),
    ]
    assert [sorted(m) for m in listed] == [
        ["created_at", "id", "kwargs", "log_type", "receive", "send", "type"]
    ] * 2
    assert {(m["type"], m["log_type"], str(m["kwargs"])) for m in listed} == {
        ("text", "talk", "{}")
    }
    assert messages(bot, "nobody") == []


def test_messages_page_with_the_max_limit_clamp(bot: Bot) -> None:
    for n in range(5):
        ask(bot, f"question {n}")
    bot.admin.set_knobs(max_limit=2)

    pages = [messages(bot, offset=offset, limit=30) for offset in (0, 2, 4)]

    assert [[m["receive"] for m in page] for page in pages] == [
        ["question 0", "question 1"],
        ["question 2", "question 3"],
        ["question 4"],
    ]


def test_messages_filter_by_time_and_nickname(bot: Bot) -> None:
    for n, nickname in enumerate(["Ann", "Ann", "Bob"]):
        ask(bot, f"question {n}", nickname=nickname)
        time.sleep(0.01)
    created = [m["created_at"] for m in messages(bot)]

    def received(**params: str) -> list[str]:
        return [m["receive"] for m in messages(bot, **params)]

    assert received(nickname="Ann") == ["question 0", "question 1"]
    assert received(nickname="Bob") == ["question 2"]
    assert received(start_at=created[1]) == ["question 1", "question 2"]
    assert received(end_at=created[1]) == ["question 0", "question 1"]
    assert received(start_at=created[1], nickname="Ann") == ["question 1"]


# Refusals


@pytest.mark.parametrize(
    ("uid", "body", "located"),
    [
        (None, {"text": "hello"}, ["header", "uid"]),
        ("", {"text": "hello"}, ["header", "uid"]),
        ("u" * 256, {"text": "hello"}, ["header", "uid"]),
        ("a", {"text": ""}, ["body", "text"]),
        ("a", {}, ["body", "text"]),
        ("a", {"text": 7}, ["body", "text"]),
    ],
    ids=["no uid", "empty uid", "uid too long", "empty text", "no text", "text not text"],
)
def test_a_bad_talk_answers_422_and_stores_nothing(
    bot: Bot, uid: str | None, body: dict[str, Any], located: list[str]
) -> None:
    response = call(bot, "POST", "/talk", uid=uid, json=body)

    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [located]
    assert conversations(bot)["talks"] == 0


def test_messages_without_a_uid_answer_422(bot: Bot) -> None:
    response = call(bot, "GET", "/messages")

    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["header", "uid"]]


@pytest.mark.parametrize(
    ("api_key", "token", "detail"),
    [
        ("0" * 40, TOKEN, "Invalid api-key"),
        ("", TOKEN, "Missing api-key header"),
        (None, "", "Missing caigunn-access-token header"),
    ],
    ids=["wrong api-key", "no api-key", "no token"],
)
def test_a_refused_call_answers_401_and_stores_nothing(
    bot: Bot, api_key: str | None, token: str, detail: str
) -> None:
    headers = {"caigunn-access-token": token} if token else {}
    if api_key != "":
        headers["api-key"] = bot.api_key if api_key is None else api_key
    base = bot.admin.base_url + CHATBOT_API

    answers = [
        bot.admin.session.post(
            base + "/talk", headers={**headers, "uid": "a"}, json={"text": "x"}, timeout=30
        ),
        bot.admin.session.get(base + "/uids", headers=headers, timeout=30),
        bot.admin.session.get(base + "/messages", headers={**headers, "uid": "a"}, timeout=30),
    ]

    assert [(a.status_code, a.json()) for a in answers] == [(401, {"detail": detail})] * 3
    assert conversations(bot)["talks"] == 0


def test_the_conversations_hook_needs_the_token_and_a_known_chatbot(admin: Admin) -> None:
    path = f"/_emulator/chatbots/{UNKNOWN_ID}/conversations"

    assert admin.call("GET", path, token="").status_code == 401
    unknown = admin.call("GET", path)
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "Chatbot not found"})
    assert admin.call("DELETE", path).status_code == 404


@pytest.mark.parametrize("level", ["seed"])
def test_a_seed_server_has_no_conversation_routes(admin: Admin) -> None:
    response = admin.call("POST", "/api/external/chatbot/talk", json={"text": "x"})

    assert (response.status_code, response.json()) == (404, {"detail": "Not Found"})


def test_talks_are_in_the_request_log_without_their_headers(bot: Bot) -> None:
    bot.admin.clear_requests()

    ask(bot, "hello", "secret-uid", nickname="Ann")

    (entry,) = bot.admin.requests()
    assert (entry["method"], entry["path"], entry["status"]) == (
        "POST",
        "/api/external/chatbot/talk",
        200,
    )
    assert "secret-uid" not in str(entry) and bot.api_key not in str(entry)


# Knobs


def test_talk_latency_delays_each_talk(bot: Bot) -> None:
    bot.admin.set_knobs(talk_latency_ms=400)
    started = time.monotonic()

    assert ask(bot, "hello") == IDK

    assert time.monotonic() - started >= 0.4
    started = time.monotonic()
    uids(bot)  # the other routes are not slowed
    assert time.monotonic() - started < 0.4


def test_talk_fail_rate_answers_500_and_stores_nothing(bot: Bot) -> None:
    bot.admin.set_knobs(talk_fail_rate=1)

    failed = talk(bot, "hello")

    assert (failed.status_code, failed.json()) == (500, {"detail": "Internal Server Error"})
    assert conversations(bot)["talks"] == 0
    assert bot.call("GET", "/uids").status_code == 200  # only talks fail


def test_talk_fail_rate_fails_about_its_share(bot: Bot) -> None:
    bot.admin.set_knobs(talk_fail_rate=0.5)

    statuses = [talk(bot, f"hello {n}").status_code for n in range(40)]

    assert set(statuses) == {200, 500}
    assert 5 <= statuses.count(500) <= 35
    assert conversations(bot)["talks"] == statuses.count(200)


def test_talk_timeout_rate_waits_then_answers_504_and_stores_nothing(bot: Bot) -> None:
    bot.admin.set_knobs(talk_timeout_rate=1, talk_timeout_ms=300)
    started = time.monotonic()

    timed_out = talk(bot, "hello")

    assert (timed_out.status_code, timed_out.json()) == (504, {"detail": "Gateway Timeout"})
    assert time.monotonic() - started >= 0.3
    bot.admin.set_knobs(talk_timeout_ms=2000)
    with pytest.raises(requests.ReadTimeout):
        talk(bot, "hello", timeout=0.5)  # a client that gives up first sees a timeout
    assert conversations(bot)["talks"] == 0


def test_talk_idk_rate_answers_a_seeded_share_i_dont_know(admin: Admin, bot: Bot) -> None:
    other = make_bot(admin, "same-seed")
    for chatbot in (bot, other):
        serving(chatbot, HOURS)
    admin.set_knobs(talk_idk_rate=0.5, talk_seed=3)
    picked = [draws_idk(3, n, 0.5) for n in range(16)]
    assert True in picked and False in picked  # the seed gives a mix

    answers = [ask(bot, "opening hours") for _ in range(16)]
    assert answers == [IDK if idk else HOURS for idk in picked]
    assert [ask(other, "opening hours") for _ in range(16)] == answers  # same seed, same pattern

    admin.set_knobs(talk_seed=4)
    again = [ask(bot, "opening hours") for _ in range(16)]
    assert again == [IDK if draws_idk(4, n, 0.5) else HOURS for n in range(16, 32)]


def test_a_scripted_answer_on_talk_fires_and_stores_nothing(admin: Admin, bot: Bot) -> None:
    admin.set_knobs(script=[{"operation": "talk", "answer": "status", "status": 503}])

    refused = talk(bot, "hello")

    assert (refused.status_code, refused.json()) == (503, {"detail": "Service Unavailable"})
    assert conversations(bot)["talks"] == 0
    assert talk(bot, "hello").status_code == 200


def test_a_committing_write_failure_stores_the_talk_and_answers_500(admin: Admin, bot: Bot) -> None:
    admin.set_knobs(write_commit_fail_rate=1)

    failed = talk(bot, "hello")

    assert failed.status_code == 500
    assert conversations(bot)["talks"] == 1  # stored, then failed: it counts
