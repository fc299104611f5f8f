"""A `pulumi up` killed while it waits for a training never makes the next run train again
(issue 28): the Training step recorded the event before the Model's wait began.

The run is killed (SIGKILL to the engine's process group, like a lost CI runner) once the emulator
has answered the training POST and the wait has looked at the event. The next `up` runs at once,
or after the training ended on the server; either way the server holds exactly one training, and
the chatbot answers with a model trained on exactly its declared rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import make_project, write_stack_file
from tests.e2e.pulumi_cli import PulumiProject
from tests.support import BASIC, Admin, emulator, wait_for

pytestmark = pytest.mark.e2e

CHATBOT_API = "/api/external/chatbot"
# Long enough that the kill lands inside the wait, short enough for a test.
WORK_MS = 6_000
STACK = f"""\
chatbots:
  support:
    title: Support Desk
    plan_id: {BASIC}
    knowledge:
      - text: Returns are accepted within 30 days.
      - text: We ship worldwide.
    model: gpt-4
"""


def requests(admin: Admin, method: str, path: str) -> list[dict[str, Any]]:
    return [r for r in admin.requests() if r["method"] == method and r["path"].startswith(path)]


@pytest.fixture
def slow() -> Iterator[Admin]:
    with emulator("current", work_ms=WORK_MS) as running:
        yield running


@pytest.mark.parametrize("rerun", ["at-once", "after-the-training-ended"])
def test_a_kill_during_the_training_wait_never_costs_a_second_training(
    tmp_path: Path, slow: Admin, rerun: str
) -> None:
    project: PulumiProject = make_project(tmp_path / "project", slow)
    write_stack_file(project, STACK)

    with project.start("up", "--yes", "--skip-preview") as run:
        wait_for(lambda: requests(slow, "POST", f"{CHATBOT_API}/model"), "the training POST")
        # The Model's wait has begun: it looked at the event at least once.
        wait_for(lambda: requests(slow, "GET", f"{CHATBOT_API}/event/"), "the wait to begin")
        run.kill_engine()
    [event] = slow.knowledge()["events"]
    statuses = [log["status"] for log in event["webhook_logs"]]
    assert statuses[-1] == "initial", f"the kill must land while the training runs ({statuses})"
    [training] = project.resources(":Training").values()
    assert training["outputs"]["event_id"] == event["event_id"], "recorded before the wait"
    assert project.resources(":Model") == {}, "the killed wait recorded nothing"

    # The recovery the CI recipe documents for a lost runner: clear its lock, then `up`.
    project.run("cancel", "--yes")
    if rerun == "after-the-training-ended":
        wait_for(
            lambda: slow.knowledge()["events"][0]["webhook_logs"][-1]["status"] == "completed",
            "the training to end on the server",
        )
    project.up()

    assert len(requests(slow, "POST", f"{CHATBOT_API}/model")) == 1, "exactly one training"
    rows = {row["id"] for row in slow.knowledge()["training_data"]}
    assert len(rows) == 2
    assert {row["id"] for row in slow.serving_model()["training_data"]} == rows
    slow.clear_requests()
    project.up()
    assert [r for r in slow.requests() if r["method"] != "GET"] == [], "a further up writes nothing"
