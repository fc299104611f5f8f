"""The Opentalk binding (issue 27's proof of a kind inside a chatbot entry), on the real engine.

`opentalk: <device_id>` under a chatbot entry: adding the key binds, changing it rebinds,
removing it unbinds, destroy unbinds, a refresh keeps the state (no call reads a binding back),
and the seed level refuses the key at preview. What a run did is read from the emulator's
request log and from the device id it keeps per chatbot.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import make_project, write_stack_file
from tests.e2e.pulumi_cli import PulumiProject
from tests.support import BASIC, Admin, emulator

pytestmark = pytest.mark.e2e

OPENTALK = "/api/external/chatbot/opentalk"
DEVICE = "opentalk_device_id"


def stack(device: str | None) -> str:
    text = f"chatbots:\n  support:\n    title: Support Desk\n    plan_id: {BASIC}\n"
    return text + (f"    opentalk: {device}\n" if device is not None else "")


def writes(admin: Admin) -> list[tuple[str, str, int]]:
    """(method, path, status) of every write served since the log was last cleared."""
    return [
        (entry["method"], entry["path"], entry["status"])
        for entry in admin.requests()
        if entry["method"] != "GET"
    ]


def device_of(admin: Admin, chatbot_id: str) -> str | None:
    """The device id the emulator keeps for the chatbot (its admin view)."""
    answer = admin.call("GET", f"/_emulator/chatbots/{chatbot_id}/extras")
    assert answer.status_code == 200, answer.text
    device: str | None = answer.json().get(DEVICE)
    return device


def chatbot_id(project: PulumiProject) -> str:
    [res] = project.resources(":Chatbot").values()
    return str(res["id"])


@pytest.fixture
def current() -> Iterator[Admin]:
    with emulator("current") as running:
        yield running


def test_adding_changing_removing_and_destroying_bind_rebind_and_unbind(
    tmp_path: Path, current: Admin
) -> None:
    project = make_project(tmp_path / "project", current)
    write_stack_file(project, stack("device-a"))

    preview = project.preview()
    assert "caigunn:OpentalkBinding: (create)" in preview
    assert writes(current) == []

    project.up()
    bot = chatbot_id(project)
    assert device_of(current, bot) == "device-a"
    assert [w for w in writes(current) if w[1] == OPENTALK] == [("PUT", OPENTALK, 200)]
    [binding] = project.resources(":OpentalkBinding").values()
    assert binding["outputs"]["device_id"] == "device-a"
    assert "device-a" not in str(binding["outputs"].get("api_key")), "the api_key is a secret"

    current.clear_requests()
    project.up()
    assert writes(current) == [], "a second up with no change writes nothing"

    # Changed in CaiGunn's own console: no call reads a binding back, so refresh keeps the state.
    changed = current.call("PATCH", f"/_emulator/chatbots/{bot}", json={DEVICE: "elsewhere"})
    assert changed.status_code == 200, changed.text
    current.clear_requests()
    project.refresh()
    assert [r for r in current.requests() if r["path"] == OPENTALK] == []
    assert project.resources(":OpentalkBinding")["support"]["outputs"]["device_id"] == "device-a"

    write_stack_file(project, stack("device-b"))
    current.clear_requests()
    project.up()
    assert [w for w in writes(current) if w[1] == OPENTALK] == [("PUT", OPENTALK, 200)]
    assert device_of(current, bot) == "device-b"
    assert chatbot_id(project) == bot, "a rebind keeps the chatbot"

    write_stack_file(project, stack(None))
    current.clear_requests()
    project.up()
    assert [w for w in writes(current) if w[1] == OPENTALK] == [("DELETE", OPENTALK, 200)]
    assert device_of(current, bot) is None
    assert project.resources(":OpentalkBinding") == {}

    write_stack_file(project, stack("device-c"))
    project.up()
    assert device_of(current, bot) == "device-c"
    current.clear_requests()
    project.destroy()
    assert ("DELETE", OPENTALK, 200) in writes(current)
    assert current.chatbots() == {}


def test_the_seed_level_refuses_the_key_at_preview_and_nothing_is_written(tmp_path: Path) -> None:
    with emulator("seed") as admin:
        project = make_project(tmp_path / "project", admin)
        write_stack_file(project, stack("device-a"))
        outcome = project.outcome("preview", ok=False)
        assert (
            "stacks/e2e.yaml:5: chatbots.support.opentalk: opentalk needs the current CaiGunn API "
            "(its chatbot-level routes: Opentalk bindings)"
        ) in "\n".join(outcome.messages("error"))
        assert project.outcome("up", ok=False).exit_code != 0
        assert writes(admin) == []
        assert admin.chatbots() == {}


def test_a_blank_device_id_is_a_stack_file_error_with_its_line(
    tmp_path: Path, current: Admin
) -> None:
    project = make_project(tmp_path / "project", current)
    write_stack_file(project, stack('"  "'))
    outcome = project.outcome("preview", ok=False)
    assert "stacks/e2e.yaml:5: chatbots.support.opentalk: must not be blank" in "\n".join(
        outcome.messages("error")
    )
    assert writes(current) == []
