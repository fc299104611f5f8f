"""Knowledge converges under faults like the chatbots do (issue 28's first "done when"), on the
real engine: 3 chatbots of 3 text items and a model, with 10% of requests failing and 30% of
chatbot-level writes (the model POST included) taking effect and then answering 500.

Within 3 `up`s each chatbot holds exactly its declared rows, each once, answers with a model
trained on exactly them, and has had at most 2 trainings; a further `up` writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import make_project, write_stack_file
from tests.e2e.pulumi_cli import PulumiProject
from tests.support import BASIC, Admin, emulator

pytestmark = pytest.mark.e2e

ENTRIES = ("support", "sales", "billing")


def stack() -> str:
    lines = ["chatbots:"]
    for entry in ENTRIES:
        lines += [f"  {entry}:", f"    title: {entry.title()} Desk", f"    plan_id: {BASIC}"]
        lines += ["    knowledge:"]
        lines += [f"      - text: {entry} fact {n}." for n in range(3)]
        lines += ["    model: gpt-4"]
    return "\n".join(lines) + "\n"


def knowledge(admin: Admin, chatbot_id: str) -> dict[str, Any]:
    found: dict[str, Any] = admin.call("GET", f"/_emulator/chatbots/{chatbot_id}/knowledge").json()
    return found


@pytest.fixture(params=[7, 43])
def faulty(request: pytest.FixtureRequest) -> Iterator[Admin]:
    with emulator("current", seed=request.param, work_ms=200) as running:
        yield running


def test_three_chatbots_of_text_items_converge_under_faults_and_lost_answers(
    tmp_path: Path, faulty: Admin
) -> None:
    project: PulumiProject = make_project(tmp_path / "project", faulty)
    write_stack_file(project, stack())
    # A lost training answer is looked for this long (200 ms trainings are listed at once).
    project.config_set("caigunn:trainingTimeout", "10")
    faulty.set_knobs(fail_rate=0.1, write_commit_fail_rate=0.3, fail_statuses=[500, 503])

    runs = 0
    while runs < 3:
        runs += 1
        outcome = project.outcome("up", ok=None)
        if outcome.exit_code == 0:
            break
        print("\n".join(outcome.messages("error")))
    else:
        pytest.fail("no `up` of 3 converged")
    lost = [r for r in faulty.requests() if r["status"] == 500 and r["method"] != "GET"]
    assert lost, "the faults fired"

    faulty.set_knobs(fail_rate=0.0, write_commit_fail_rate=0.0)
    state = {res["outputs"]["chatbot_id"]: res for res in project.resources(":Model").values()}
    assert len(state) == 3
    for chatbot_id in state:
        seen = knowledge(faulty, chatbot_id)
        rows = [row["id"] for row in seen["training_data"]]
        texts = [row.get("text") or row.get("title") for row in seen["training_data"]]
        assert len(rows) == 3 == len(set(rows)), f"each declared row once ({texts})"
        owned = [
            row_id
            for res in project.resources(":KnowledgeItem").values()
            if res["outputs"]["chatbot_id"] == chatbot_id
            for row_id in res["outputs"]["ids"]
        ]
        assert sorted(owned) == sorted(rows), "every row belongs to exactly one item"
        info = faulty.call("GET", f"/api/external/user/chatbot/{chatbot_id}").json()
        [serving] = [m for m in seen["models"] if m["id"] == info["model"]["id"]]
        assert {row["id"] for row in serving["training_data"]} == set(rows)
        trainings = [e for e in seen["events"] if e["webhook_logs"][0]["event"] == "training"]
        assert len(trainings) <= 2
    faulty.clear_requests()
    project.up()
    assert [r for r in faulty.requests() if r["method"] != "GET"] == [], "nothing more to write"
