"""What a first hour with a real account needs to read, on the real engine and the emulator.

- An outage while a training is waited for (issue 30, point 7): the error says that a rerun
  resumes waiting for the same training at no extra cost; it does, and CaiGunn trains once.
- `plans` shows each plan's limits (point 8), in the table and the JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import entry, make_project, write_stack_file
from tests.support import Admin, emulator

pytestmark = pytest.mark.e2e

TRAINING = "/api/external/chatbot/model"
EVENT = "/api/external/chatbot/event/"


@pytest.fixture
def slow() -> Iterator[Admin]:
    with emulator("current", work_ms=2000) as running:
        yield running


def trainings(admin: Admin) -> int:
    return sum(1 for e in admin.requests("POST") if e["path"] == TRAINING)


def test_an_outage_during_a_training_says_a_rerun_resumes_it_and_the_rerun_does(
    tmp_path: Path, slow: Admin
) -> None:
    project = make_project(tmp_path / "project", slow)
    text = entry("helpdesk", "Help Desk") + '    knowledge:\n      - text: "We open at nine."\n'
    write_stack_file(project, "chatbots:\n" + text)
    # Once the training is started, every look at its event finds the connection dropped.
    slow.set_knobs(
        script=[
            {
                "operation": "get_event",
                "answer": "drop",
                "times": 10_000,
                "after_operation": "create_model",
            }
        ]
    )
    outcome = project.outcome("up", ok=False)
    dropped = [e for e in slow.requests("GET") if e["path"].startswith(EVENT)]
    assert dropped, "the outage never met a wait"
    [said] = [line for line in outcome.messages("error") if "was cut off" in line]
    assert said.startswith(
        "Could not train this chatbot:\nhelpdesk: the wait for the training was cut off ("
    )
    assert said.rstrip().endswith(
        "CaiGunn goes on with it. Run `pulumi up` again: it resumes waiting for the same one, "
        "at no extra cost (nothing is uploaded or trained again)."
    )
    assert trainings(slow) == 1

    # The outage ends; the rerun waits for the same training, and starts none.
    slow.set_knobs(script=[])
    slow.clear_requests()
    project.up()
    assert trainings(slow) == 0
    [model] = project.resources(":Model").values()
    assert model["outputs"]["model_id"]


def test_plans_show_each_plans_limits_in_the_table_and_the_json(
    tmp_path: Path, slow: Admin
) -> None:
    project = make_project(tmp_path / "project", slow)
    table = project.cli("plans")
    assert table.returncode == 0, table.stderr
    header, *rows = table.stdout.splitlines()
    assert header.split() == ["ID", "NAME", "CHARACTERS", "CRAWLS", "TRAININGS", "PRICE"]
    basic = next(row.split() for row in rows if " Basic " in row)
    assert basic[2:] == ["1,000,000", "10", "20", "0"]

    listed = project.cli("plans", "--json")
    assert listed.returncode == 0, listed.stderr
    plans = {plan["name"]: plan for plan in json.loads(listed.stdout)["plans"]}
    assert plans["Pro"] == {
        "id": plans["Pro"]["id"],
        "name": "Pro",
        "character_limit": 10_000_000,
        "crawler_limit": 100,
        "training_limit": 200,
        "price": 49.0,
    }
