"""The knowledge kinds' pure decisions: replaces, superseded rows, titles, waiting, timeouts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from caigunn_provider.chatbot_level.api import ChatbotAPI, Event, _event_of
from caigunn_provider.chatbot_level.waiters import wait_for_event
from caigunn_provider.config import DEFAULT_TRAINING_TIMEOUT, training_timeout
from caigunn_provider.errors import APIError, BackgroundWorkFailed, ConfigError, WaitTimeout
from caigunn_provider.kinds.knowledge import digest
from caigunn_provider.kinds.knowledge.attempts import row_ids
from caigunn_provider.kinds.knowledge.provider import replaced_keys
from caigunn_provider.kinds.model.plan import model_title, needs_training, newest_titled, superseded
from caigunn_provider.kinds.webhook.provider import is_webhook_url

A, B, C = (f"{n}0000000-0000-4000-8000-000000000000" for n in "abc")
EVENT = "e0000000-0000-4000-8000-000000000000"


# --- knowledge items ------------------------------------------------------------------------------


def item(**changes: Any) -> dict[str, Any]:
    base = {
        "chatbot_id": A,
        "kind": "text_file",
        "digest": digest.of_text("hello"),
        "path": "knowledge/a.md",
        "website": None,
        "single_page": None,
    }
    return {**base, **changes}


def test_an_unchanged_item_is_not_replaced_and_a_missing_single_page_counts_as_false() -> None:
    assert replaced_keys(item(), item()) == []
    assert replaced_keys(item(single_page=None), item(single_page=False)) == []


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"digest": digest.of_text("hello!")}, "digest"),
        ({"kind": "file"}, "kind"),
        ({"chatbot_id": B}, "chatbot_id"),
        ({"website": "https://example.com/help"}, "website"),
        ({"single_page": True}, "single_page"),
    ],
)
def test_a_change_of_content_kind_chatbot_or_site_replaces_the_item(
    change: dict[str, Any], key: str
) -> None:
    assert replaced_keys(item(), item(**change)) == [key]


def test_a_moved_file_with_the_same_content_is_not_replaced() -> None:
    assert replaced_keys(item(), item(path="other/a.md")) == []


def test_the_digest_of_a_website_depends_on_its_url_and_single_page() -> None:
    site = digest.of_website("https://example.com", False)
    assert site != digest.of_website("https://example.com", True)
    assert site != digest.of_website("https://example.org", False)
    assert digest.is_digest(site) and not digest.is_digest("abc")


def test_a_completed_upload_gives_its_rows_and_the_files_that_failed() -> None:
    event = Event(
        EVENT,
        "uploading",
        "completed",
        {
            "training_data_ids": [
                {"id": A, "filename": "a.pdf"},
                {
                    "id": B,
                    "filename": "b.exe",
                    "status": "failed",
                    "detail": "Unsupport file format",
                },
            ]
        },
    )
    assert row_ids(event) == ([A], ["b.exe: Unsupport file format"])


def test_a_completed_crawl_gives_every_row_it_made() -> None:
    event = Event(EVENT, "crawling", "completed", {"training_data_ids": [A.upper(), B]})
    assert row_ids(event) == ([A, B], [])


# --- models ---------------------------------------------------------------------------------------


def test_the_model_title_is_a_digest_of_the_set_and_the_model_name_only() -> None:
    title = model_title([B, A], "gpt-4")
    assert title.startswith("pulumi-") and len(title) == len("pulumi-") + 16
    assert title == model_title([A, B, A], "gpt-4")
    assert title != model_title([A, B], None)
    # The API's default model is the same training whether it is named or not.
    assert model_title([A, B], None) == model_title([A, B], "PaLM2")
    assert title != model_title([A], "gpt-4")


def test_superseded_rows_are_the_old_ids_the_new_set_lost_and_never_others() -> None:
    olds = {"training_data_ids": [A, B], "trained_ids": [A, B]}
    assert superseded(olds, [A, C]) == [B]
    assert superseded(olds, [A, B]) == []
    assert superseded(None, [A]) == []


def test_training_is_needed_for_a_new_set_or_a_new_model_name_only() -> None:
    olds = {"model_id": C, "trained_ids": [A, B], "model_name": None}
    assert not needs_training(olds, {"training_data_ids": [B, A], "model_name": None})
    assert not needs_training(olds, {"training_data_ids": [A, B], "model_name": "PaLM2"})
    assert needs_training(olds, {"training_data_ids": [A], "model_name": None})
    assert needs_training(olds, {"training_data_ids": [A, B], "model_name": "gpt-4"})
    assert needs_training(None, {"training_data_ids": [A, B]})


@dataclass
class Row:
    id: str
    title: str
    created_at: str


def test_the_models_of_a_title_are_looked_at_newest_first() -> None:
    rows = [Row(A, "pulumi-x", "2024-01-01"), Row(B, "pulumi-x", "2024-02-01"), Row(C, "y", "z")]
    assert newest_titled(rows, "pulumi-x") == [B, A]
    assert newest_titled(rows, "pulumi-none") == []


# --- the waiter -----------------------------------------------------------------------------------


def test_a_wait_that_begins_late_looks_by_the_jobs_age_and_never_further_apart_than_the_cap() -> (
    None
):
    late = FakeEvents(["initial"] * 3 + ["completed"])
    wait(late, age=2.0)
    assert late.sleeps == [0.5, 0.625, 0.78125]  # a quarter of 2, 2.5 and 3.125 s
    old = FakeEvents(["initial", "completed"])
    wait(old, age=3600.0)
    assert old.sleeps == [10.0]


class FakeEvents:
    """A job seen through a fake clock: each look advances time by what the waiter slept."""

    def __init__(self, statuses: list[str], data: dict[str, Any] | None = None) -> None:
        self.statuses = statuses
        self.data = data or {}
        self.now = 0.0
        self.sleeps: list[float] = []
        self.looks = 0

    def look(self) -> Event:
        status = self.statuses[min(self.looks, len(self.statuses) - 1)]
        self.looks += 1
        return Event(EVENT, "training", status, self.data if status != "initial" else {})

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def wait(
    events: FakeEvents, timeout: float = 60.0, heard: list[str] | None = None, age: float = 0.0
) -> Event:
    return wait_for_event(
        events.look,
        event_id=EVENT,
        timeout=timeout,
        progress=(lambda stage, elapsed: heard.append(stage)) if heard is not None else None,
        clock=lambda: events.now,
        sleep=events.sleep,
        age=age,
    )


def test_the_waiter_returns_the_completed_event_with_growing_pauses_and_each_stage_once() -> None:
    events = FakeEvents(["initial"] * 7 + ["completed"], {"model_id": A})
    heard: list[str] = []
    assert wait(events, heard=heard).data == {"model_id": A}
    assert events.looks == 8
    # A quarter of a second apart for the first second, then a quarter of the job's age.
    assert events.sleeps == [0.25] * 5 + [0.3125, 0.390625]
    assert events.sleeps == sorted(events.sleeps) and events.sleeps[0] < events.sleeps[-1]
    assert heard == ["training: queued or running", "training: done"]


def test_the_waiter_fails_with_the_events_detail() -> None:
    events = FakeEvents(["initial", "failed"], {"detail": "Character limit exceeded"})
    with pytest.raises(BackgroundWorkFailed, match="Character limit exceeded") as caught:
        wait(events)
    assert caught.value.detail == "Character limit exceeded"
    assert caught.value.event_id == EVENT


def test_the_waiter_gives_up_at_its_timeout_and_never_sleeps_past_it() -> None:
    events = FakeEvents(["initial"])
    with pytest.raises(WaitTimeout, match="had not ended after 5 s") as caught:
        wait(events, timeout=5.0)
    assert caught.value.stage == "training: queued or running"
    assert events.now == pytest.approx(5.0)


def test_the_waiter_says_the_wait_goes_on_while_nothing_changes() -> None:
    events = FakeEvents(["initial"])
    heard: list[str] = []
    with pytest.raises(WaitTimeout):
        wait(events, timeout=100.0, heard=heard)
    # The first look, then a heartbeat at most every 10 s (the pauses grow to 10 s at most).
    assert heard.count("training: queued or running") >= 8


# --- answers --------------------------------------------------------------------------------------


def test_an_events_ended_log_wins_over_its_initial_one() -> None:
    logs = [
        {"event": "training", "status": "initial", "data": {}},
        {"event": "training", "status": "completed", "data": {"model_id": A}},
        {"event": "training", "status": "initial", "data": {}},
    ]
    event = _event_of(EVENT)({"webhook_logs": logs})
    assert (event.status, event.data) == ("completed", {"model_id": A})
    assert _event_of(EVENT)({"webhook_logs": []}).status == "initial"


def test_an_api_key_echoed_in_an_error_is_redacted() -> None:
    api = ChatbotAPI.__new__(ChatbotAPI)
    api._api_key = "key-0123456789abcdef"
    error = APIError(
        "POST /x answered 400: bad key-0123456789abcdef",
        status=400,
        method="POST",
        url="/x",
        detail={"headers": ["key-0123456789abcdef"]},
    )
    api._redact(error)
    assert "key-0123456789abcdef" not in str(error) + repr(error.detail)
    assert str(error) == "POST /x answered 400: bad <redacted>"


def test_webhook_urls_are_https_or_http_to_this_machine() -> None:
    assert is_webhook_url("https://hooks.example.com/caigunn")
    assert is_webhook_url("http://127.0.0.1:9000/hook")
    assert not is_webhook_url("http://hooks.example.com/caigunn")
    assert not is_webhook_url("ftp://x")


# --- settings -------------------------------------------------------------------------------------


def test_the_training_timeout_comes_from_config_then_environment_then_its_default() -> None:
    assert training_timeout({}, {}) == DEFAULT_TRAINING_TIMEOUT == 1800
    assert training_timeout({}, {"CAIGUNN_TRAINING_TIMEOUT": "60"}) == 60
    config = {"caigunn:trainingTimeout": "5"}
    assert training_timeout(config, {"CAIGUNN_TRAINING_TIMEOUT": "60"}) == 5


@pytest.mark.parametrize("raw", ["0", "-1", "abc", "nan", "inf", "86401"])
def test_a_training_timeout_that_is_no_sensible_number_of_seconds_is_refused(raw: str) -> None:
    with pytest.raises(ConfigError, match="caigunn:trainingTimeout is not a number of seconds"):
        training_timeout({"caigunn:trainingTimeout": raw}, {})
