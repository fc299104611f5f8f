"""Chatbot settings on the real engine (issue 14): only what the entry declares is managed.

Each test walks one step: create with every setting, change one, remove one, drift behind the
stack's back, and the seed level's refusal. What a run did is read from its --json change
summary, the request log and what the emulator stored; the log records no form fields, so what
a PUT carried is proven by the stored values that did or did not change.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.e2e.conftest import ids_by_name, write_stack_file
from tests.e2e.pulumi_cli import PulumiProject
from tests.support import BASIC, CHATBOT_PATH, EVERY_SETTING, EVERY_SETTING_STORED, Admin

PROMPT = EVERY_SETTING["prompt"]
# Every setting as the stack file declares it (prompt from prompt_file), and as the API stores it.
DECLARED: dict[str, Any] = EVERY_SETTING
STORED: dict[str, Any] = EVERY_SETTING_STORED
# A second chatbot without settings: a settings change must leave it alone.
PLAIN = f"  plain:\n    title: Plain\n    plan_id: {BASIC}\n"

CURRENT = pytest.mark.parametrize("level", ["current"])


def stack_text(**changes: Any) -> str:
    """The support entry with every setting (a key set to None is left out), then `plain`."""
    settings = {"prompt_file": "prompts/support.md", **DECLARED, **changes}
    settings.pop("prompt")
    lines = "".join(
        f"    {key}: {json.dumps(value)}\n" for key, value in settings.items() if value is not None
    )
    return f"chatbots:\n  support:\n    title: Support Desk\n    plan_id: {BASIC}\n{lines}{PLAIN}"


def declare(project: PulumiProject, prompt: str = PROMPT, **changes: Any) -> None:
    prompts = project.workdir / "stacks" / "prompts"
    prompts.mkdir(exist_ok=True)
    (prompts / "support.md").write_text(prompt)
    write_stack_file(project, stack_text(**changes))


def stored(admin: Admin, chatbot_id: str) -> dict[str, Any]:
    """The settings the emulator stores for the chatbot (the write-only ones too)."""
    row = admin.chatbots()[chatbot_id]
    return {key: row[key] for key in STORED}


def writes(admin: Admin) -> list[dict[str, Any]]:
    return [entry for entry in admin.requests() if entry["method"] != "GET"]


def change_out_of_band(admin: Admin, chatbot_id: str, **fields: str) -> None:
    """A change made behind the stack's back (through the API), left out of the request log."""
    answer = admin.call("PUT", f"{CHATBOT_PATH}/{chatbot_id}", data=fields)
    assert answer.status_code == 200, answer.text
    admin.clear_requests()


def created(project: PulumiProject, admin: Admin) -> str:
    declare(project)
    project.up()
    admin.clear_requests()
    return ids_by_name(project)["support"]


@CURRENT
def test_up_creates_a_chatbot_with_every_setting_in_its_post(
    project: PulumiProject, admin: Admin
) -> None:
    declare(project)

    outcome = project.outcome("up")

    support = ids_by_name(project)["support"]
    assert outcome.changes == {"create": 3}
    assert stored(admin, support) == STORED
    # The emulator keeps every setting a create sends: no follow-up PUT was needed.
    assert [entry["method"] for entry in writes(admin)] == ["POST", "POST"]
    assert project.resources()["support"]["outputs"]["settings"] == DECLARED
    assert "settings" not in project.resources()["plain"]["outputs"]


@CURRENT
def test_a_changed_prompt_file_updates_in_place_with_one_put(
    project: PulumiProject, admin: Admin
) -> None:
    support = created(project, admin)
    api_key = admin.chatbots()[support]["api_key"]

    declare(project, prompt="You are the help centre.\n")
    outcome = project.outcome("up")

    assert outcome.changes == {"update": 1, "same": 2}
    assert [(r["method"], r["path"]) for r in writes(admin)] == [
        ("PUT", f"{CHATBOT_PATH}/{support}")
    ]
    assert ids_by_name(project)["support"] == support
    assert admin.chatbots()[support]["api_key"] == api_key
    assert project.outputs(show_secrets=True)["api_keys"]["support"] == api_key
    assert stored(admin, support) == {**STORED, "prompt": "You are the help centre.\n"}


@CURRENT
def test_a_changed_allowed_domains_puts_that_field_only(
    project: PulumiProject, admin: Admin
) -> None:
    support = created(project, admin)
    # Every other field is changed behind the stack's back: a PUT that carried any of them
    # would put the declared value back.
    by_hand = {
        "title": "Renamed By Hand",
        "prompt": "Set by hand.",
        "initial_messages": json.dumps([{"type": "text", "value": "By hand"}]),
        "main_color": "#000000",
        "is_default_visible": "false",
        "button_style": "basic",
        "is_fixed": "false",
        "show_history": "true",
        "is_shared": "false",
        "model_id": "0c9d8e7f-6a5b-4c3d-9e2f-1a0b9c8d7e6f",
    }
    change_out_of_band(admin, support, **by_hand)
    before = admin.chatbots()[support]

    declare(project, allowed_domains=["https://support.example.com"])
    outcome = project.outcome("up")

    after = admin.chatbots()[support]
    assert outcome.changes == {"update": 1, "same": 2}
    assert [r["method"] for r in writes(admin)] == ["PUT"]
    assert after["allowed_domains"] == ["https://support.example.com"]
    assert {k: v for k, v in after.items() if k not in ("allowed_domains", "updated_at")} == {
        k: v for k, v in before.items() if k not in ("allowed_domains", "updated_at")
    }


@CURRENT
def test_removing_a_setting_writes_nothing_and_leaves_its_value(
    project: PulumiProject, admin: Admin
) -> None:
    support = created(project, admin)

    # One setting GET returns (prompt, from its file) and one write-only (main_color).
    declare(project, prompt_file=None, main_color=None)
    outcome = project.outcome("up")

    # The update only drops them from the state: no longer managed, nothing is sent.
    assert outcome.changes == {"update": 1, "same": 2}
    assert writes(admin) == []
    assert stored(admin, support) == STORED
    left = project.resources()["support"]["outputs"]["settings"]
    assert "prompt" not in left
    assert "main_color" not in left
    project.up("--expect-no-changes")


@CURRENT
def test_a_setting_no_longer_declared_is_not_drift(project: PulumiProject, admin: Admin) -> None:
    support = created(project, admin)
    declare(project, prompt_file=None, main_color=None)
    project.up()
    change_out_of_band(admin, support, prompt="Set by hand.", main_color="#000000")

    refreshed = project.outcome("refresh")

    assert refreshed.changes == {"same": 3}
    project.up("--expect-no-changes")
    assert writes(admin) == []
    assert stored(admin, support)["prompt"] == "Set by hand."
    assert stored(admin, support)["main_color"] == "#000000"


@CURRENT
def test_a_setting_declared_again_is_sent_again(project: PulumiProject, admin: Admin) -> None:
    # While main_color was not declared it was changed by hand; declaring it again (with the
    # value it had before) must send it, whatever the state remembered from back then.
    support = created(project, admin)
    declare(project, main_color=None)
    project.up()
    change_out_of_band(admin, support, main_color="#000000")

    declare(project)
    outcome = project.outcome("up")

    assert outcome.changes == {"update": 1, "same": 2}
    assert [r["method"] for r in writes(admin)] == ["PUT"]
    assert stored(admin, support)["main_color"] == DECLARED["main_color"]


@CURRENT
def test_a_prompt_changed_by_hand_shows_as_drift_and_the_next_up_restores_it(
    project: PulumiProject, admin: Admin
) -> None:
    support = created(project, admin)
    change_out_of_band(admin, support, prompt="Set by hand.")

    refreshed = project.outcome("refresh")

    assert refreshed.changes == {"update": 1, "same": 2}
    assert project.resources()["support"]["outputs"]["settings"]["prompt"] == "Set by hand."
    assert writes(admin) == []
    preview = project.preview()
    assert re.search(r"~ prompt +: *\n +- Set by hand\.\n +\+ You are the support desk", preview)
    assert project.outcome("preview").changes == {"update": 1, "same": 2}

    outcome = project.outcome("up")

    assert outcome.changes == {"update": 1, "same": 2}
    assert [r["method"] for r in writes(admin)] == ["PUT"]
    assert stored(admin, support) == STORED
    project.up("--expect-no-changes")


@CURRENT
def test_a_second_up_makes_no_changes(project: PulumiProject, admin: Admin) -> None:
    created(project, admin)

    outcome = project.outcome("up", "--expect-no-changes")

    assert outcome.changes == {"same": 3}
    assert writes(admin) == []
    # The pre-flight reads a chatbot only when its entry changed: the state's settings match.
    assert [r for r in admin.requests() if r["path"].startswith(f"{CHATBOT_PATH}/")] == []


@pytest.mark.parametrize("level", ["seed"])
def test_at_the_seed_level_a_declared_setting_fails_at_preview_and_writes_nothing(
    project: PulumiProject, admin: Admin
) -> None:
    declare(project)

    outcome = project.outcome("preview", ok=False)

    # Line 5 is the first setting's key, prompt_file, written as such.
    assert outcome.messages("error")[0] == (
        "invalid stack file:\n"
        "stacks/e2e.yaml:5: chatbots.support.prompt_file: chatbot settings (prompt_file, "
        "initial_messages, allowed_domains, main_color, is_default_visible, button_style, "
        "is_fixed, show_history, is_shared, model_id) need the current CaiGunn API, and this "
        "one offers only list and create; remove them from the entry\n"
    )
    assert writes(admin) == []
    assert admin.chatbots() == {}
