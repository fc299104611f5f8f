"""Plan periods (issue 21): the warning's words and thresholds, the setting, and expires_at as the
Chatbot provider records it and refresh moves it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from caigunn_provider.account import connect
from caigunn_provider.config import expiry_warning_days, resolve
from caigunn_provider.errors import ConfigError
from caigunn_provider.kinds.chatbot.expiry import (
    as_output,
    live_ends,
    recorded_end,
    warning,
    warnings,
    worth_a_look,
)
from caigunn_provider.kinds.chatbot.provider import IMPORT
from tests.support import BASIC, Admin
from tests.unit.test_provider import configured, created

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
ID = "2f9e0536-f32f-45e5-9c05-e4c2f6a95dfd"


def period_end(admin: Admin, chatbot_id: str, ends: datetime) -> None:
    admin.call(
        "PATCH", f"/_emulator/chatbots/{chatbot_id}", json={"period_end_at": ends.isoformat()}
    ).raise_for_status()


# --- the warning ---------------------------------------------------------------------------------


def test_a_period_ending_in_three_days_names_the_entry_the_date_and_the_days_left() -> None:
    said = warning("support", ID, NOW + timedelta(days=3), NOW, 14)
    assert said == (
        f"chatbots.support: the plan period of chatbot {ID} ends on 2026-03-13 (UTC, in 3 days): "
        "renew it in the CaiGunn console, or the chatbot may stop answering then."
    )


def test_a_period_already_over_says_the_chatbot_may_no_longer_answer() -> None:
    said = warning("support", ID, NOW - timedelta(days=1), NOW, 14)
    assert said == (
        f"chatbots.support: the plan period of chatbot {ID} ended on 2026-03-09 (UTC, 1 day ago): "
        "the chatbot may no longer answer. Renew it in the CaiGunn console."
    )


@pytest.mark.parametrize(
    ("ends", "days", "expected"),
    [
        (NOW + timedelta(days=14), 14, "in 14 days"),
        (NOW + timedelta(days=15), 14, None),
        (NOW + timedelta(hours=1), 14, "(UTC, today)"),
        (NOW + timedelta(days=1), 0, None),  # 0: only periods already over
        (NOW - timedelta(hours=1), 0, "ended on 2026-03-10 (UTC, today)"),
        (NOW - timedelta(days=400), 14, "400 days ago"),
    ],
)
def test_the_warning_counts_calendar_days_in_utc_up_to_the_threshold(
    ends: datetime, days: int, expected: str | None
) -> None:
    said = warning("support", ID, ends, NOW, days)
    if expected is None:
        assert said is None
    else:
        assert said is not None and expected in said


def test_the_live_end_wins_over_the_recorded_one_and_entries_without_an_end_say_nothing() -> None:
    owned = {"renewed": ID, "lapsing": ID, "unknown": ID}
    recorded = {
        "renewed": NOW + timedelta(days=2),
        "lapsing": NOW + timedelta(days=5),
        "unknown": None,
    }
    live = {"renewed": NOW + timedelta(days=300)}
    assert list(warnings(owned, recorded, live, NOW, 14)) == ["lapsing"]


def test_only_entries_whose_recorded_end_would_warn_are_worth_a_live_look() -> None:
    recorded = {
        "far": NOW + timedelta(days=100),
        "soon": NOW + timedelta(days=10),
        "over": NOW - timedelta(days=1),
        "unknown": None,
    }
    assert worth_a_look(recorded, NOW, 14) == ["soon", "over"]
    assert worth_a_look(recorded, NOW, 0) == ["over"]


def test_the_recorded_end_is_read_from_expires_at_or_from_an_older_states_expired_at() -> None:
    assert recorded_end({"expires_at": "2026-03-13T00:00:00+00:00"}) == datetime(
        2026, 3, 13, tzinfo=UTC
    )
    assert recorded_end({"expired_at": "2026-03-13T00:00:00.000Z"}) == datetime(
        2026, 3, 13, tzinfo=UTC
    )
    assert recorded_end({"expires_at": "soon"}) is None
    assert recorded_end({}) is None
    assert as_output(datetime(2026, 3, 13, 9, 0, 0, 123, tzinfo=UTC)) == "2026-03-13T09:00:00+00:00"


# --- the setting ---------------------------------------------------------------------------------


def test_the_warning_days_default_to_14_and_come_from_config_before_the_environment() -> None:
    assert expiry_warning_days({}, {}) == 14
    assert expiry_warning_days({}, {"CAIGUNN_EXPIRY_WARNING_DAYS": "30"}) == 30
    config = {"caigunn:expiryWarningDays": "0"}
    assert expiry_warning_days(config, {"CAIGUNN_EXPIRY_WARNING_DAYS": "30"}) == 0


@pytest.mark.parametrize("bad", ["-1", "1.5", "two", "", "3651", "١٤"])
def test_warning_days_that_are_not_a_whole_number_of_days_are_refused_with_how_to_set_them(
    bad: str,
) -> None:
    with pytest.raises(ConfigError) as caught:
        expiry_warning_days({"caigunn:expiryWarningDays": bad}, {})
    assert str(caught.value) == (
        "caigunn:expiryWarningDays is not a whole number of days from 0 to 3650 (a chatbot whose "
        "plan period ends within it is warned about; default 14).\n"
        "Set it with `pulumi config set caigunn:expiryWarningDays <days>` or "
        "CAIGUNN_EXPIRY_WARNING_DAYS."
    )


# --- live ends: one GET each, none for what was read already --------------------------------------


@pytest.mark.parametrize("level", ["current"])
def test_live_ends_reuse_answers_already_read_and_ask_for_the_others_once(admin: Admin) -> None:
    ids = {name: admin.create(name) for name in ("a", "b", "c")}
    period_end(admin, ids["c"], NOW)
    account = connect(
        resolve({"caigunn:apiUrl": admin.base_url}, {"CAIGUNN_ACCESS_TOKEN": admin.token})
    )
    try:
        known = {"a": account.client.get_chatbot(ids["a"])}
        admin.clear_requests()
        ends = live_ends(account, ids, known)
    finally:
        account.close()
    assert sorted(entry["path"] for entry in admin.requests()) == sorted(
        f"/api/external/user/chatbot/{ids[name]}" for name in ("b", "c")
    )
    assert set(ends) == {"a", "b", "c"} and ends["c"] == NOW


@pytest.mark.parametrize("level", ["seed"])
def test_live_ends_ask_nothing_of_a_server_that_cannot_read_by_id(admin: Admin) -> None:
    chatbot_id = admin.create("a")
    account = connect(
        resolve({"caigunn:apiUrl": admin.base_url}, {"CAIGUNN_ACCESS_TOKEN": admin.token})
    )
    admin.clear_requests()
    try:
        assert live_ends(account, {"a": chatbot_id}, {}) == {}
    finally:
        account.close()
    assert admin.requests() == []


# --- expires_at in the provider's outputs ---------------------------------------------------------


def test_create_records_the_period_end_from_its_answer_and_refresh_follows_a_renewal(
    admin: Admin, level: str
) -> None:
    chatbot_id, outs = created(configured(admin))
    made = datetime.fromisoformat(admin.chatbots()[chatbot_id]["expired_at"])
    assert outs["expires_at"] == as_output(made)

    renewed = made + timedelta(days=365)
    period_end(admin, chatbot_id, renewed)
    read = configured(admin).read(chatbot_id, outs)
    assert read.outs is not None
    # The current level reads the period by id; the seed level has no call that shows it.
    expected = renewed if level == "current" else made
    assert read.outs["expires_at"] == as_output(expected)


def test_a_read_moves_an_older_states_expired_at_to_expires_at(admin: Admin, level: str) -> None:
    chatbot_id, outs = created(configured(admin))
    older: dict[str, Any] = {**outs, "expired_at": "2030-01-01T00:00:00.000Z"}
    del older["expires_at"]
    period_end(admin, chatbot_id, datetime(2030, 1, 1, tzinfo=UTC))
    read = configured(admin).read(chatbot_id, older)
    assert read.outs is not None
    assert "expired_at" not in read.outs
    assert read.outs["expires_at"] == "2030-01-01T00:00:00+00:00"


def test_adopting_records_the_period_where_the_server_shows_it(admin: Admin, level: str) -> None:
    existing = admin.create("Support")
    ends = datetime(2031, 5, 6, tzinfo=UTC)
    period_end(admin, existing, ends)
    _, outs = created(configured(admin), **{IMPORT: existing, "title": "Support"})
    assert outs["expires_at"] == (as_output(ends) if level == "current" else None)
    assert outs["plan_id"] == BASIC
