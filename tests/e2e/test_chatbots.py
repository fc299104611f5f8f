"""The Chatbot resource end to end: the real engine, this repo's program, the emulator over HTTP.

Each test walks one step of a chatbot's life, at both API levels unless the levels differ.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import BASIC, PRO, TOKEN, Account, two_chatbots, write_stack_file
from tests.e2e.pulumi_cli import PulumiProject


def ids_by_name(project: PulumiProject) -> dict[str, str]:
    return {name: bot["id"] for name, bot in project.outputs()["chatbots"].items()}


def test_up_creates_exactly_the_declared_chatbots(project: PulumiProject, account: Account) -> None:
    write_stack_file(project, two_chatbots())
    project.up()

    live = account.chatbots()
    outputs = project.outputs(show_secrets=True)
    assert {(bot["title"], bot["plan_id"]) for bot in live.values()} == {
        ("Support Desk", BASIC),
        ("Sales Assistant", BASIC),
    }
    assert set(outputs["chatbots"]) == {"support", "sales"}
    for name, bot in outputs["chatbots"].items():
        assert live[bot["id"]]["title"] == bot["title"]
        assert bot["plan_id"] == BASIC
        assert outputs["api_keys"][name] == live[bot["id"]]["api_key"]
    assert len(account.requests("POST")) == 2


def test_api_keys_are_a_secret_output(project: PulumiProject, account: Account) -> None:
    write_stack_file(project, two_chatbots())
    project.up()
    shown = project.run("stack", "output", "api_keys").stdout
    assert "[secret]" in shown
    for bot in account.chatbots().values():
        assert bot["api_key"] not in shown


def test_second_up_reports_no_changes_and_makes_no_post(
    project: PulumiProject, account: Account
) -> None:
    write_stack_file(project, two_chatbots())
    project.up()
    posts = len(account.requests("POST"))

    project.up("--expect-no-changes")

    assert len(account.requests("POST")) == posts
    assert len(account.chatbots()) == 2


@pytest.mark.parametrize("level", ["current"])
def test_rename_updates_in_place_and_keeps_the_id(project: PulumiProject, account: Account) -> None:
    write_stack_file(project, two_chatbots())
    project.up()
    before = ids_by_name(project)

    write_stack_file(project, two_chatbots(support_title="Help Centre"))
    out = project.up()

    assert "~ 1 updated" in out
    assert ids_by_name(project) == before
    assert account.chatbots()[before["support"]]["title"] == "Help Centre"
    assert len(account.requests("PUT")) == 1


@pytest.mark.parametrize("level", ["seed"])
def test_rename_on_a_seed_server_fails_with_a_way_forward(
    project: PulumiProject, account: Account
) -> None:
    write_stack_file(project, two_chatbots())
    project.up()
    before = ids_by_name(project)

    write_stack_file(project, two_chatbots(support_title="Help Centre"))
    failed = project.up(ok=False)

    assert "cannot rename chatbots" in failed
    assert "pulumi up --replace" in failed
    assert ids_by_name(project) == before
    assert account.chatbots()[before["support"]]["title"] == "Support Desk"


def test_plan_change_replaces_the_chatbot(
    project: PulumiProject, account: Account, level: str
) -> None:
    write_stack_file(project, two_chatbots())
    project.up()
    old = ids_by_name(project)

    write_stack_file(project, two_chatbots(sales_plan=PRO))
    out = project.up()

    new = ids_by_name(project)
    assert "+-1 replaced" in out
    assert new["support"] == old["support"]
    assert new["sales"] != old["sales"]
    live = account.chatbots()
    assert live[new["sales"]]["plan_id"] == PRO
    if level == "current":
        assert old["sales"] not in live
    else:
        # No DELETE at seed level: the old chatbot stays, and the user is told so.
        assert old["sales"] in live
        assert "cannot delete chatbots" in out


def test_removing_an_entry_deletes_its_chatbot(
    project: PulumiProject, account: Account, level: str
) -> None:
    write_stack_file(project, two_chatbots())
    project.up()
    ids = ids_by_name(project)

    write_stack_file(
        project, f"chatbots:\n  support:\n    title: Support Desk\n    plan_id: {BASIC}\n"
    )
    out = project.up()

    assert "- 1 deleted" in out
    assert set(project.outputs()["chatbots"]) == {"support"}
    if level == "current":
        assert set(account.chatbots()) == {ids["support"]}
    else:
        assert set(account.chatbots()) == set(ids.values())
        assert f"chatbot {ids['sales']} stays in the account" in out


def test_out_of_band_delete_then_refresh_drops_it_and_up_recreates_it(
    project: PulumiProject, account: Account
) -> None:
    write_stack_file(project, two_chatbots())
    project.up()
    gone = ids_by_name(project)["sales"]
    account.delete_out_of_band(gone)

    refreshed = project.refresh()
    assert "- 1 deleted" in refreshed
    assert set(project.resources()) == {"support"}

    project.up()
    recreated = ids_by_name(project)["sales"]
    assert recreated != gone
    assert recreated in account.chatbots()


def test_out_of_band_rename_then_refresh_shows_the_drift(
    project: PulumiProject, account: Account, level: str
) -> None:
    write_stack_file(project, two_chatbots())
    project.up()
    support = ids_by_name(project)["support"]
    account.rename_out_of_band(support, "Renamed By Hand")

    refreshed = project.refresh()

    assert "~ 1 updated" in refreshed
    assert project.resources()["support"]["outputs"]["title"] == "Renamed By Hand"
    preview = project.preview()
    assert "Renamed By Hand" in preview and "Support Desk" in preview
    if level == "current":
        project.up()
        assert account.chatbots()[support]["title"] == "Support Desk"


def test_import_adopts_an_existing_chatbot_without_creating_one(
    project: PulumiProject, account: Account
) -> None:
    existing = account.create("Made By Hand")
    write_stack_file(
        project,
        f"chatbots:\n  legacy:\n    title: Made By Hand\n    plan_id: {BASIC}\n"
        f"    import: {existing}\n",
    )
    posts = len(account.requests("POST"))

    project.up()

    outputs = project.outputs(show_secrets=True)
    assert outputs["chatbots"]["legacy"]["id"] == existing
    assert outputs["api_keys"]["legacy"] == account.chatbots()[existing]["api_key"]
    assert len(account.requests("POST")) == posts
    assert len(account.chatbots()) == 1
    project.up("--expect-no-changes")


def test_import_of_an_unknown_id_fails_and_creates_nothing(
    project: PulumiProject, account: Account
) -> None:
    write_stack_file(
        project,
        f"chatbots:\n  legacy:\n    title: Ghost\n    plan_id: {BASIC}\n"
        "    import: 00000000-0000-4000-8000-000000000000\n",
    )
    failed = project.up(ok=False)
    assert "chatbot 00000000-0000-4000-8000-000000000000 is not in this CaiGunn account" in failed
    assert account.requests("POST") == []
    assert account.chatbots() == {}


def test_a_create_that_fails_after_committing_says_how_to_adopt_the_orphan(
    project: PulumiProject, account: Account
) -> None:
    support = f"chatbots:\n  support:\n    title: Support Desk\n    plan_id: {BASIC}\n"
    account.set_knobs(
        script=[{"operation": "create_chatbot", "answer": "status", "status": 500, "commit": True}]
    )
    write_stack_file(project, support)

    failed = project.up(ok=False)

    assert "CaiGunn may have created the chatbot 'Support Desk' all the same" in failed
    [orphan] = account.chatbots()
    # Following the advice adopts the orphan: one chatbot, one POST in all.
    write_stack_file(project, support + f"    import: {orphan}\n")
    project.up()
    assert ids_by_name(project) == {"support": orphan}
    assert list(account.chatbots()) == [orphan]
    assert len(account.requests("POST")) == 1


@pytest.mark.parametrize("level", ["current"])
def test_destroy_leaves_the_account_as_it_was(project: PulumiProject, account: Account) -> None:
    existing = account.create("Not Ours")
    before = account.chatbots()
    write_stack_file(project, two_chatbots())
    project.up()
    assert len(account.chatbots()) == 3

    project.destroy()

    assert account.chatbots() == before
    assert project.outputs() == {}
    assert existing in account.chatbots()


def test_state_holds_no_api_key_or_token_in_plain_text(
    project: PulumiProject, account: Account
) -> None:
    write_stack_file(project, two_chatbots())
    project.up()
    project.refresh()

    state = project.export_text()
    config = (project.workdir / f"Pulumi.{project.stack}.yaml").read_text()
    api_keys = [bot["api_key"] for bot in account.chatbots().values()]
    assert len(api_keys) == 2
    for text in (state, config):
        assert TOKEN not in text
        for api_key in api_keys:
            assert api_key not in text
    assert state.count('"4dabf18193072939515e22adb298388d"') >= 2  # the secret signature


def test_bad_stack_file_fails_with_file_line_and_field_and_creates_nothing(
    project: PulumiProject, account: Account
) -> None:
    write_stack_file(
        project, "chatbots:\n  support:\n    title: Support\n    plan-id: not-a-uuid\n"
    )
    failed = project.up(ok=False)

    assert "stacks/e2e.yaml:4: chatbots.support: unknown key 'plan-id'" in failed
    assert "Traceback" not in failed
    assert account.requests() == []


def test_wrong_token_fails_with_advice_and_never_shows_the_token(
    project: PulumiProject, account: Account
) -> None:
    write_stack_file(project, two_chatbots())
    project.config_set("caigunn:accessToken", "wrong-token-5d1e", secret=True)

    failed = project.up(ok=False)

    assert "CaiGunn refused the access token" in failed
    assert "caigunn:accessToken" in failed
    assert "wrong-token-5d1e" not in failed
    assert account.chatbots() == {}
