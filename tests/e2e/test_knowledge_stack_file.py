"""Knowledge as code through the stack file (issue 19's "Done when"), on the real engine.

This repository's own program reads stacks/e2e.yaml: `knowledge:` (all four item kinds, files
relative to the stack file), `model:` and `webhook:` on a chatbot entry. One project walks through
several steps per test, to keep the suite's time down; the emulator's background work takes
WORK_MS. What a run did is read from the emulator's request log, what it stores, and the state.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import make_project, write_stack_file
from tests.e2e.pulumi_cli import PulumiProject
from tests.support import BASIC, Admin, emulator

pytestmark = pytest.mark.e2e

WORK_MS = 50
CHATBOT_API = "/api/external/chatbot"
SITE = "https://www.example.com/help"
OPENING = "Opening hours: Mon-Fri 9:00-18:00"
RETURNS = "support/text_file:knowledge/returns.md"


class Hooks:
    """A loopback webhook receiver: the events CaiGunn (the emulator) POSTs to it."""

    def __init__(self) -> None:
        received: list[dict[str, Any]] = []
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                received.append(json.loads(self.rfile.read(length) or b"{}"))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hooks() -> Iterator[Hooks]:
    running = Hooks()
    try:
        yield running
    finally:
        running.close()


@pytest.fixture
def current() -> Iterator[Admin]:
    """A current-level emulator whose background work takes WORK_MS."""
    with emulator("current", work_ms=WORK_MS) as running:
        yield running


@pytest.fixture
def kproject(tmp_path: Path, current: Admin) -> PulumiProject:
    """This repo's program, its stack file's knowledge files under stacks/knowledge/."""
    project = make_project(tmp_path / "project", current)
    folder = project.workdir / "stacks" / "knowledge"
    folder.mkdir()
    (folder / "returns.md").write_text("Returns within 30 days.\n")
    (folder / "shipping.md").write_text("We ship worldwide.\n")
    (folder / "manual.pdf").write_bytes(b"%PDF-1.4 a tiny manual\n")
    return project


def knowledge_entry(
    items: list[dict[str, Any]] | None = None,
    *,
    model: str | None = "gpt-4",
    webhook: str | None = None,
    plan_id: str = BASIC,
) -> str:
    """The stack file: the `support` entry with knowledge items (default: every kind)."""
    if items is None:
        items = [
            {"text_file": "knowledge/returns.md"},
            {"text_file": "knowledge/shipping.md"},
            {"text": OPENING},
            {"file": "knowledge/manual.pdf"},
            {"website": SITE, "single_page": True},
        ]
    lines = ["chatbots:", "  support:", "    title: Support Desk", f"    plan_id: {plan_id}"]
    lines.append("    knowledge:")
    for item in items:
        first = True
        for key, value in item.items():
            lines.append(f"      {'- ' if first else '  '}{key}: {json.dumps(value)}")
            first = False
    if model is not None:
        lines.append(f"    model: {json.dumps(model)}")
    if webhook is not None:
        lines.append(f"    webhook: {json.dumps(webhook)}")
    return "\n".join(lines) + "\n"


# --- what the emulator and the state say -----------------------------------------------------


def chatbot_id(project: PulumiProject) -> str:
    [res] = project.resources(":Chatbot").values()
    return str(res["id"])


def chatbot(admin: Admin, project: PulumiProject) -> dict[str, Any]:
    """The chatbot's info as the API's GET answers it (model, webhook_url)."""
    answer = admin.call("GET", f"/api/external/user/chatbot/{chatbot_id(project)}")
    assert answer.status_code == 200, answer.text
    info: dict[str, Any] = answer.json()
    return info


def stored_rows(admin: Admin, project: PulumiProject) -> set[str]:
    """The ids of the chatbot's training data, as the emulator stores them."""
    answer = admin.call("GET", f"/_emulator/chatbots/{chatbot_id(project)}/knowledge")
    assert answer.status_code == 200, answer.text
    return {row["id"] for row in answer.json()["training_data"]}


def item_ids(project: PulumiProject) -> dict[str, list[str]]:
    """Each item's training-data ids in the state, by resource name: a text's in its
    KnowledgeItem, a file's or website's in its KnowledgeRows (of the same name)."""
    held = {
        name: list(res["outputs"].get("ids") or [])
        for suffix in (":KnowledgeItem", ":KnowledgeRows")
        for name, res in project.resources(suffix).items()
    }
    return held


def state_model_id(project: PulumiProject) -> str:
    [res] = project.resources(":Model").values()
    return str(res["outputs"]["model_id"])


def writes(admin: Admin, part: str = "") -> list[tuple[str, str]]:
    """(method, path) of every POST, PUT, PATCH and DELETE served (path containing part)."""
    return [
        (entry["method"], entry["path"])
        for entry in admin.requests()
        if entry["method"] != "GET" and part in entry["path"]
    ]


def trainings(admin: Admin) -> int:
    return writes(admin).count(("POST", f"{CHATBOT_API}/model"))


def data_writes(admin: Admin) -> list[str]:
    """The methods of the training-data writes that succeeded (POST: a new row, DELETE: a row
    deleted). The Model deletes a superseded row before it trains, so that the training leaves
    it out; the replaced or removed item's own delete then finds it gone (a 404, not counted)."""
    return [
        entry["method"]
        for entry in admin.requests()
        if entry["method"] != "GET"
        and entry["path"].startswith(f"{CHATBOT_API}/training_data")
        and entry["status"] < 400
    ]


def errors(outcome: Any) -> str:
    return "\n".join(outcome.messages("error"))


# --- the tests ---------------------------------------------------------------------------------


def test_items_are_created_trained_once_then_kept_edited_removed_and_restored(
    kproject: PulumiProject, current: Admin, hooks: Hooks
) -> None:
    admin = current
    # Create: all four item kinds, a model and a loopback webhook.
    write_stack_file(kproject, knowledge_entry(webhook=hooks.url("a")))
    # The preview of a new chatbot's knowledge (its id and api_key unknown yet) names each item.
    preview = kproject.preview()
    assert preview.count("caigunn:KnowledgeItem: (create)") == 5
    assert "caigunn:Model: (create)" in preview and "caigunn:Webhook: (create)" in preview
    assert RETURNS in preview and f"support/website:{SITE}" in preview
    assert writes(admin) == []
    kproject.up()
    assert trainings(admin) == 1
    info = chatbot(admin, kproject)
    model_id = state_model_id(kproject)
    assert info["model"]["id"] == model_id
    assert info["model"]["model_name"] == "gpt-4"
    assert info["webhook_url"] == hooks.url("a")
    ids = item_ids(kproject)
    assert len(ids) == 5 and all(ids.values())
    assert stored_rows(admin, kproject) == {row for found in ids.values() for row in found}

    # A second up writes nothing.
    admin.clear_requests()
    outcome = kproject.outcome("up")
    assert set(outcome.changes) == {"same"}
    kproject.preview("--expect-no-changes")
    # Each resource's recorded origin is the program's line, not this package's frames (which
    # would cost every checkpoint the engine writes about 2 KB a resource).
    resources = json.loads(kproject.export_text())["deployment"]["resources"]
    ours = [res for res in resources if res["type"].startswith("pulumi-python:dynamic/")]
    assert ours and all(res["sourcePosition"] == "project:///__main__.py#12" for res in ours)
    assert not any("caigunn_provider/" in json.dumps(res.get("stackTrace")) for res in ours)
    assert writes(admin) == []

    # An edit to one text_file: that item replaced (new first, then the old deleted), one training.
    (kproject.workdir / "stacks" / "knowledge" / "returns.md").write_text("Returns: 60 days.\n")
    planned = kproject.outcome("preview")
    # The item replaced; the Training (started anew) and the Model (serves what it makes) updated.
    assert planned.changes.get("replace") == 1 and planned.changes.get("update") == 2
    # Issue 30: the preview says the retraining in items, not only as a diff of row ids.
    assert "support: retrains: 1 item changed" in [m.strip() for m in planned.messages("info")]
    admin.clear_requests()
    kproject.up()
    after = item_ids(kproject)
    assert data_writes(admin) == ["POST", "DELETE"]
    assert trainings(admin) == 1
    assert after[RETURNS] != ids[RETURNS]
    assert {k: v for k, v in after.items() if k != RETURNS} == {
        k: v for k, v in ids.items() if k != RETURNS
    }
    assert not set(ids[RETURNS]) & stored_rows(admin, kproject)
    assert chatbot(admin, kproject)["model"]["id"] == state_model_id(kproject) != model_id

    # Removing an item: its row deleted, one training.
    shipping = after["support/text_file:knowledge/shipping.md"]
    write_stack_file(
        kproject,
        knowledge_entry(
            [
                {"text_file": "knowledge/returns.md"},
                {"text": OPENING},
                {"file": "knowledge/manual.pdf"},
                {"website": SITE, "single_page": True},
            ],
            webhook=hooks.url("a"),
        ),
    )
    admin.clear_requests()
    kproject.up()
    assert data_writes(admin) == ["DELETE"]
    assert trainings(admin) == 1
    assert not set(shipping) & stored_rows(admin, kproject)
    assert len(item_ids(kproject)) == 4

    # An item deleted outside Pulumi: refresh finds it gone, the next up adds it back and trains.
    [gone] = item_ids(kproject)[RETURNS]
    hook = f"/_emulator/chatbots/{chatbot_id(kproject)}/training_data/{gone}"
    answer = admin.call("DELETE", hook)
    assert answer.status_code == 200, answer.text
    kproject.refresh()
    assert RETURNS not in item_ids(kproject)
    admin.clear_requests()
    kproject.up()
    assert data_writes(admin) == ["POST"]
    assert trainings(admin) == 1
    restored = item_ids(kproject)
    assert len(restored) == 4 and restored[RETURNS] != [gone]
    assert stored_rows(admin, kproject) == {row for found in restored.values() for row in found}

    # The webhook changed: one PUT, no training; removed: one DELETE.
    write_stack_file(kproject, knowledge_entry(restored_items(), webhook=hooks.url("b")))
    admin.clear_requests()
    kproject.up()
    assert writes(admin) == [("PUT", f"{CHATBOT_API}/webhook")]
    assert chatbot(admin, kproject)["webhook_url"] == hooks.url("b")
    write_stack_file(kproject, knowledge_entry(restored_items()))
    admin.clear_requests()
    kproject.up()
    assert writes(admin) == [("DELETE", f"{CHATBOT_API}/webhook")]
    assert chatbot(admin, kproject)["webhook_url"] is None
    # The loopback webhook saw the trainings' events arrive.
    assert any(event.get("event") == "training" for event in hooks.received)


def restored_items() -> list[dict[str, Any]]:
    return [
        {"text_file": "knowledge/returns.md"},
        {"text": OPENING},
        {"file": "knowledge/manual.pdf"},
        {"website": SITE, "single_page": True},
    ]


def test_failed_training_failed_crawl_and_a_training_past_its_timeout_keep_the_old_model(
    kproject: PulumiProject, current: Admin, hooks: Hooks
) -> None:
    admin = current
    hello = {"text": "Hello"}
    write_stack_file(kproject, knowledge_entry([hello], model=None))
    kproject.up()
    old = chatbot(admin, kproject)["model"]["id"]
    assert old == state_model_id(kproject)

    # A training that fails: the error names the entry and the detail, the old model stays.
    admin.set_knobs(fail_training="Character limit exceeded")
    write_stack_file(kproject, knowledge_entry([hello, {"text": "A long text"}], model=None))
    admin.clear_requests()
    outcome = kproject.outcome("up", ok=None)
    assert outcome.exit_code != 0
    assert (
        "the training of chatbot entry 'support' failed: Character limit exceeded; the chatbot "
        "keeps answering with its previous model. Run `pulumi up` again to start a new training "
        "on the same rows (it counts against the plan's training_limit), once the cause is fixed"
        in errors(outcome)
    )
    assert trainings(admin) == 1
    assert chatbot(admin, kproject)["model"]["id"] == old == state_model_id(kproject)
    # Nothing already trained is lost: both rows stay, and the next up trains them once.
    assert stored_rows(admin, kproject) == {r for ids in item_ids(kproject).values() for r in ids}
    admin.set_knobs(fail_training=None)
    admin.clear_requests()
    kproject.up()
    assert trainings(admin) == 1 and data_writes(admin) == []
    trained = chatbot(admin, kproject)["model"]["id"]
    assert trained == state_model_id(kproject) != old

    # A crawl that fails: the error names the item and the detail; no training, model kept.
    admin.set_knobs(fail_crawl="Website unreachable")
    write_stack_file(kproject, knowledge_entry([hello, {"website": SITE}], model=None))
    admin.clear_requests()
    outcome = kproject.outcome("up", ok=None)
    assert outcome.exit_code != 0
    assert (
        f"support/website:{SITE}: CaiGunn could not crawl the site {SITE}: Website unreachable. "
        "Nothing of it is in the training data, and the chatbot is not trained on it: run "
        "`pulumi up` again to try it once more (a crawl counts against the plan's crawler_limit)."
        in errors(outcome)
    )
    assert trainings(admin) == 0
    assert chatbot(admin, kproject)["model"]["id"] == trained
    admin.set_knobs(fail_crawl=None)

    # A training that outlives caigunn:trainingTimeout: the message says it may still finish;
    # the next up completes it without a second training.
    kproject.config_set("caigunn:trainingTimeout", "2")
    admin.set_knobs(training_never_finishes=True)
    write_stack_file(kproject, knowledge_entry([hello, {"text": "World"}], model=None))
    admin.clear_requests()
    outcome = kproject.outcome("up", ok=None)
    assert outcome.exit_code != 0
    assert "support: the training had not ended after 2 s (caigunn:trainingTimeout)" in errors(
        outcome
    )
    assert "the next `pulumi up` picks it up" in errors(outcome)
    assert trainings(admin) == 1
    assert chatbot(admin, kproject)["model"]["id"] == trained
    admin.set_knobs(training_never_finishes=False)
    admin.clear_requests()
    kproject.up()
    assert trainings(admin) == 0
    finished = state_model_id(kproject)
    assert chatbot(admin, kproject)["model"]["id"] == finished != trained
    admin.clear_requests()
    kproject.up()
    assert writes(admin) == []

    # A webhook set on a chatbot that had none: one PUT, no training.
    write_stack_file(
        kproject, knowledge_entry([hello, {"text": "World"}], model=None, webhook=hooks.url("c"))
    )
    admin.clear_requests()
    kproject.up()
    assert writes(admin) == [("PUT", f"{CHATBOT_API}/webhook")]
    assert chatbot(admin, kproject)["webhook_url"] == hooks.url("c")


def test_a_plan_limit_is_caught_at_preview_with_file_and_line_and_nothing_is_written(
    kproject: PulumiProject, current: Admin
) -> None:
    admin = current
    # The Basic plan: crawler_limit 10, character_limit 1,000,000 (the emulator's PLANS).
    (kproject.workdir / "stacks" / "knowledge" / "big.md").write_text("x" * 1_000_001)
    sites = [{"website": f"{SITE}/{n}"} for n in range(11)]
    write_stack_file(kproject, knowledge_entry([{"text_file": "knowledge/big.md"}, *sites]))

    outcome = kproject.outcome("preview", ok=False)

    text = errors(outcome)
    # Line 5 is `knowledge:`; item n is at line 6 + n (the text_file first, then the sites).
    assert (
        "stacks/e2e.yaml:5: chatbots.support.knowledge: its text items hold 1,000,001 "
        "characters, and plan 'Basic' allows 1,000,000 (its character_limit)" in text
    )
    assert (
        "stacks/e2e.yaml:17: chatbots.support.knowledge[11].website: 11 website items, and plan "
        "'Basic' allows 10 (its crawler_limit)" in text
    )
    assert writes(admin) == []
    kproject.outcome("up", ok=False)
    assert writes(admin) == []
    assert admin.chatbots() == {}


def test_at_the_seed_level_the_knowledge_keys_fail_at_preview_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    with emulator("seed") as admin:
        project = make_project(tmp_path / "project", admin)
        write_stack_file(
            project,
            knowledge_entry([{"text": OPENING}], webhook="https://hooks.example.com/caigunn"),
        )

        outcome = project.outcome("preview", ok=False)

        assert (
            "stacks/e2e.yaml:5: chatbots.support.knowledge: knowledge, model and webhook need "
            "the current CaiGunn API" in errors(outcome)
        )
        assert project.outcome("up", ok=False).exit_code != 0
        assert writes(admin) == []
        assert admin.chatbots() == {}
