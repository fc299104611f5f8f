"""A plan change replaces the chatbot (issue 30, point 2), on the real engine and the emulator:
preview says what it costs, once; `pulumi up --yes` stops before anything is written unless
caigunn:allowReplace names the entry; with it, the chatbot is replaced and the old one deleted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import make_project, write_stack_file
from tests.e2e.pulumi_cli import PulumiProject
from tests.support import BASIC, PRO, Admin, emulator

pytestmark = pytest.mark.e2e

# The emulator's background work (an upload, a training), kept short.
WORK_MS = 50
STOPPED = "Stopped before changing anything:"
SENTENCE = (
    "stacks/e2e.yaml:4: chatbots.support.plan: changing the plan from Basic to Pro replaces this "
    "chatbot: it gets a new id and api_key, its 1 knowledge item is uploaded and trained again, "
    "and the old chatbot is deleted; "
)
NOT_ALLOWED = SENTENCE + "allow it with `pulumi config set caigunn:allowReplace support`"
ALLOWED = SENTENCE + "caigunn:allowReplace allows it"


@pytest.fixture
def current() -> Iterator[Admin]:
    """A current-level emulator whose background work takes WORK_MS."""
    with emulator("current", work_ms=WORK_MS) as running:
        yield running


@pytest.fixture
def project(tmp_path: Path, current: Admin) -> PulumiProject:
    return make_project(tmp_path / "project", current)


def stack(plan: str) -> str:
    """One chatbot entry, on plan (by name), with one knowledge text item."""
    return (
        "chatbots:\n"
        "  support:\n"
        "    title: Support Desk\n"
        f"    plan: {plan}\n"
        "    knowledge:\n"
        "      - text: 'Opening hours: Mon-Fri 9:00-18:00'\n"
    )


# How the state marks a secret value (its ciphertext changes on every save).
SECRET_SIG = "4dabf18193072939515e22adb298388d"


def plain(value: Any) -> Any:
    """value with each secret's ciphertext left out: what stays equal when nothing changed."""
    if isinstance(value, dict):
        if SECRET_SIG in value:
            return "<secret>"
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def chatbot_record(project: PulumiProject) -> dict[str, Any]:
    """The Chatbot resource as the state holds it, secrets aside (api_key() reads its key)."""
    [record] = project.resources(":Chatbot").values()
    return dict(plain(record))


def resources(project: PulumiProject) -> list[Any]:
    """Every resource of the state, secrets aside."""
    deployment = json.loads(project.export_text())["deployment"]
    return list(plain(deployment.get("resources") or []))


def api_key(project: PulumiProject) -> str:
    return str(project.outputs(show_secrets=True)["api_keys"]["support"])


def test_a_plan_change_is_announced_refused_without_the_setting_and_done_with_it(
    project: PulumiProject, current: Admin
) -> None:
    write_stack_file(project, stack("Basic"))
    project.up()
    before, state = chatbot_record(project), resources(project)
    old_id, old_key = str(before["id"]), api_key(project)
    assert current.chatbots()[old_id]["plan_id"] == BASIC

    # Preview: the sentence, once, as a warning on the entry; the run goes on (exit 0).
    write_stack_file(project, stack("Pro"))
    preview = project.outcome("preview")
    said = [text.strip() for text in preview.messages("warning") if "replaces" in text]
    assert said == [NOT_ALLOWED]
    assert preview.changes.get("replace", 0) >= 1
    # The progress lines echo it; the Diagnostics, which a CI log keeps, say it once.
    printed = project.run("preview").stdout
    assert printed.partition("\nDiagnostics:\n")[2].count(NOT_ALLOWED) == 1
    assert old_key not in printed

    # `up --yes`: its preview warns, its update stops before anything is declared.
    current.clear_requests()
    refused = project.run("up", "--yes", ok=False)
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0
    assert STOPPED in output and NOT_ALLOWED in output
    assert "Traceback" not in output and old_key not in output
    # Nothing written: no request but reads, the same chatbot, the state as it was.
    assert {r["method"] for r in current.requests()} <= {"GET"}
    live = current.chatbots()
    assert set(live) == {old_id}
    assert (live[old_id]["plan_id"], live[old_id]["api_key"]) == (BASIC, old_key)
    assert chatbot_record(project) == before
    assert resources(project) == state
    assert api_key(project) == old_key

    # Allowed by name: up replaces the chatbot, and the old one is deleted.
    project.config_set("caigunn:allowReplace", "support")
    replaced = project.outcome("up")
    assert [t.strip() for t in replaced.messages("warning") if "replaces" in t] == [ALLOWED]
    new_id = str(chatbot_record(project)["id"])
    assert new_id != old_id
    live = current.chatbots()
    assert set(live) == {new_id}
    assert live[new_id]["plan_id"] == PRO
    assert api_key(project) not in (old_key, "")
    project.up("--expect-no-changes")


def test_an_adopted_chatbot_is_said_to_stay_and_stays_when_the_environment_allows_every_entry(
    project: PulumiProject, current: Admin
) -> None:
    adopted = current.create("Made By Hand")
    entry = f"chatbots:\n  legacy:\n    title: Made By Hand\n    import: {adopted}\n"
    write_stack_file(project, entry + f"    plan_id: {BASIC}\n")
    project.up()

    write_stack_file(project, entry + f"    plan_id: {PRO}\n")
    said = (
        "stacks/e2e.yaml:5: chatbots.legacy.plan_id: changing the plan from Basic to Pro "
        "replaces this chatbot: it gets a new id and api_key, and the old chatbot stays in the "
        "CaiGunn account (it was adopted with `import:`, and adopted chatbots are never deleted); "
    )
    refused = project.outcome("up", ok=False)
    assert [text.strip() for text in refused.messages("error")] == [
        f"{STOPPED}\n{said}allow it with `pulumi config set caigunn:allowReplace legacy`"
    ]
    assert set(current.chatbots()) == {adopted}

    # For one run, from the environment: `*` allows every entry.
    project.env["CAIGUNN_ALLOW_REPLACE"] = "*"
    replaced = project.outcome("up")
    assert [t.strip() for t in replaced.messages("warning") if "replaces" in t] == [
        said + "caigunn:allowReplace allows it"
    ]
    made = str(chatbot_record(project)["id"])
    assert set(current.chatbots()) == {adopted, made}
