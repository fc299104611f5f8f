"""The emulator as a process: ready line, flags end to end, start-up refusals, restarts, signals."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest

from caigunn_provider.emulator.exceptions import EmulatorStartError
from caigunn_provider.emulator.process import emulator_process
from tests.emulator_process import running_emulator
from tests.support import BASIC, CHATBOT_PATH, TOKEN, USER_API, Admin

from .api_calls import create_by_query, create_form, list_page
from .test_command_line import EVERY_KNOB_FLAG


def test_ready_line_names_a_free_port_on_localhost_that_answers() -> None:
    with emulator_process() as emulator:
        listed = list_page(Admin(emulator.base_url, token="demo-token"))
        stderr = emulator.stderr_text()

    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", emulator.base_url)
    assert listed == []
    assert stderr == ""  # no warning on loopback


def test_startup_flags_set_the_knobs_and_the_token() -> None:
    with emulator_process("--token", "secret", *EVERY_KNOB_FLAG) as emulator:
        admin = Admin(emulator.base_url, token="secret")
        knobs = admin.knobs()
        refused = admin.call("GET", "/_emulator/knobs", token=TOKEN).status_code

    assert emulator.token == "secret"
    assert (knobs["latency_ms"], knobs["fail_statuses"], knobs["churn"]) == (
        5.0,
        [503, 429],
        "insert",
    )
    assert [rule["answer"] for rule in knobs["script"]] == ["drop"]
    assert refused == 401


@pytest.mark.parametrize(
    ("flags", "reason"),
    [
        (("--latency-ms", "inf"), "--latency-ms: Input should be a finite number"),
        (("--token", ""), "--token: must not be empty or blank"),
    ],
)
def test_a_refused_start_exits_non_zero_with_the_reason(
    flags: tuple[str, ...], reason: str
) -> None:
    with pytest.raises(EmulatorStartError) as refused, running_emulator(*flags):
        pass

    assert "exited with status 2" in str(refused.value)
    assert reason in str(refused.value)


def test_a_host_other_than_loopback_is_announced_with_one_warning_line() -> None:
    with emulator_process("--host", "0.0.0.0", "--token", TOKEN) as emulator:
        served = list_page(Admin(emulator.base_url))
        warning = emulator.stderr_text()

    assert served == []
    assert warning.splitlines() == [
        "warning: listening on 0.0.0.0: this emulator is reachable from other machines, "
        "and anyone who can reach it can use its test token"
    ]


def test_chatbots_survive_a_restart_with_db_and_both_signals_stop_cleanly(tmp_path: Path) -> None:
    db = str(tmp_path / "caigunn.sqlite")

    with emulator_process("--db", db, "--token", TOKEN) as first:
        created = create_form(Admin(first.base_url), "durable")
        first.process.send_signal(signal.SIGINT)
        first_status = first.process.wait(10)
    with emulator_process("--db", db, "--token", TOKEN) as second:
        listed = list_page(Admin(second.base_url))
        second_status = second.stop()

    assert listed == [
        {"id": created["chatbot_id"], "title": "durable", "api_key": created["api_key"]}
    ]
    assert (first_status, second_status) == (0, 0)


def test_preload_fills_only_an_empty_store(tmp_path: Path) -> None:
    db = str(tmp_path / "preloaded.sqlite")

    with emulator_process("--db", db, "--preload", "3", "--token", TOKEN) as first:
        first_titles = [c["title"] for c in list_page(Admin(first.base_url))]
    with emulator_process("--db", db, "--preload", "3", "--token", TOKEN) as second:
        second_titles = [c["title"] for c in list_page(Admin(second.base_url))]

    assert first_titles == ["preloaded-0001", "preloaded-0002", "preloaded-0003"]
    assert second_titles == first_titles


def test_seed_level_is_chosen_by_a_flag() -> None:
    with emulator_process("--level", "seed", "--token", TOKEN) as emulator:
        admin = Admin(emulator.base_url)
        body = create_by_query(admin, "seeded")
        plans = admin.call("GET", f"{USER_API}/plan")

    assert set(body) == {"api_key", "expired_at"}
    assert plans.status_code == 404


def test_the_request_log_file_has_one_line_per_api_call_and_no_token(tmp_path: Path) -> None:
    log = tmp_path / "requests.jsonl"

    with emulator_process("--token", TOKEN, "--request-log", str(log)) as emulator:
        admin = Admin(emulator.base_url)
        list_page(admin, offset=0, limit=2)
        admin.call("POST", CHATBOT_PATH, params={"title": "t", "plan_id": BASIC})
        admin.knobs()
        admin.call("GET", f"{USER_API}/plan", token="wrong-token")
        entries = emulator.read_request_log()

    assert [(e["method"], e["path"], e["query"], e["status"]) for e in entries] == [
        ("GET", CHATBOT_PATH, {"offset": "0", "limit": "2"}, 200),
        ("POST", CHATBOT_PATH, {"title": "t", "plan_id": BASIC}, 200),
        ("GET", f"{USER_API}/plan", {}, 401),
    ]
    assert all(set(entry) == {"ts", "method", "path", "query", "status"} for entry in entries)
    log_text = log.read_text(encoding="utf-8")
    assert TOKEN not in log_text and "wrong-token" not in log_text
