"""The emulator as a process: start-up flags, the ready line, restarts, shutdown, concurrency."""

from __future__ import annotations

import re
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from caigunn_provider.__main__ import main
from caigunn_provider.emulator.exceptions import EmulatorStartError
from caigunn_provider.emulator.process import emulator_process, running_emulator

from .support import BASIC, TOKEN, USER_API, Api


def test_ready_line_names_a_free_port_on_localhost_that_answers() -> None:
    with running_emulator() as base_url:
        response = requests.get(
            f"{base_url}{USER_API}/chatbot", headers={"caigunn-access-token": "demo-token"}
        )

    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base_url)
    assert (response.status_code, response.json()) == (200, {"chatbots": []})


def test_startup_flags_set_the_knobs_and_the_token() -> None:
    flags = ["--token", "secret", "--latency-ms", "5", "--fail-rate", "0.25"]
    flags += ["--fail-statuses", "503", "--retry-after", "3", "--create-commits-then-500", "2"]
    flags += ["--max-limit", "50", "--newest-first"]

    with emulator_process(*flags) as emulator:
        api = Api(emulator.base_url, token="secret")
        knobs = api.call("GET", "/_emulator/knobs").json()
        refused = api.call("GET", "/_emulator/knobs", token=TOKEN).status_code

    assert emulator.token == "secret"
    assert knobs == {
        "latency_ms": 5.0,
        "fail_rate": 0.25,
        "fail_statuses": [503],
        "retry_after": 3,
        "create_commits_then_500": 2,
        "max_limit": 50,
        "newest_first": True,
    }
    assert refused == 401


def test_chatbots_survive_a_restart_with_db_and_both_signals_stop_cleanly(tmp_path: Path) -> None:
    db = str(tmp_path / "caigunn.sqlite")

    with emulator_process("--db", db, "--token", TOKEN) as first:
        created = Api(first.base_url).create("durable")
        first.process.send_signal(signal.SIGINT)
        first_status = first.process.wait(10)
    with emulator_process("--db", db, "--token", TOKEN) as second:
        listed = Api(second.base_url).list_chatbots()
        second_status = second.stop()

    assert listed == [
        {"id": created["chatbot_id"], "title": "durable", "api_key": created["api_key"]}
    ]
    assert (first_status, second_status) == (0, 0)


def test_without_db_every_start_is_empty() -> None:
    for _ in range(2):
        with emulator_process("--token", TOKEN) as emulator:
            api = Api(emulator.base_url)
            assert api.list_chatbots() == []
            api.create("forgotten")


def test_preload_fills_only_an_empty_store(tmp_path: Path) -> None:
    db = str(tmp_path / "preloaded.sqlite")

    with emulator_process("--db", db, "--preload", "3", "--token", TOKEN) as first:
        first_titles = [c["title"] for c in Api(first.base_url).list_chatbots()]
    with emulator_process("--db", db, "--preload", "3", "--token", TOKEN) as second:
        second_titles = [c["title"] for c in Api(second.base_url).list_chatbots()]

    assert first_titles == ["preloaded-0001", "preloaded-0002", "preloaded-0003"]
    assert second_titles == first_titles


def test_the_same_seed_replays_the_same_failures() -> None:
    def statuses(seed: str) -> list[int]:
        flags = ("--fail-rate", "0.5", "--seed", seed, "--token", TOKEN)
        with emulator_process(*flags) as emulator:
            api = Api(emulator.base_url)
            return [api.call("GET", f"{USER_API}/plan").status_code for _ in range(30)]

    first, again, other = statuses("7"), statuses("7"), statuses("8")

    assert first == again
    assert first != other
    assert len(set(first)) > 1


def test_seed_level_is_chosen_by_a_flag() -> None:
    with emulator_process("--level", "seed", "--token", TOKEN) as emulator:
        api = Api(emulator.base_url)
        body = api.create_by_query("seeded")
        plans = api.call("GET", f"{USER_API}/plan")

    assert set(body) == {"api_key", "expired_at"}
    assert plans.status_code == 404


def test_bad_flags_raise_emulator_start_error_with_the_reason() -> None:
    with (
        pytest.raises(EmulatorStartError, match="--fail-rate"),
        running_emulator("--fail-rate", "2"),
    ):
        pass


def test_the_dispatcher_rejects_an_unknown_command() -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["no-such-command"])

    assert exit_info.value.code == 2


def test_twenty_parallel_creates_all_land_with_unique_ids(api: Api) -> None:
    before = {row["id"] for row in api.all_rows()}
    start = threading.Barrier(20)

    def create(n: int) -> dict[str, Any]:
        start.wait()  # release all threads at once so the requests really overlap
        with requests.Session() as session:
            response = session.post(
                f"{api.base_url}{USER_API}/chatbot",
                headers={"caigunn-access-token": TOKEN},
                data={"title": f"parallel-{n}", "plan_id": BASIC},
                timeout=30,
            )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    with ThreadPoolExecutor(max_workers=20) as pool:
        bodies = list(pool.map(create, range(20)))

    ids = {body["chatbot_id"] for body in bodies}
    new_rows = [row for row in api.all_rows() if row["id"] not in before]
    assert len(ids) == 20
    assert {row["id"] for row in new_rows} == ids
    assert sorted(row["title"] for row in new_rows) == sorted(f"parallel-{n}" for n in range(20))
