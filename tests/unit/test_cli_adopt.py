"""`adopt` against the in-process emulator: what it would add, what it writes, what it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from caigunn_provider.account import Account
from caigunn_provider.capabilities import Capabilities
from caigunn_provider.cli.adopt import _plan
from caigunn_provider.client import ChatbotRow, Plan
from caigunn_provider.kinds import load_stack_file
from tests.support import BASIC, PRO, UNKNOWN_ID, Admin
from tests.unit.cli_harness import Cli, Result, stack_file

USER_FILE = f"""\
# Production chatbots. Ask #chatbots before changing a plan.
chatbots:
  support:   # the help desk
    title: Support Desk
    plan_id: {BASIC}
"""


def write_user_file(tmp_path: Path, text: str = USER_FILE) -> Path:
    path = stack_file(tmp_path)
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize("level", ["current"])
def test_adopt_shows_the_entries_it_would_add_and_writes_nothing(
    cli: Cli, admin: Admin, tmp_path: Path
) -> None:
    first, second = admin.create("Legacy Desk", PRO), admin.create("Legacy Desk", BASIC)
    path = write_user_file(tmp_path)
    posts = len(admin.requests("POST"))

    result = cli("adopt", "--stack", "dev")

    one, two = sorted([first, second])
    assert result == Result(
        0,
        "NAME           CHATBOT ID                            TITLE        PLAN\n"
        f"legacy-desk    {one}  Legacy Desk  {'Pro' if one == first else 'Basic'}\n"
        f"legacy-desk-2  {two}  Legacy Desk  {'Pro' if two == first else 'Basic'}\n"
        "\nWould add 2 entries to stacks/dev.yaml. Nothing was written: run again with --write.\n",
        "",
    )
    assert path.read_text() == USER_FILE
    assert len(admin.requests("POST")) == posts


@pytest.mark.parametrize("level", ["current"])
def test_adopt_write_appends_entries_and_keeps_the_users_text(
    cli: Cli, admin: Admin, tmp_path: Path
) -> None:
    legacy = admin.create("Legacy Desk", PRO)
    path = write_user_file(tmp_path)

    result = cli("adopt", "--stack", "dev", "--write")

    assert result.status == 0
    assert result.out.endswith(
        "\nAdded 1 entry to stacks/dev.yaml. The next `pulumi up` adopts it and creates nothing.\n"
    )
    assert path.read_text() == USER_FILE + (
        f"  legacy-desk:\n    title: Legacy Desk\n    plan_id: {PRO}  # Pro\n    import: {legacy}\n"
    )
    assert list(load_stack_file(path).section("chatbots")) == ["support", "legacy-desk"]


@pytest.mark.parametrize("level", ["current"])
def test_adopt_write_creates_a_missing_stack_file(cli: Cli, admin: Admin, tmp_path: Path) -> None:
    legacy = admin.create("Legacy Desk", BASIC)

    result = cli("adopt", "--stack", "dev", "--write", "--json")

    assert result.json() == {
        "stack": "dev",
        "stack_file": "stacks/dev.yaml",
        "program": None,
        "written": True,
        "entries": [
            {
                "name": "legacy-desk",
                "import": legacy,
                "title": "Legacy Desk",
                "plan_id": BASIC,
                "plan": "Basic",
            }
        ],
        "skipped": [],
        "managed_elsewhere": [],
        "unread_stacks": [],
    }
    assert stack_file(tmp_path).read_text() == (
        "# The chatbots of stack dev.\nchatbots:\n"
        f"  legacy-desk:\n    title: Legacy Desk\n    plan_id: {BASIC}  # Basic\n"
        f"    import: {legacy}\n"
    )


@pytest.mark.parametrize("level", ["current"])
def test_adopt_skips_chatbots_already_imported_and_names_around_existing_entries(
    cli: Cli, admin: Admin, tmp_path: Path
) -> None:
    imported, fresh = admin.create("Support Desk"), admin.create("Support")
    write_user_file(
        tmp_path,
        USER_FILE + f"  legacy:\n    title: Support Desk\n    plan_id: {BASIC}\n"
        f"    import: {imported}\n",
    )

    result = cli("adopt", "--stack", "dev", "--json")

    assert [(e["name"], e["import"]) for e in result.json()["entries"]] == [("support-2", fresh)]


@pytest.mark.parametrize("level", ["seed"])
def test_adopt_at_the_seed_level_needs_a_plan_id_and_writes_it(
    cli: Cli, admin: Admin, tmp_path: Path
) -> None:
    legacy = admin.create("Legacy Desk", PRO)

    refused = cli("adopt", "--stack", "dev", "--write")
    given = cli("adopt", "--stack", "dev", "--write", "--plan-id", PRO.upper())

    assert refused == Result(
        1,
        "",
        "error: this CaiGunn API does not say which plan a chatbot is on (it offers only the "
        "original list and create calls), and each entry needs a plan_id.\n"
        "Pass --plan-id <uuid> with the plan of the chatbots to adopt; it is written as given, "
        "since this API cannot confirm it.\n",
    )
    assert given.status == 0
    assert given.out.endswith(
        "Their plan_id is the --plan-id given: this CaiGunn API cannot confirm it.\n"
    )
    assert (
        stack_file(tmp_path)
        .read_text()
        .endswith(
            f"  legacy-desk:\n    title: Legacy Desk\n    plan_id: {PRO}\n    import: {legacy}\n"
        )
    )


@pytest.mark.parametrize("level", ["current"])
def test_adopt_refuses_a_plan_id_where_the_api_says_each_plan(cli: Cli, admin: Admin) -> None:
    admin.create("Legacy Desk")

    result = cli("adopt", "--stack", "dev", "--plan-id", BASIC)

    assert result.status == 1
    assert result.err.startswith("error: --plan-id is only for a CaiGunn API that does not list")


@pytest.mark.parametrize("level", ["current"])
def test_adopt_changes_nothing_when_the_stack_file_is_invalid(
    cli: Cli, admin: Admin, tmp_path: Path
) -> None:
    admin.create("Legacy Desk")
    path = write_user_file(tmp_path, USER_FILE.replace(BASIC, "not-a-uuid"))
    requests = len(admin.requests())

    result = cli("adopt", "--stack", "dev", "--write")

    assert result.status == 1
    assert result.err.startswith(
        "error: invalid stack file:\n"
        "stacks/dev.yaml:5: chatbots.support.plan_id: not a UUID (got 'not-a-uuid')\n"
    )
    assert path.read_text() == USER_FILE.replace(BASIC, "not-a-uuid")
    assert len(admin.requests()) == requests


@pytest.mark.parametrize("level", ["current"])
def test_a_title_no_stack_file_can_hold_is_left_out_with_the_reason(
    cli: Cli, admin: Admin, tmp_path: Path
) -> None:
    too_long, fine = admin.create("x" * 256), admin.create("Fine")

    result = cli("adopt", "--stack", "dev", "--write")

    assert result.status == 1
    assert result.err == (
        f"warning: chatbot {too_long} ({'x' * 256!r}) was left out: "
        "title: must be at most 255 characters (got 256)\n"
    )
    assert list(load_stack_file(stack_file(tmp_path)).section("chatbots")) == ["fine"]
    assert fine in stack_file(tmp_path).read_text()


@pytest.mark.parametrize("level", ["current"])
def test_adopt_without_a_stack_says_how_to_name_one(cli: Cli) -> None:
    result = cli("adopt")

    assert result == Result(
        1,
        "",
        "error: no Pulumi stack is selected, so there is no stack file to add to.\n"
        "Select one (`pulumi stack select NAME`) or pass --stack NAME.\n",
    )


@pytest.mark.parametrize("level", ["current"])
def test_adopt_fills_a_stack_file_that_holds_only_comments(
    cli: Cli, admin: Admin, tmp_path: Path
) -> None:
    legacy = admin.create("Legacy Desk")
    path = write_user_file(tmp_path, "# yaml-language-server: $schema=../schema/x.json\n")

    assert cli("adopt", "--stack", "dev", "--write").status == 0

    assert path.read_text() == (
        "# yaml-language-server: $schema=../schema/x.json\nchatbots:\n"
        f"  legacy-desk:\n    title: Legacy Desk\n    plan_id: {BASIC}  # Basic\n"
        f"    import: {legacy}\n"
    )


NAMED_FILE = """\
chatbots:
  support:
    title: Support Desk
    plan: basic   # by name, as the team writes them
"""


@pytest.mark.parametrize("level", ["current"])
def test_adopt_write_names_the_plan_when_the_file_already_names_plans(
    cli: Cli, admin: Admin, tmp_path: Path
) -> None:
    legacy, other = admin.create("Legacy Desk", PRO), admin.create("Onboarding", BASIC)
    path = write_user_file(tmp_path, NAMED_FILE)

    result = cli("adopt", "--stack", "dev", "--write")

    assert result.status == 0, result.err
    assert result.out.endswith(
        "\nAdded 2 entries to stacks/dev.yaml. "
        "The next `pulumi up` adopts them and creates nothing.\n"
    )
    assert path.read_text() == NAMED_FILE + (
        f"  legacy-desk:\n    title: Legacy Desk\n    plan: Pro\n    import: {legacy}\n"
        f"  onboarding:\n    title: Onboarding\n    plan: Basic\n    import: {other}\n"
    )
    specs = load_stack_file(path).section("chatbots")
    assert (specs["legacy-desk"].plan, specs["legacy-desk"].plan_id) == ("Pro", None)


@pytest.mark.parametrize("level", ["current"])
def test_adopt_write_keeps_plan_ids_when_the_file_uses_plan_ids(
    cli: Cli, admin: Admin, tmp_path: Path
) -> None:
    admin.create("Legacy Desk", PRO)
    path = write_user_file(tmp_path)

    assert cli("adopt", "--stack", "dev", "--write").status == 0

    added = path.read_text().removeprefix(USER_FILE)
    assert f"    plan_id: {PRO}  # Pro\n" in added
    assert "plan:" not in added


def test_a_plan_name_two_plans_share_is_written_as_its_plan_id() -> None:
    # Names match case-blind, so `plan: Pro` would be refused as ambiguous at preview.
    plans = [Plan(PRO, "Pro"), Plan(BASIC, "PRO")]
    account = Account(None, Capabilities.for_level("current"), plans)  # type: ignore[arg-type]
    rows = [ChatbotRow(id=UNKNOWN_ID, title="Desk", api_key=None, plan_id=PRO)]

    plan = _plan(account, rows, set(), None, by_name=True)

    assert [(e.plan_key, e.plan) for e in plan.entries] == [(("plan_id", PRO), "Pro")]
