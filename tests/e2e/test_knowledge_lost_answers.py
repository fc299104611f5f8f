"""A lost answer to a text POST never orphans or doubles a row (issue 28, item 1), on the real
engine: the POST is not sent again; the text rows that appeared meanwhile tell which is its own.

The emulator scripts the lost answer (the row is made, then the answer is a 500 or a dropped
connection); each test proves from the request log that it was served, then that every row the
chatbot holds belongs to exactly one item, once.
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

TRAINING_DATA = "/api/external/chatbot/training_data"
TEXTS = ["Returns are accepted within 30 days.", "We ship worldwide.", "Open 9 to 5."]


def stack(texts: list[str]) -> str:
    lines = [f"      - text: {text}" for text in texts]
    return (
        f"chatbots:\n  support:\n    title: Support Desk\n    plan_id: {BASIC}\n"
        "    knowledge:\n" + "\n".join(lines) + "\n    model: gpt-4\n"
    )


def posts(admin: Admin) -> list[dict[str, Any]]:
    return [r for r in admin.requests("POST") if r["path"].startswith(TRAINING_DATA)]


def stored_rows(admin: Admin) -> list[str]:
    [chatbot_id] = admin.chatbots()
    answer = admin.call("GET", f"/_emulator/chatbots/{chatbot_id}/knowledge")
    return [row["id"] for row in answer.json()["training_data"]]


def owned_rows(project: PulumiProject) -> list[str]:
    return [
        row_id
        for res in project.resources(":KnowledgeItem").values()
        for row_id in res["outputs"]["ids"]
    ]


def trained_rows(admin: Admin) -> set[str]:
    [chatbot_id] = admin.chatbots()
    info = admin.call("GET", f"/api/external/user/chatbot/{chatbot_id}").json()
    models = admin.call("GET", f"/_emulator/chatbots/{chatbot_id}/knowledge").json()["models"]
    [model] = [m for m in models if m["id"] == info["model"]["id"]]
    return {row["id"] for row in model["training_data"]}


@pytest.fixture
def current() -> Iterator[Admin]:
    with emulator("current") as running:
        yield running


@pytest.mark.parametrize("answer", ["status", "drop"])
def test_a_text_post_that_took_effect_and_lost_its_answer_owns_its_row_in_the_same_run(
    tmp_path: Path, current: Admin, answer: str
) -> None:
    project = make_project(tmp_path / "project", current)
    write_stack_file(project, stack(TEXTS))
    current.set_knobs(
        script=[{"operation": "create_training_data", "answer": answer, "commit": True}]
    )

    project.up()

    lost = [r for r in posts(current) if r["status"] >= 500 or r["status"] == 0]
    assert len(posts(current)) == 3 and len(lost) <= 1, "no POST is ever sent again"
    assert current.knobs()["script"] == [], "the scripted lost answer was served"
    rows = stored_rows(current)
    assert len(rows) == 3 and sorted(rows) == sorted(owned_rows(project)), "each row once, owned"
    assert trained_rows(current) == set(rows)
    current.clear_requests()
    project.up()
    assert [r for r in current.requests() if r["method"] != "GET"] == []


def test_a_text_post_refused_before_it_took_effect_is_sent_again_once_proven_not_landed(
    tmp_path: Path, current: Admin
) -> None:
    project = make_project(tmp_path / "project", current)
    write_stack_file(project, stack(TEXTS))
    current.set_knobs(script=[{"operation": "create_training_data", "answer": "status"}])

    project.up()

    assert current.knobs()["script"] == [], "the scripted failure was served"
    statuses = sorted(r["status"] for r in posts(current))
    # The failed POST made no row (the rows before and after tell), so it was sent once more.
    assert statuses == [200, 200, 200, 500]
    rows = stored_rows(current)
    assert len(rows) == 3 and sorted(rows) == sorted(owned_rows(project))
    assert trained_rows(current) == set(rows)
