"""Every training of a run is started before any wait for one takes an engine slot.

Eight chatbots, each with two text items, trained on an emulator whose trainings take 1.5 s, and
the engine at `--parallel 2`: declared one entry after another, the first Models' waits
would hold both slots while later chatbots' trainings queue behind them. The program holds the
waits back until the run's last training has started (caigunn_provider/program/gate.py), so in
the emulator's request log every training POST comes before the first event poll, and the eight
trainings run side by side.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import entry, make_project, write_stack_file
from tests.e2e.pulumi_cli import PulumiProject
from tests.support import Admin, emulator

pytestmark = pytest.mark.e2e

CHATBOTS = 8
TRAINING = "/api/external/chatbot/model"
EVENT = "/api/external/chatbot/event/"


@pytest.fixture
def slow() -> Iterator[Admin]:
    with emulator("current", work_ms=1500) as running:
        yield running


def stack_file() -> str:
    text = "chatbots:\n"
    for bot in range(1, CHATBOTS + 1):
        text += entry(f"bot-{bot}", f"Bot {bot}") + "    knowledge:\n"
        text += "".join(f'      - text: "Fact {item} of bot {bot}."\n' for item in (1, 2))
    return text


def when(entry_: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(entry_["ts"]).replace("Z", "+00:00"))


def test_every_training_starts_before_any_wait_holds_a_slot(tmp_path: Path, slow: Admin) -> None:
    project: PulumiProject = make_project(tmp_path / "project", slow)
    write_stack_file(project, stack_file())
    slow.clear_requests()
    project.up("--parallel", "2")

    log = slow.requests()
    trainings = [when(e) for e in log if e["method"] == "POST" and e["path"] == TRAINING]
    polls = [when(e) for e in log if e["method"] == "GET" and e["path"].startswith(EVENT)]
    assert len(trainings) == CHATBOTS and polls
    assert max(trainings) < min(polls), "a wait began before the last training was started"
    models = [res for res in project.resources(":Model").values() if res["outputs"]["model_id"]]
    assert len(models) == CHATBOTS
    # Nothing else changes: a second up is all `same`.
    assert set(project.outcome("up").changes) == {"same"}


def test_a_training_that_fails_to_start_holds_back_no_other_chatbots_model(
    tmp_path: Path, slow: Admin
) -> None:
    # CI's recipe runs `pulumi up --continue-on-error`: one chatbot's failed start must open the
    # gate as a started one does, or the other chatbots' waits would never be declared.
    project: PulumiProject = make_project(tmp_path / "project", slow)
    write_stack_file(project, stack_file())
    slow.set_knobs(script=[{"operation": "create_model", "answer": "status", "status": 400}])
    outcome = project.outcome("up", "--continue-on-error", ok=False)
    refused = [e for e in slow.requests("POST") if e["path"] == TRAINING and e["status"] == 400]
    assert len(refused) == 1, "the scripted refusal was not sent"
    assert any("Could not start this chatbot's training" in m for m in outcome.messages("error"))
    served = [res for res in project.resources(":Model").values() if res["outputs"]["model_id"]]
    assert len(served) == CHATBOTS - 1
