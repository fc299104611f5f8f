"""The command line against the in-process emulator: tables, --json, errors and exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from tests.support import BASIC, ENTERPRISE, PRO, Admin
from tests.unit.cli_harness import Cli, Result, stack_file

BAD_TOKEN = "wrong-token-5ca1ab1e"
SET_TOKEN = (
    "Set it with `pulumi config set --secret caigunn:accessToken <token>` "
    "or the CAIGUNN_ACCESS_TOKEN environment variable."
)
# The CLI tests set the token in the environment: the advice names that source.
TOKEN_FROM_ENV = (
    "The token came from the CAIGUNN_ACCESS_TOKEN environment variable (the stack's config sets "
    "no caigunn:accessToken): set a valid one there, or with `pulumi config set --secret "
    "caigunn:accessToken <token>`, which wins over the environment."
)
PLANS_TABLE = f"""\
ID                                    NAME        CHARACTERS   CRAWLS  TRAININGS  PRICE
{BASIC}  Basic       1,000,000    10      20         0
{PRO}  Pro         10,000,000   100     200        49
{ENTERPRISE}  Enterprise  100,000,000  1,000   2,000      499
"""


# --- plans ------------------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["current"])
def test_plans_lists_the_catalogue_as_a_table(cli: Cli) -> None:
    assert cli("plans") == Result(0, PLANS_TABLE, "")


@pytest.mark.parametrize("level", ["current"])
def test_plans_json_lists_ids_names_limits_and_prices(cli: Cli) -> None:
    result = cli("plans", "--json")

    assert result.status == 0
    assert result.json() == {
        "plans": [
            {
                "id": plan_id,
                "name": name,
                "character_limit": characters,
                "crawler_limit": crawls,
                "training_limit": trainings,
                "price": price,
            }
            for plan_id, name, characters, crawls, trainings, price in (
                (BASIC, "Basic", 1_000_000, 10, 20, 0.0),
                (PRO, "Pro", 10_000_000, 100, 200, 49.0),
                (ENTERPRISE, "Enterprise", 100_000_000, 1_000, 2_000, 499.0),
            )
        ]
    }


@pytest.mark.parametrize("level", ["seed"])
def test_plans_at_the_seed_level_says_there_is_no_plan_list(cli: Cli, admin: Admin) -> None:
    result = cli("plans")

    assert result == Result(
        1,
        "",
        f"error: the CaiGunn API at {admin.base_url} does not list plans: it offers only the "
        "original chatbot calls (list and create).\n"
        "Take plan ids from the CaiGunn console; `plan_id` works with every CaiGunn API.\n",
    )


# --- chatbots ---------------------------------------------------------------------------------


def period_end(admin: Admin, chatbot_id: str) -> str:
    """The chatbot's plan period end as its GET answers it (ISO 8601)."""
    answer = admin.call("GET", f"/api/external/user/chatbot/{chatbot_id}").json()
    return str(answer["period_end_at"])


@pytest.mark.parametrize("level", ["current"])
def test_chatbots_lists_every_chatbot_with_its_plan_name(cli: Cli, admin: Admin) -> None:
    desk = admin.create("Support Desk", BASIC)
    wide = admin.create("客服", ENTERPRISE)

    ends = {bot: period_end(admin, bot)[:10] for bot in (desk, wide)}

    result = cli("chatbots")

    # The CJK title takes four columns, so the columns after it still line up.
    assert result == Result(
        0,
        "ID                                    TITLE         PLAN        EXPIRES     MANAGED BY\n"
        f"{desk}  Support Desk  Basic       {ends[desk]}  unmanaged\n"
        f"{wide}  客服          Enterprise  {ends[wide]}  unmanaged\n"
        "\n2 chatbots: 0 managed, 2 unmanaged.\n",
        "note: no Pulumi stack is selected, so no chatbot is shown as managed (pass --stack)\n",
    )


@pytest.mark.parametrize("level", ["seed"])
def test_chatbots_at_the_seed_level_says_plans_are_not_listed(cli: Cli, admin: Admin) -> None:
    desk = admin.create("Support Desk", BASIC)

    result = cli("chatbots")

    assert result.status == 0
    assert result.out == (
        "ID                                    TITLE         PLAN  EXPIRES  MANAGED BY\n"
        f"{desk}  Support Desk  -              unmanaged\n"
        "\n1 chatbot: 0 managed, 1 unmanaged.\n"
        "Plans and expiry are not shown: this CaiGunn API does not list them.\n"
    )


def test_chatbots_json_gives_every_field_and_no_api_key(cli: Cli, admin: Admin, level: str) -> None:
    desk = admin.create("Support Desk", PRO)

    result = cli("chatbots", "--json")

    known = level == "current"
    assert result.status == 0
    ends = period_end(admin, desk) if known else None
    listed = result.json()
    expires = listed["chatbots"][0].pop("expires_at")
    assert (expires and datetime.fromisoformat(expires)) == (ends and datetime.fromisoformat(ends))
    assert listed == {
        "stack": None,
        "chatbots": [
            {
                "id": desk,
                "title": "Support Desk",
                "plan_id": PRO if known else None,
                "plan": "Pro" if known else None,
                "expires_soon": False,
                "managed_by": None,
                "managed_from": None,
                "managed_by_stack": None,
                "managers": [],
            }
        ],
        "unread_stacks": [],
    }
    assert admin.chatbots()[desk]["api_key"] not in result.out


def test_chatbots_names_the_entries_that_import_them_in_the_stack_file(
    cli: Cli, admin: Admin, tmp_path: Path
) -> None:
    legacy, other = admin.create("Legacy"), admin.create("Other")
    stack_file(tmp_path).parent.mkdir()
    stack_file(tmp_path).write_text(
        f"chatbots:\n  legacy:\n    title: Legacy\n    plan_id: {BASIC}\n    import: {legacy}\n"
    )

    result = cli("chatbots", "--stack", "dev", "--json")

    managers = {
        row["id"]: (row["managed_by"], row["managed_from"]) for row in result.json()["chatbots"]
    }
    assert managers == {legacy: ("legacy", "stack file"), other: (None, None)}
    table = cli("chatbots", "--stack", "dev").out
    assert f"{legacy}  Legacy  " in table and table.splitlines()[1].endswith(
        "legacy (import: on next up)"
    )
    assert "2 chatbots: 1 managed by stack dev, 1 unmanaged." in table


def test_an_empty_account_is_said_in_words_and_in_json(cli: Cli) -> None:
    assert cli("chatbots").out == "This CaiGunn account has no chatbots.\n"
    assert cli("chatbots", "--json").json() == {
        "stack": None,
        "chatbots": [],
        "unread_stacks": [],
    }
    assert cli("adopt", "--stack", "dev", *_plan_flag(cli)).out == (
        "Every chatbot is managed by stack dev: nothing to adopt.\n"
    )


def _plan_flag(cli: Cli) -> list[str]:
    # adopt at the seed level needs --plan-id; the current level refuses it.
    seed = cli("plans").status == 1
    return ["--plan-id", BASIC] if seed else []


@pytest.mark.parametrize(
    "command", [["plans"], ["chatbots"], ["chatbots", "--json"], ["adopt", "--stack", "dev"]]
)
def test_a_refused_token_is_one_clear_error_that_never_shows_the_token(
    cli: Cli, admin: Admin, command: list[str], level: str
) -> None:
    admin.create("Support Desk")

    result = cli(*command, token=BAD_TOKEN)

    route = "plan" if level == "current" else "chatbot"
    assert result.status == 1
    assert result.out == ""
    assert result.err == (
        f"error: CaiGunn refused the access token (GET {admin.base_url}/api/external/user/"
        f"{route} answered 401: Invalid caigunn-access-token).\n{TOKEN_FROM_ENV}\n"
    )
    assert BAD_TOKEN not in result.out + result.err


@pytest.mark.parametrize("level", ["current"])
def test_a_missing_token_says_how_to_set_it(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    result = cli("plans", token="")

    assert result == Result(1, "", f"error: No CaiGunn access token is set.\n{SET_TOKEN}\n")


@pytest.mark.parametrize("level", ["current"])
def test_an_unreachable_api_is_named_with_what_to_check(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAIGUNN_API_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("CAIGUNN_REQUEST_TIMEOUT", "2")

    result = cli("chatbots")

    assert result.status == 1
    # The same words as `pulumi up`'s pre-flight: the command line checks the account with it.
    assert result.err.startswith(
        "error: Could not reach the CaiGunn API at http://127.0.0.1:9 (GET http://127.0.0.1:9"
    )
    assert result.err.endswith(
        "The URL came from the CAIGUNN_API_URL environment variable (the stack's config sets no "
        "caigunn:apiUrl): check it and the network; nothing was changed.\n"
    )


def test_progress_is_shown_on_stderr_while_a_large_account_is_paged(
    cli: Cli, admin: Admin, level: str
) -> None:
    admin.set_knobs(max_limit=30)
    for number in range(75):
        admin.create(f"bot {number}")

    result = cli("chatbots", "--json", "--progress")

    assert len(result.json()["chatbots"]) == 75
    lines = result.err.splitlines()
    listed = [line for line in lines if line.startswith("reading the chatbot list: ")]
    assert listed[0] == "reading the chatbot list: 30 so far"
    assert listed[-1] == "reading the chatbot list: 75 so far"
    plans = [line for line in lines if line.startswith("reading each chatbot's plan: ")]
    assert plans[-1:] == (["reading each chatbot's plan: 75 of 75"] if level == "current" else [])


def test_no_progress_is_shown_off_a_terminal_unless_asked(cli: Cli, admin: Admin) -> None:
    admin.create("Support Desk")

    assert "reading" not in cli("chatbots").err
    asked = cli("adopt", "--stack", "dev", "--progress", *_plan_flag(cli))
    assert "reading the chatbot list: 1 so far\n" in asked.err
    assert "reading" not in asked.out


# --- the command line itself ------------------------------------------------------------------


@pytest.mark.parametrize("level", ["current"])
@pytest.mark.parametrize("command", ["plans", "chatbots", "adopt", "knowledge"])
def test_every_command_has_help_with_an_example_and_the_exit_codes(cli: Cli, command: str) -> None:
    result = cli(command, "--help")

    assert result.status == 0
    assert f"example:\n  python -m caigunn_provider {command}" in result.out
    assert "exit status:\n  0  done\n  1  CaiGunn refused or failed" in result.out
    assert "  2  the command line is wrong" in result.out


@pytest.mark.parametrize("level", ["current"])
@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["plans", "--nope"], "unrecognized arguments: --nope"),
        (["adopt", "--plan-id", "basic"], "argument --plan-id: not a UUID: 'basic'"),
        (["chatbot"], "argument command: invalid choice: 'chatbot'"),
    ],
)
def test_a_wrong_command_line_exits_2(cli: Cli, args: list[str], complaint: str) -> None:
    result = cli(*args)

    assert result.status == 2
    assert complaint in result.err


@pytest.mark.parametrize("level", ["current"])
def test_a_real_process_prints_no_traceback_and_exits_1_on_a_refused_token(
    admin: Admin, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAIGUNN_", "PULUMI_"))}
    env.update(CAIGUNN_API_URL=admin.base_url, CAIGUNN_ACCESS_TOKEN=BAD_TOKEN)

    done = subprocess.run(
        [sys.executable, "-m", "caigunn_provider", "plans"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("error: CaiGunn refused the access token (GET ")
    assert "Traceback" not in done.stderr and BAD_TOKEN not in done.stderr
