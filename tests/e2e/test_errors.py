"""Errors a person can read (issue 10): the whole output of preview and up, for each mistake.

Each case asserts: no Python traceback; the diagnostics hold exactly the expected lines; the
cause's sentence appears once (or once per chatbot where the cause is the chatbot's own); nothing
was written; and the output stays short. Non-interactive output echoes a diagnostic's first line
in the progress rows, which is why every message opens with a line of its own.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.conftest import entry, ids_by_name, two_chatbots, write_stack_file
from tests.e2e.pulumi_cli import PulumiProject
from tests.support import PRO, UNKNOWN_PLAN, Admin

STACK = "pulumi:pulumi:Stack (caigunn-chatbots-e2e):"
SET_TOKEN = (
    "Set it with `pulumi config set --secret caigunn:accessToken <token>` or the "
    "CAIGUNN_ACCESS_TOKEN environment variable."
)
CHECK_URL = (
    "Check caigunn:apiUrl (`pulumi config set caigunn:apiUrl <url>` or CAIGUNN_API_URL) and "
    "the network; nothing was changed."
)
MAX_LINES = 25


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def diagnostics(output: str) -> dict[str, list[str]]:
    """The Diagnostics section: each resource's header and its lines, indentation removed."""
    section = output.split("\nDiagnostics:\n", 1)[1]
    section = re.split(r"\n(?:Outputs|Resources):\n", section, maxsplit=1)[0]
    blocks: dict[str, list[str]] = {}
    current = ""
    for line in section.splitlines():
        if line.startswith("  ") and not line.startswith("    "):
            current = line.strip()
            blocks[current] = []
        elif line.strip():
            blocks[current].append(line.strip())
    return blocks


def own_lines(output: str) -> list[str]:
    """The output without the engine's stack-outputs listing (the old outputs it prints as
    removed after a failed update: 14 lines for two chatbots, not ours to shorten)."""
    without = re.sub(r"\nOutputs:\n.*?\n\n", "\n", output, flags=re.S)
    return [line for line in without.splitlines() if line.strip() and not line.startswith("@")]


def failing(project: PulumiProject, command: str) -> str:
    """The output of `pulumi preview` or `pulumi up` (without its preview), which must fail."""
    args = ["up", "--yes", "--skip-preview"] if command == "up" else ["preview"]
    return project.run(*args, ok=False).stdout


def assert_readable(output: str, cause: str, times: int = 1) -> None:
    assert "Traceback" not in output
    assert output.count(cause) == times, output
    assert len(own_lines(output)) <= MAX_LINES, output


@dataclass(frozen=True)
class PreflightCase:
    setup: Callable[[PulumiProject, Admin], None]
    cause: str
    advice: str


def unset_token(project: PulumiProject, admin: Admin) -> None:
    project.run("config", "rm", "caigunn:accessToken")


PREFLIGHT = {
    "no token": PreflightCase(
        unset_token,
        "No CaiGunn access token is set.",
        SET_TOKEN,
    ),
    "empty token": PreflightCase(
        lambda p, a: p.config_set("caigunn:accessToken", "", secret=True),
        "No CaiGunn access token is set.",
        SET_TOKEN,
    ),
    "wrong token": PreflightCase(
        lambda p, a: p.config_set("caigunn:accessToken", "wrong-token-5d1e", secret=True),
        "CaiGunn refused the access token (GET {url}/api/external/user/plan answered 401: "
        "Invalid caigunn-access-token).",
        # The token was set in the stack's config: the advice names that source.
        "The token came from the stack's config (caigunn:accessToken): set a valid one with "
        "`pulumi config set --secret caigunn:accessToken <token>`.",
    ),
    "malformed url": PreflightCase(
        lambda p, a: p.config_set("caigunn:apiUrl", "htp:/caigunn"),
        "caigunn:apiUrl is not an http(s) URL such as https://caigunn-api.ap-mic.com.",
        "Set it with `pulumi config set caigunn:apiUrl <url>` or CAIGUNN_API_URL.",
    ),
    "connection refused": PreflightCase(
        lambda p, a: p.config_set("caigunn:apiUrl", f"http://127.0.0.1:{closed_port()}"),
        "Could not reach the CaiGunn API at {url} (GET {url}/api/external/user/plan: "
        "connection refused).",
        CHECK_URL,
    ),
    "unresolvable host": PreflightCase(
        lambda p, a: p.config_set("caigunn:apiUrl", "https://caigunn-nowhere.invalid"),
        "Could not reach the CaiGunn API at {url} (GET {url}/api/external/user/plan: host name "
        "'caigunn-nowhere.invalid' could not be resolved).",
        CHECK_URL,
    ),
}


@pytest.mark.parametrize("level", ["current"])
@pytest.mark.parametrize("case", list(PREFLIGHT))
@pytest.mark.parametrize("command", ["preview", "up"])
def test_a_settings_mistake_is_one_cause_and_one_advice_before_anything_is_written(
    project: PulumiProject, admin: Admin, case: str, command: str
) -> None:
    write_stack_file(project, two_chatbots())
    PREFLIGHT[case].setup(project, admin)
    url = project.run("config", "get", "caigunn:apiUrl").stdout.strip()
    cause = PREFLIGHT[case].cause.format(url=url)
    admin.clear_requests()

    output = failing(project, command)

    assert diagnostics(output) == {
        STACK: [
            "error: Stopped before changing anything:",
            cause,
            PREFLIGHT[case].advice,
        ]
    }
    assert_readable(output, cause)
    assert [r for r in admin.requests() if r["method"] != "GET"] == []
    assert project.resources() == {}


@pytest.mark.parametrize("level", ["current"])
@pytest.mark.parametrize("command", ["preview", "up"])
def test_a_plan_the_account_lacks_is_named_with_its_file_and_line(
    project: PulumiProject, admin: Admin, command: str
) -> None:
    write_stack_file(project, "chatbots:\n" + entry("support", "Support", UNKNOWN_PLAN))
    admin.clear_requests()

    output = failing(project, command)

    cause = (
        f"stacks/e2e.yaml:4: chatbots.support.plan_id: {UNKNOWN_PLAN} is not a plan of this "
        "CaiGunn account (its plans: Basic, Enterprise, Pro)"
    )
    assert diagnostics(output) == {STACK: ["error: invalid stack file:", cause]}
    assert_readable(output, cause)
    assert [r for r in admin.requests() if r["method"] != "GET"] == []


def test_a_create_that_keeps_failing_says_so_once_per_chatbot(
    project: PulumiProject, admin: Admin
) -> None:
    write_stack_file(project, two_chatbots())
    # Three unanswered attempts for each of the two chatbots, none of which takes effect.
    admin.set_knobs(script=[{"operation": "create_chatbot", "answer": "status", "times": 6}])

    output = project.run("up", "--yes", "--skip-preview", ok=False).stdout

    blocks = diagnostics(output)
    for name, title in (("support", "Support Desk"), ("sales", "Sales")):
        cause = (
            f"CaiGunn did not create the chatbot {title!r}: 3 attempts went without an answer "
            f"(the last: POST {admin.base_url}/api/external/user/chatbot answered 500: Internal "
            "Server Error), and the account shows no new chatbot with that title. Nothing was "
            "created, so `pulumi up` can simply be run again once CaiGunn answers"
        )
        header = f"pulumi-python:dynamic/caigunn:Chatbot ({name}):"
        assert blocks[header] == ["error: Could not create this chatbot:", cause]
        assert_readable(output, cause)
    assert admin.chatbots() == {}


def recorded(project: PulumiProject) -> dict[str, tuple[str, str, str]]:
    """Each resource's id, title and plan in the state (secrets are re-encrypted on every save)."""
    return {
        name: (res["id"], res["outputs"]["title"], res["outputs"]["plan_id"])
        for name, res in project.resources().items()
    }


@pytest.mark.parametrize("level", ["current"])
@pytest.mark.parametrize("command", ["preview", "up"])
def test_a_rename_of_a_chatbot_deleted_out_of_band_stops_before_anything_is_written(
    project: PulumiProject, admin: Admin, command: str
) -> None:
    write_stack_file(project, two_chatbots())
    project.up()
    before = recorded(project)
    gone = ids_by_name(project)["support"]
    admin.delete_out_of_band(gone)
    write_stack_file(project, two_chatbots(support_title="Help Centre", sales_plan=PRO))
    admin.clear_requests()

    output = failing(project, command)

    cause = (
        f"stacks/e2e.yaml:2: chatbots.support: chatbot {gone} no longer exists in CaiGunn (it was "
        "deleted outside Pulumi); run `pulumi refresh` to drop it from the state, then `pulumi up` "
        "to create it again"
    )
    assert diagnostics(output) == {STACK: ["error: Stopped before changing anything:", cause]}
    assert_readable(output, cause)
    # Nor was the other entry's change (a new plan: a replacement) begun.
    assert [r["method"] for r in admin.requests() if r["method"] != "GET"] == []
    assert recorded(project) == before

    # The advice works: refresh drops the gone chatbot, and up makes it again.
    project.refresh()
    project.config_set("caigunn:allowReplace", "sales")
    project.up()
    titles = sorted(row["title"] for row in admin.chatbots().values())
    assert titles == ["Help Centre", "Sales"]
    assert ids_by_name(project)["support"] != gone


# Loaded at start-up by every Python process of the run (sitecustomize on PYTHONPATH): in the
# provider process it makes creating a chatbot fail the way a bug would.
INJECTED_BUG = """
import caigunn_provider.kinds.chatbot.ownership

def create(*args, **kwargs):
    raise RuntimeError("injected bug")

caigunn_provider.kinds.chatbot.ownership.create = create
"""


def test_a_bug_keeps_its_traceback_and_says_where_to_report_it(
    project: PulumiProject, admin: Admin, tmp_path: Path
) -> None:
    write_stack_file(project, "chatbots:\n" + entry("support", "Support"))
    (tmp_path / "bug").mkdir()
    (tmp_path / "bug" / "sitecustomize.py").write_text(INJECTED_BUG)
    project.env["PYTHONPATH"] = str(tmp_path / "bug")

    output = project.run("up", "--yes", "--skip-preview", ok=False).stdout

    assert "Traceback (most recent call last):" in output
    assert "RuntimeError: injected bug" in output
    assert (
        "This is a bug in the CaiGunn provider (caigunn_provider), not a problem with your stack "
        "file or account: please report it with the text above (README.md, 'Reporting a bug')."
    ) in output
