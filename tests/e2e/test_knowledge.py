"""Knowledge as code on the real engine: items, one training per change, failures, webhooks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.pulumi_cli import ROOT, PulumiProject
from tests.support import BASIC, Admin

pytestmark = pytest.mark.parametrize("level", ["current"])

CHATBOT_API = "/api/external/chatbot"
PROGRAM = Path(__file__).parent / "knowledge" / "program.py"
SITE = "https://www.example.com/help"


@pytest.fixture
def kproject(tmp_path: Path, admin: Admin) -> PulumiProject:
    """The knowledge program in a project of its own, against the `admin` emulator."""
    workdir = tmp_path / "project"
    (workdir / "knowledge").mkdir(parents=True)
    shutil.copy(PROGRAM, workdir / "__main__.py")
    shutil.copy(ROOT / "Pulumi.yaml", workdir / "Pulumi.yaml")
    (workdir / ".venv").symlink_to(ROOT / ".venv")
    project = PulumiProject(workdir).init()
    project.config_set("caigunn:accessToken", admin.token, secret=True)
    project.config_set("caigunn:apiUrl", admin.base_url)
    (workdir / "knowledge" / "returns.md").write_text("Returns within 30 days.\n")
    (workdir / "knowledge" / "shipping.md").write_text("We ship worldwide.\n")
    (workdir / "knowledge" / "manual.pdf").write_bytes(b"%PDF-1.4 a tiny manual\n")
    return project


def declare(project: PulumiProject, **changes: Any) -> None:
    spec: dict[str, Any] = {
        "title": "Support Desk",
        "plan_id": BASIC,
        "knowledge": [
            {"text_file": "knowledge/returns.md"},
            {"text_file": "knowledge/shipping.md"},
            {"text": "Opening hours: Mon-Fri 9:00-18:00"},
            {"file": "knowledge/manual.pdf"},
            {"website": SITE, "single_page": True},
        ],
        "model": "gpt-4",
        "webhook": "https://hooks.example.com/caigunn",
    }
    spec.update(changes)
    (project.workdir / "spec.json").write_text(json.dumps(spec))


def chatbot(admin: Admin, project: PulumiProject) -> dict[str, Any]:
    [res] = project.resources(":Chatbot").values()
    info: dict[str, Any] = admin.call("GET", f"/api/external/user/chatbot/{res['id']}").json()
    return info


def api_key(admin: Admin, project: PulumiProject) -> str:
    [res] = project.resources(":Chatbot").values()
    [row] = [row for row in admin.rows() if row["id"] == res["id"]]
    return str(row["api_key"])


def rows(admin: Admin, project: PulumiProject) -> set[str]:
    """The ids of the chatbot's training data, as the API lists them."""
    answer = admin.session.get(
        f"{admin.base_url}{CHATBOT_API}/training_data",
        headers={"caigunn-access-token": admin.token, "api-key": api_key(admin, project)},
        timeout=30,
    )
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


def writes(admin: Admin, path: str = "") -> list[dict[str, Any]]:
    return [
        entry
        for entry in admin.requests()
        if entry["method"] != "GET" and path in entry.get("path", "")
    ]


def trainings(admin: Admin) -> int:
    return len(
        [e for e in admin.requests("POST") if e.get("path", "").endswith(f"{CHATBOT_API}/model")]
    )


def state_model(project: PulumiProject) -> dict[str, Any]:
    [res] = project.resources(":Model").values()
    outputs: dict[str, Any] = res["outputs"]
    return outputs


def test_create_trains_once_sets_the_model_and_webhook_and_a_second_up_writes_nothing(
    kproject: PulumiProject, admin: Admin
) -> None:
    declare(kproject)
    kproject.up()
    assert trainings(admin) == 1
    info = chatbot(admin, kproject)
    model = state_model(kproject)
    assert info["model"]["id"] == model["model_id"]
    assert info["webhook_url"] == "https://hooks.example.com/caigunn"
    ids = item_ids(kproject)
    assert len(ids) == 5 and all(ids.values())
    assert rows(admin, kproject) == {row for found in ids.values() for row in found}
    # The api_key is in the state once, the Chatbot's secret output: no item, rows, training,
    # model or webhook holds it (the provider finds it: chatbot_level/keys.py).
    assert api_key(admin, kproject) not in kproject.export_text()
    deployment = json.loads(kproject.export_text())["deployment"]
    holders = [
        res["type"].rsplit(":", 1)[1]
        for res in deployment["resources"]
        if "api_key" in {**res.get("inputs", {}), **res.get("outputs", {})}
    ]
    assert holders == ["Chatbot"]
    # Nothing changed: the engine's second run sends no write at all.
    admin.clear_requests()
    outcome = kproject.outcome("up")
    assert writes(admin) == []
    assert set(outcome.changes) == {"same"}
    # And a preview says so too: no Model shows as an update from the Training's absent outputs.
    kproject.preview("--expect-no-changes")


def test_editing_one_text_file_replaces_that_item_only_and_trains_once(
    kproject: PulumiProject, admin: Admin
) -> None:
    declare(kproject)
    kproject.up()
    before = item_ids(kproject)
    (kproject.workdir / "knowledge" / "returns.md").write_text("Returns within 60 days.\n")
    admin.clear_requests()
    kproject.up()
    after = item_ids(kproject)
    edited = "support/text_file:knowledge/returns.md"
    assert after[edited] != before[edited]
    assert {k: v for k, v in after.items() if k != edited} == {
        k: v for k, v in before.items() if k != edited
    }
    assert trainings(admin) == 1
    assert len([e for e in admin.requests("POST") if "training_data" in e["path"]]) == 1
    assert before[edited][0] not in rows(admin, kproject)
    assert chatbot(admin, kproject)["model"]["id"] == state_model(kproject)["model_id"]


def test_removing_an_item_deletes_its_row_and_trains_once(
    kproject: PulumiProject, admin: Admin
) -> None:
    declare(kproject)
    kproject.up()
    before = item_ids(kproject)
    declare(kproject, knowledge=[{"text_file": "knowledge/returns.md"}])
    admin.clear_requests()
    kproject.up()
    assert rows(admin, kproject) == set(before["support/text_file:knowledge/returns.md"])
    assert trainings(admin) == 1


def test_an_item_deleted_outside_pulumi_is_found_by_refresh_and_restored(
    kproject: PulumiProject, admin: Admin
) -> None:
    declare(kproject, knowledge=[{"text": "Hello"}, {"text": "World"}], webhook=None)
    kproject.up()
    [res] = kproject.resources(":Chatbot").values()
    gone = next(iter(item_ids(kproject).values()))[0]
    answer = admin.call("DELETE", f"/_emulator/chatbots/{res['id']}/training_data/{gone}")
    assert answer.status_code == 200, answer.text
    kproject.refresh()
    assert len(item_ids(kproject)) == 1
    admin.clear_requests()
    kproject.up()
    assert len(item_ids(kproject)) == 2
    assert len(rows(admin, kproject)) == 2
    assert trainings(admin) == 1


def test_a_failed_training_names_the_entry_and_the_old_model_stays(
    kproject: PulumiProject, admin: Admin
) -> None:
    declare(kproject, knowledge=[{"text": "Hello"}], webhook=None)
    kproject.up()
    old = chatbot(admin, kproject)["model"]["id"]
    admin.set_knobs(fail_training="Character limit exceeded")
    declare(kproject, knowledge=[{"text": "Hello"}, {"text": "A long text"}], webhook=None)
    outcome = kproject.outcome("up", ok=False)
    text = "\n".join(outcome.messages("error"))
    assert "the training of chatbot entry 'support' failed: Character limit exceeded" in text
    assert chatbot(admin, kproject)["model"]["id"] == old


def test_a_failed_crawl_names_the_item_and_its_detail(
    kproject: PulumiProject, admin: Admin
) -> None:
    admin.set_knobs(fail_crawl="Website unreachable")
    declare(kproject, knowledge=[{"website": SITE}], webhook=None)
    outcome = kproject.outcome("up", ok=False)
    text = "\n".join(outcome.messages("error"))
    assert f"support/website:{SITE}: CaiGunn could not crawl the site {SITE}" in text
    assert "Website unreachable" in text
    assert trainings(admin) == 0


def test_a_training_past_its_timeout_is_picked_up_by_the_next_up_without_a_second_training(
    kproject: PulumiProject, admin: Admin
) -> None:
    declare(kproject, knowledge=[{"text": "Hello"}], webhook=None)
    kproject.up()
    kproject.config_set("caigunn:trainingTimeout", "2")
    admin.set_knobs(training_never_finishes=True)
    declare(kproject, knowledge=[{"text": "Hello"}, {"text": "World"}], webhook=None)
    admin.clear_requests()
    outcome = kproject.outcome("up", ok=False)
    text = "\n".join(outcome.messages("error"))
    assert "had not ended after 2 s" in text and "the next `pulumi up` picks it up" in text
    # The Training step recorded the training's event before the wait; the Model's wait is a
    # partial failure (an init error), which has not served it.
    [started] = kproject.resources(":Training").values()
    assert started["outputs"]["event_id"]
    assert state_model(kproject).get("served") != started["outputs"]["event_id"]
    [res] = kproject.resources(":Model").values()
    assert res.get("initErrors")
    admin.set_knobs(training_never_finishes=False)
    kproject.up()
    assert trainings(admin) == 1
    model = state_model(kproject)
    assert model["served"] == started["outputs"]["event_id"]
    [res] = kproject.resources(":Model").values()
    assert not res.get("initErrors")
    assert chatbot(admin, kproject)["model"]["id"] == model["model_id"]
    admin.clear_requests()
    kproject.up()
    assert writes(admin) == []


def test_a_webhook_is_set_changed_and_removed(kproject: PulumiProject, admin: Admin) -> None:
    declare(kproject, knowledge=[{"text": "Hello"}], webhook="https://hooks.example.com/a")
    kproject.up()
    assert chatbot(admin, kproject)["webhook_url"] == "https://hooks.example.com/a"
    declare(kproject, knowledge=[{"text": "Hello"}], webhook="https://hooks.example.com/b")
    admin.clear_requests()
    kproject.up()
    assert chatbot(admin, kproject)["webhook_url"] == "https://hooks.example.com/b"
    assert [e["method"] for e in writes(admin, "/webhook")] == ["PUT"]
    declare(kproject, knowledge=[{"text": "Hello"}], webhook=None)
    admin.clear_requests()
    kproject.up()
    assert not chatbot(admin, kproject).get("webhook_url")
    assert [e["method"] for e in writes(admin, "/webhook")] == ["DELETE"]
    assert trainings(admin) == 0


def test_a_model_and_webhook_changed_outside_pulumi_are_found_by_refresh_and_put_back(
    kproject: PulumiProject, admin: Admin
) -> None:
    declare(kproject, knowledge=[{"text": "Hello"}], webhook="https://hooks.example.com/a")
    kproject.up()
    [res] = kproject.resources(":Chatbot").values()
    edit = {"model_id": None, "webhook_url": "https://elsewhere.example.com/"}
    answer = admin.call("PATCH", f"/_emulator/chatbots/{res['id']}", json=edit)
    assert answer.status_code == 200, answer.text
    kproject.refresh()
    admin.clear_requests()
    kproject.up()
    info = chatbot(admin, kproject)
    assert info["model"]["id"] == state_model(kproject)["model_id"]
    assert info["webhook_url"] == "https://hooks.example.com/a"
    assert trainings(admin) == 0
