"""`token refresh` and the EXPIRES column: the token never shown, the period end marked."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from caigunn_provider.cli import token as token_command
from caigunn_provider.cli import workspace as workspace_module
from caigunn_provider.cli.workspace import Workspace
from tests.support import BASIC, TOKEN, Admin
from tests.unit.cli_harness import Cli
from tests.unit.loopback import loopback, send

REFRESH = "/api/external/user/token/refresh"
NEW_TOKEN = "renewed-token-0123456789abcdef"

pytestmark = pytest.mark.parametrize("level", ["current"])


def refresh_calls(admin: Admin) -> list[dict[str, object]]:
    return [r for r in admin.requests("GET") if r["path"] == REFRESH]


def test_a_token_from_the_environment_is_not_refreshed_without_print(
    cli: Cli, admin: Admin
) -> None:
    result = cli("token", "refresh")

    assert result.status == 1 and result.out == ""
    assert result.err == (
        "error: The access token in use came from the CAIGUNN_ACCESS_TOKEN environment variable "
        "(the stack's config sets no caigunn:accessToken), so there is no stack config to write "
        "the new one to.\nRun `python -m caigunn_provider token refresh --print` and put its "
        "output where CAIGUNN_ACCESS_TOKEN comes from (a CI secret store, say); or set the token "
        "in the stack's config (`pulumi config set --secret caigunn:accessToken <token>`) and run "
        "this again. Nothing was asked of CaiGunn.\n"
    )
    assert refresh_calls(admin) == []


def test_print_writes_the_token_alone_to_stdout_and_says_what_to_do_on_stderr(
    cli: Cli, admin: Admin
) -> None:
    result = cli("token", "refresh", "--print", "--expires", "2099-01-31")

    assert result.status == 0
    # The emulator issues a new token and retires the old one; the line holds the new one alone.
    [new_token] = result.out.splitlines()
    assert result.out == f"{new_token}\n" and new_token != TOKEN
    assert admin.call("GET", "/api/external/user/plan", token=TOKEN).status_code == 401
    assert admin.call("GET", "/api/external/user/plan", token=new_token).status_code == 200
    assert TOKEN not in result.err
    assert "replace the value of CAIGUNN_ACCESS_TOKEN with it" in result.err
    assert "asked to be valid until 2099-01-31 (CaiGunn did not confirm it)" in result.err
    assert [call["query"] for call in refresh_calls(admin)] == [{"expired_date": "2099-01-31"}]


def test_a_token_from_config_is_written_as_a_secret_through_stdin_never_argv(
    cli: Cli, admin: Admin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = {"caigunn:accessToken": TOKEN, "caigunn:apiUrl": admin.base_url}
    monkeypatch.setattr(
        token_command,
        "open_workspace",
        lambda stack: Workspace(root=tmp_path, has_project=True, stack="dev", config=config),
    )
    ran: list[tuple[tuple[str, ...], str | None]] = []

    def fake_pulumi(root: Path, *args: str, stdin: str | None = None) -> object:
        ran.append((args, stdin))
        return subprocess.CompletedProcess(args, 0, "", "")

    monkeypatch.setattr(workspace_module, "run_pulumi", fake_pulumi)
    result = cli("token", "refresh")

    assert result.status == 0, result.err
    # The emulator issues a new token (and retires TOKEN): it goes to pulumi on stdin alone.
    [(args, new_token)] = ran
    assert args == ("config", "set", "--secret", "caigunn:accessToken", "--stack", "dev")
    assert new_token and new_token != TOKEN
    assert result.out == (
        "Wrote the new access token to the config of stack dev (caigunn:accessToken, a secret). "
        "CaiGunn did not say until when it is valid.\n"
        "The next `pulumi up` uses it; the old token may no longer be accepted.\n"
    )
    assert TOKEN not in result.out + result.err and new_token not in result.out + result.err


def test_a_failed_write_says_the_token_was_issued_and_never_shows_it(
    cli: Cli, admin: Admin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = {"caigunn:accessToken": TOKEN, "caigunn:apiUrl": admin.base_url}
    monkeypatch.setattr(
        token_command,
        "open_workspace",
        lambda stack: Workspace(root=tmp_path, has_project=True, stack="dev", config=config),
    )
    monkeypatch.setattr(
        workspace_module,
        "run_pulumi",
        lambda root, *args, stdin=None: subprocess.CompletedProcess(
            args, 255, "", "error: incorrect passphrase"
        ),
    )

    result = cli("token", "refresh")

    assert result.status == 1
    assert result.err.startswith(
        "error: CaiGunn issued a new token, but it could not be stored: `pulumi config set "
        "--secret caigunn:accessToken` failed for stack 'dev': incorrect passphrase\n"
    )
    assert TOKEN not in result.out + result.err


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--expires", "31/01/2099"], "argument --expires: not a date YYYY-MM-DD: '31/01/2099'"),
        (["--print", "--json"], "--print and --json cannot be combined"),
        (["--nope"], "unrecognized arguments: --nope"),
    ],
)
def test_a_wrong_token_command_line_exits_2(cli: Cli, args: list[str], complaint: str) -> None:
    result = cli("token", "refresh", *args)
    assert result.status == 2 and complaint in result.err


def test_an_expiry_in_the_past_is_refused_before_asking(cli: Cli, admin: Admin) -> None:
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    result = cli("token", "refresh", "--print", "--expires", yesterday)
    assert (result.status, result.out) == (1, "")
    assert result.err == f"error: --expires {yesterday} is not in the future.\n"
    assert refresh_calls(admin) == []


# --- EXPIRES in `chatbots`, on a server that gives plan periods ----------------------------------


def _periods() -> dict[str, str]:
    """{chatbot id: its period's end}: in 90 days, in 3, 2 days ago, and not a date."""
    now = datetime.now(UTC)
    return {
        str(uuid.uuid4()): (now + timedelta(days=90)).isoformat(),
        str(uuid.uuid4()): (now + timedelta(days=3)).isoformat(),
        str(uuid.uuid4()): (now - timedelta(days=2)).isoformat(),
        str(uuid.uuid4()): "not a date",
    }


def _account_with(ends: dict[str, str]) -> Callable[[BaseHTTPRequestHandler], None]:
    """A current-level server whose chatbots have these period ends."""
    ids = list(ends)

    def account(handler: BaseHTTPRequestHandler) -> None:
        path, _, query = handler.path.partition("?")
        asked = {key: int(value[0]) for key, value in parse_qs(query).items()}
        page = slice(asked.get("offset", 0), asked.get("offset", 0) + asked.get("limit", 30))
        if path.endswith("/plan"):
            body: object = {"plans": [{"id": BASIC, "title": "Basic"}][page]}
        elif path.endswith("/chatbot"):
            rows = [{"id": i, "title": f"bot {n}", "api_key": "k"} for n, i in enumerate(ids)]
            body = {"chatbots": rows[page]}
        else:
            chatbot_id = path.rsplit("/", 1)[-1]
            body = {
                "id": chatbot_id,
                "title": f"bot {ids.index(chatbot_id)}",
                "plan_id": BASIC,
                "period_end_at": ends[chatbot_id],
            }
        send(handler, 200, json.dumps(body).encode())

    return account


def test_chatbots_marks_periods_within_the_expiry_warning_days_of_the_stack(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    ends = _periods()
    ids = list(ends)
    monkeypatch.setenv("CAIGUNN_EXPIRY_WARNING_DAYS", "120")

    with loopback(_account_with(ends)) as url:
        monkeypatch.setenv("CAIGUNN_API_URL", url)
        table = cli("chatbots")
        listed = cli("chatbots", "--json")

    assert table.status == 0, table.err
    assert "! 3 plan periods end within 120 days or have ended" in table.out
    rows = {row["id"]: row for row in listed.json()["chatbots"]}
    assert [rows[i]["expires_soon"] for i in ids] == [True, True, True, False]


def test_chatbots_shows_each_period_end_and_marks_those_ending_soon(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    ends = _periods()
    ids = list(ends)
    account = _account_with(ends)

    with loopback(account) as url:
        monkeypatch.setenv("CAIGUNN_API_URL", url)
        table = cli("chatbots")
        listed = cli("chatbots", "--json")

    day = [datetime.fromisoformat(ends[i]).date().isoformat() for i in ids[:3]]
    assert table.status == 0, table.err
    lines = table.out.splitlines()
    assert lines[0].split() == ["ID", "TITLE", "PLAN", "EXPIRES", "MANAGED", "BY"]
    assert f"  {day[0]}  " in lines[1] and "!" not in lines[1]
    assert f"  {day[1]} !  " in lines[2]
    assert f"  {day[2]} ! ended  " in lines[3]
    assert lines[4].split()[4] == "unmanaged"  # a malformed period end is shown blank
    assert (
        "! 2 plan periods end within 14 days or have ended: renew in the CaiGunn console, or the "
        "chatbot stops answering."
    ) in lines
    rows = {row["id"]: row for row in listed.json()["chatbots"]}
    assert [rows[i]["expires_soon"] for i in ids] == [False, True, True, False]
    assert rows[ids[3]]["expires_at"] is None
    assert datetime.fromisoformat(rows[ids[1]]["expires_at"]) == datetime.fromisoformat(
        ends[ids[1]]
    )
