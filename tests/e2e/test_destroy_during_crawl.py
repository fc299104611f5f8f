"""Destroy during a crawl (issue 28): the item's delete waits for the crawl, with the training
timeout, and deletes the rows it made; past the timeout it fails, keeps the item in the state, and
says to run it again; a delete is safe to repeat. Nothing is left behind as an orphan."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import make_project, write_stack_file
from tests.e2e.pulumi_cli import PulumiProject
from tests.support import BASIC, Admin, emulator

pytestmark = pytest.mark.e2e

WORK_MS = 8_000
SITE = "https://www.example.com/help"
STACK = f"""\
chatbots:
  support:
    title: Support Desk
    plan_id: {BASIC}
    knowledge:
      - website: {SITE}
"""


def knowledge(admin: Admin, chatbot_id: str) -> dict[str, Any]:
    answer = admin.call("GET", f"/_emulator/chatbots/{chatbot_id}/knowledge")
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def crawl_status(admin: Admin, chatbot_id: str) -> str:
    [event] = knowledge(admin, chatbot_id)["events"]
    status: str = event["webhook_logs"][-1]["status"]
    return status


def crawling(tmp_path: Path, admin: Admin) -> tuple[PulumiProject, str]:
    """A stack whose item's crawl outlived the up that started it (its event in the state)."""
    project = make_project(tmp_path / "project", admin)
    write_stack_file(project, STACK)
    project.config_set("caigunn:trainingTimeout", "1")
    assert project.outcome("up", ok=False).exit_code != 0
    [item] = project.resources(":KnowledgeItem").values()
    assert item["outputs"]["event_id"] and not item["outputs"]["ids"], "the crawl is pending"
    [chatbot_id] = admin.chatbots()
    assert crawl_status(admin, chatbot_id) == "initial"
    return project, chatbot_id


@pytest.fixture
def slow() -> Iterator[Admin]:
    with emulator("current", work_ms=WORK_MS) as running:
        yield running


def test_destroy_waits_for_the_crawl_and_deletes_its_rows(tmp_path: Path, slow: Admin) -> None:
    project, chatbot_id = crawling(tmp_path, slow)
    project.config_set("caigunn:trainingTimeout", "60")

    project.destroy()

    assert crawl_status(slow, chatbot_id) == "completed", "destroy waited for the crawl"
    assert knowledge(slow, chatbot_id)["training_data"] == [], "no row is left behind"
    deleted = [r for r in slow.requests("DELETE") if "/training_data/" in r["path"]]
    assert deleted and all(r["status"] == 200 for r in deleted)


def test_a_destroy_past_the_timeout_keeps_the_item_and_a_second_destroy_finishes(
    tmp_path: Path, slow: Admin
) -> None:
    # Long enough to outlast the up, the start of destroy and its 1 s wait.
    slow.set_knobs(work_ms=20_000)
    project, chatbot_id = crawling(tmp_path, slow)

    outcome = project.outcome("destroy", ok=False)

    assert outcome.exit_code != 0
    said = "\n".join(outcome.messages("error"))
    assert "had not ended after 1 s" in said and "Run the command again" in said
    assert list(project.resources(":KnowledgeItem")), "the item stays in the state"
    deadline = time.monotonic() + 60
    while crawl_status(slow, chatbot_id) != "completed":
        assert time.monotonic() < deadline, "the crawl never ended"
        time.sleep(0.2)
    project.destroy()
    assert knowledge(slow, chatbot_id)["training_data"] == [], "no row is left behind"
    assert project.resources(":KnowledgeItem") == {}
