"""A `pulumi up` killed while it waits for a crawl or an upload never makes the next run post it
again (issue 28): the KnowledgeItem's step recorded the job's event before its KnowledgeRows'
wait began.

The run is killed (SIGKILL to the engine's process group, like a lost CI runner) once the emulator
has answered the POST and the wait has looked at the event while the job still runs. The next
`up` waits for the same event: across both runs the emulator saw exactly one POST of the item,
its rows are held once in the state, and the chatbot serves a model trained once on exactly them.
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
SITE = "https://www.example.com/help"
ITEMS = {
    "crawler": f"      - website: {SITE}\n",
    "file": "      - file: knowledge/manual.pdf\n",
}
STACK = f"""\
chatbots:
  support:
    title: Support Desk
    plan_id: {BASIC}
    knowledge:
      - text: Returns are accepted within 30 days.
ITEM    model: gpt-4
"""


def posts(admin: Admin, path: str, kind: str | None = None) -> list[dict[str, Any]]:
    return [
        r
        for r in admin.requests("POST")
        if r["path"] == path and (kind is None or (r.get("query") or {}).get("type") == kind)
    ]


@pytest.fixture
def slow() -> Iterator[Admin]:
    with emulator("current", work_ms=WORK_MS) as running:
        yield running


def killed_mid_wait(project: PulumiProject, admin: Admin, kind: str) -> str:
    """Run `up` and kill it once the item's job was posted and its wait looked at the event;
    the job's event id, proven to be in the state while the job still ran."""
    with project.start("up", "--yes", "--skip-preview") as run:
        wait_for(lambda: posts(admin, f"{CHATBOT_API}/training_data", kind), "the item's POST")
        wait_for(
            lambda: [
                r for r in admin.requests("GET") if r["path"].startswith(f"{CHATBOT_API}/event/")
            ],
            "the wait to begin",
        )
        run.kill_engine()
    [item] = [
        res for name, res in project.resources(":KnowledgeItem").items() if "/text:" not in name
    ]
    event_id = str(item["outputs"]["event_id"])
    [event] = [e for e in admin.knowledge()["events"] if e["event_id"] == event_id]
    statuses = [log["status"] for log in event["webhook_logs"]]
    assert statuses[-1] == "initial", f"the kill must land while the job runs ({statuses})"
    assert project.resources(":KnowledgeRows") == {}, "the killed wait recorded nothing"
    assert posts(admin, f"{CHATBOT_API}/model") == [], "no training before the rows"
    return event_id


@pytest.mark.parametrize("kind", ["crawler", "file"])
def test_a_kill_during_a_crawl_or_upload_wait_never_posts_it_again(
    tmp_path: Path, slow: Admin, kind: str
) -> None:
    project: PulumiProject = make_project(tmp_path / "project", slow)
    folder = project.workdir / "stacks" / "knowledge"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manual.pdf").write_bytes(b"%PDF-1.4 a tiny manual\n")
    write_stack_file(project, STACK.replace("ITEM", ITEMS[kind]))

    event_id = killed_mid_wait(project, slow, kind)

    # The recovery the CI recipe documents for a lost runner: clear its lock, then `up`.
    project.run("cancel", "--yes")
    project.up()

    assert len(posts(slow, f"{CHATBOT_API}/training_data", kind)) == 1, "exactly one POST"
    [rows_res] = project.resources(":KnowledgeRows").values()
    assert rows_res["outputs"]["event_id"] == event_id, "the same job, waited for again"
    held = rows_res["outputs"]["ids"]
    assert held and len(set(held)) == len(held)
    rows = {row["id"] for row in slow.knowledge()["training_data"]}
    [text] = project.resources(":KnowledgeItem")["support/text:returns-are-accepted-within-30"][
        "outputs"
    ]["ids"]
    assert rows == {*held, text}, "the item's rows, owned once; no orphan"
    assert len(posts(slow, f"{CHATBOT_API}/model")) == 1, "exactly one training"
    assert {row["id"] for row in slow.serving_model()["training_data"]} == rows
    slow.clear_requests()
    again = project.outcome("up")
    assert set(again.changes) == {"same"}
    assert [r for r in slow.requests() if r["method"] != "GET"] == [], "a further up writes nothing"
    # Its rows are held: the item checks them, no longer its event (CaiGunn may forget it).
    assert not [r for r in slow.requests() if r["path"].endswith(f"/event/{event_id}")]
    [item] = [r for n, r in project.resources(":KnowledgeItem").items() if "/text:" not in n]
    assert item["inputs"]["held_ids"] == held
