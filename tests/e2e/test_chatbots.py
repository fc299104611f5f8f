"""The Chatbot resource end to end: the real engine, this repo's program, the emulator over HTTP.

Each test walks one step of a chatbot's life, at both API levels unless the levels differ.
What a run did is read from its --json change summary and from the exported state; prose is
asserted only where the prose is the feature (an error message).
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import entry, ids_by_name, two_chatbots, write_stack_file
from tests.e2e.pulumi_cli import PulumiProject
from tests.support import BASIC, PRO, Admin


def test_up_creates_exactly_the_declared_chatbots(project: PulumiProject, admin: Admin) -> None:
    write_stack_file(project, two_chatbots())
    outcome = project.outcome("up")

    live = admin.chatbots()
    outputs = project.outputs(show_secrets=True)
    assert outcome.changes == {"create": 3}  # the stack and two chatbots
    assert {(bot["title"], bot["plan_id"]) for bot in live.values()} == {
        ("Support Desk", BASIC),
        ("Sales", BASIC),
    }
    assert set(outputs["chatbots"]) == {"support", "sales"}
    for name, bot in outputs["chatbots"].items():
        assert live[bot["id"]]["title"] == bot["title"]
        assert bot["plan_id"] == BASIC
        assert outputs["api_keys"][name] == live[bot["id"]]["api_key"]
    assert len(admin.requests("POST")) == 2


def test_api_keys_are_a_secret_output(project: PulumiProject, admin: Admin) -> None:
    write_stack_file(project, two_chatbots())
    project.up()
    shown = project.run("stack", "output", "api_keys").stdout
    assert "[secret]" in shown
    for bot in admin.chatbots().values():
        assert bot["api_key"] not in shown


def test_second_up_makes_no_changes_and_no_writes(project: PulumiProject, admin: Admin) -> None:
    write_stack_file(project, two_chatbots())
    project.up()
    admin.clear_requests()

    outcome = project.outcome("up", "--expect-no-changes")

    assert outcome.changes == {"same": 3}
    assert [r for r in admin.requests() if r["method"] != "GET"] == []
    assert len(admin.chatbots()) == 2


@pytest.mark.parametrize("level", ["current"])
def test_rename_updates_in_place_and_keeps_the_id(project: PulumiProject, admin: Admin) -> None:
    write_stack_file(project, two_chatbots())
    project.up()
    before = ids_by_name(project)

    write_stack_file(project, two_chatbots(support_title="Help Centre"))
    outcome = project.outcome("up")

    assert outcome.changes == {"update": 1, "same": 2}
    assert ids_by_name(project) == before
    assert admin.chatbots()[before["support"]]["title"] == "Help Centre"
    assert len(admin.requests("PUT")) == 1


@pytest.mark.parametrize("level", ["seed"])
def test_rename_on_a_seed_server_fails_with_a_way_forward(
    project: PulumiProject, admin: Admin
) -> None:
    write_stack_file(project, two_chatbots())
    project.up()
    before = ids_by_name(project)

    write_stack_file(project, two_chatbots(support_title="Help Centre"))
    outcome = project.outcome("up", ok=False)

    assert outcome.messages("error")[0] == (
        "Could not update this chatbot:\n"
        f"chatbot {before['support']} cannot be renamed: this CaiGunn API offers only list and "
        "create. Put the title 'Support Desk' back in the stack file or program, or replace the "
        "chatbot (new id and api_key) with `pulumi up --replace <urn>`\n"
    )
    assert ids_by_name(project) == before
    assert admin.chatbots()[before["support"]]["title"] == "Support Desk"
    assert admin.requests("PUT") == []


def test_plan_change_replaces_the_chatbot(project: PulumiProject, admin: Admin, level: str) -> None:
    write_stack_file(project, two_chatbots())
    project.up()
    old = ids_by_name(project)

    write_stack_file(project, two_chatbots(sales_plan=PRO))
    # A replacement is allowed by name (caigunn:allowReplace), or up stops before it.
    project.config_set("caigunn:allowReplace", "sales")
    outcome = project.outcome("up")

    new = ids_by_name(project)
    assert outcome.changes == {"replace": 1, "same": 2}
    assert new["support"] == old["support"]
    assert new["sales"] != old["sales"]
    live = admin.chatbots()
    assert live[new["sales"]]["plan_id"] == PRO
    if level == "current":
        assert old["sales"] not in live
    else:
        # No DELETE at seed level: the old chatbot stays, and the user is told so.
        assert old["sales"] in live
        # A dynamic provider speaks to the user through its stderr (severity info#err).
        assert any("cannot delete chatbots" in m for m in outcome.messages("info#err"))


def test_removing_an_entry_deletes_its_chatbot(
    project: PulumiProject, admin: Admin, level: str
) -> None:
    write_stack_file(project, two_chatbots())
    project.up()
    ids = ids_by_name(project)

    write_stack_file(project, "chatbots:\n" + entry("support", "Support Desk"))
    outcome = project.outcome("up")

    assert outcome.changes == {"delete": 1, "same": 2}
    assert set(project.outputs()["chatbots"]) == {"support"}
    if level == "current":
        assert set(admin.chatbots()) == {ids["support"]}
    else:
        assert set(admin.chatbots()) == set(ids.values())
        assert any(f"chatbot {ids['sales']} stays" in m for m in outcome.messages("info#err"))


def test_out_of_band_delete_then_refresh_drops_it_and_up_recreates_it(
    project: PulumiProject, admin: Admin
) -> None:
    write_stack_file(project, two_chatbots())
    project.up()
    gone = ids_by_name(project)["sales"]
    admin.delete_out_of_band(gone)

    refreshed = project.outcome("refresh")
    assert refreshed.changes == {"delete": 1, "same": 2}
    assert set(project.resources()) == {"support"}

    project.up()
    recreated = ids_by_name(project)["sales"]
    assert recreated != gone
    assert recreated in admin.chatbots()


def test_out_of_band_rename_then_refresh_shows_the_drift(
    project: PulumiProject, admin: Admin, level: str
) -> None:
    write_stack_file(project, two_chatbots())
    project.up()
    support = ids_by_name(project)["support"]
    admin.rename_out_of_band(support, "Renamed By Hand")

    refreshed = project.outcome("refresh")

    assert refreshed.changes == {"update": 1, "same": 2}
    assert project.resources()["support"]["outputs"]["title"] == "Renamed By Hand"
    preview = project.preview()
    assert re.search(r'~ title +: "Renamed By Hand" => "Support Desk"', preview)
    if level == "current":
        project.up()
        assert admin.chatbots()[support]["title"] == "Support Desk"


def test_import_adopts_an_existing_chatbot_without_creating_one(
    project: PulumiProject, admin: Admin
) -> None:
    existing = admin.create("Made By Hand")
    write_stack_file(project, "chatbots:\n" + entry("legacy", "Made By Hand", import_=existing))
    admin.clear_requests()

    project.up()

    outputs = project.outputs(show_secrets=True)
    assert outputs["chatbots"]["legacy"]["id"] == existing
    assert outputs["api_keys"]["legacy"] == admin.chatbots()[existing]["api_key"]
    assert admin.requests("POST") == []
    assert len(admin.chatbots()) == 1
    project.up("--expect-no-changes")


def test_import_of_an_unknown_id_fails_and_creates_nothing(
    project: PulumiProject, admin: Admin
) -> None:
    ghost = "00000000-0000-4000-8000-000000000000"
    write_stack_file(project, "chatbots:\n" + entry("legacy", "Ghost", import_=ghost))

    outcome = project.outcome("up", ok=False)

    assert outcome.messages("error")[0] == (
        "Could not create this chatbot:\n"
        f"import: chatbot {ghost} is not in this CaiGunn account; check the id\n"
    )
    assert admin.requests("POST") == []
    assert admin.chatbots() == {}


@pytest.mark.parametrize("level", ["current"])
def test_destroy_leaves_the_account_as_it_was(project: PulumiProject, admin: Admin) -> None:
    existing = admin.create("Not Ours")
    before = admin.chatbots()
    write_stack_file(project, two_chatbots())
    project.up()
    assert len(admin.chatbots()) == 3

    project.destroy()

    assert admin.chatbots() == before
    assert project.outputs() == {}
    assert existing in admin.chatbots()


def test_state_holds_no_api_key_or_token_in_plain_text(
    project: PulumiProject, admin: Admin
) -> None:
    write_stack_file(project, two_chatbots())
    project.up()
    project.refresh()

    state = project.export_text()
    config = (project.workdir / f"Pulumi.{project.stack}.yaml").read_text()
    api_keys = [bot["api_key"] for bot in admin.chatbots().values()]
    assert len(api_keys) == 2
    for text in (state, config):
        assert admin.token not in text
        for api_key in api_keys:
            assert api_key not in text
    assert state.count('"4dabf18193072939515e22adb298388d"') >= 2  # the secret signature


def test_bad_stack_file_fails_with_file_line_and_field_and_creates_nothing(
    project: PulumiProject, admin: Admin
) -> None:
    write_stack_file(
        project, "chatbots:\n  support:\n    title: Support\n    plan-id: not-a-uuid\n"
    )
    failed = project.up(ok=False)

    assert "stacks/e2e.yaml:4: chatbots.support: unknown key 'plan-id'" in failed
    assert "Traceback" not in failed
    assert admin.requests() == []
