"""Bring an existing account under management in three commands, on the real engine.

The README's walk-through, run as a user would: `chatbots` to see the account, `adopt --write`
to write an `import:` entry per unmanaged chatbot, `pulumi up` to adopt them. The account holds 25
chatbots made by hand, some with the same title; the stack file the user already has (one entry
written by hand, comments) must come out of it with every byte of its text kept.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from tests.e2e.pulumi_cli import VENV_BIN, PulumiProject
from tests.support import BASIC, PRO, TOKEN, Admin

# 25 chatbots, 11 titles: four are shared by 3 to 6 chatbots each, one of those is CJK.
TITLES = [
    *["Support Desk"] * 6,
    *["Sales Assistant"] * 5,
    *["FAQ: English"] * 4,
    *["客服"] * 3,
    "Onboarding",
    "HR Helper",
    "IT Helpdesk",
    "Returns & Refunds",
    "Billing",
    "Partner Portal",
    "Legacy Bot",
]
HAND_WRITTEN = """\
# Production chatbots. Every change goes through a pull request.
# The plan ids are the account's plans (see `python -m caigunn_provider plans`).
chatbots:
  legacy:   # adopted by hand before the command line existed
    title: Legacy Bot
    plan_id: {plan}
    import: {chatbot_id}
"""


def cli(project: PulumiProject, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m caigunn_provider ARGS` as a user runs it in the project folder."""
    return subprocess.run(
        [str(VENV_BIN / "python"), "-m", "caigunn_provider", *args],
        cwd=project.workdir,
        env=project.env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def cli_json(project: PulumiProject, *args: str) -> Any:
    done = cli(project, *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_an_account_of_25_hand_made_chatbots_is_adopted_in_three_commands(
    project: PulumiProject, admin: Admin, level: str
) -> None:
    # A seed-level API does not say a chatbot's plan: adopt writes the one --plan-id gives.
    seed = level == "seed"
    plans = [PRO if seed or index % 3 else BASIC for index in range(len(TITLES))]
    made = [admin.create(title, plan) for title, plan in zip(TITLES, plans, strict=True)]
    legacy = made[-1]
    stack_file = project.workdir / "stacks" / f"{project.stack}.yaml"
    original = HAND_WRITTEN.format(plan=plans[-1], chatbot_id=legacy)
    stack_file.write_text(original)

    # 1. What the account holds: the hand-written entry is named, the rest are unmanaged.
    listed = cli_json(project, "chatbots")["chatbots"]
    assert sorted(row["id"] for row in listed) == sorted(made)
    managers = {row["id"]: row["managed_by"] for row in listed}
    assert managers == {bot: "legacy" if bot == legacy else None for bot in made}

    # 2. adopt --write: an import: entry for each of the 24 others, appended to the user's text.
    flags = ["--plan-id", PRO] if seed else []
    done = cli(project, "adopt", "--write", *flags)
    assert done.returncode == 0, done.stderr
    text = stack_file.read_text()
    assert text.startswith(original)
    assert "Added 24 entries to stacks/e2e.yaml." in done.stdout

    # 3. pulumi up adopts all 25 and creates nothing.
    posts = len(admin.requests("POST"))
    project.up()
    assert len(admin.requests("POST")) == posts
    resources = project.resources()
    assert sorted(res["id"] for res in resources.values()) == sorted(made)
    assert all(res["outputs"]["adopted"] for res in resources.values())

    # Nothing more to do: a second up changes nothing, and adopt finds nothing unmanaged.
    project.up("--expect-no-changes")
    assert len(admin.requests("POST")) == posts
    assert cli(project, "adopt", *flags).stdout == (
        "Every chatbot is managed by stack e2e: nothing to adopt.\n"
    )
    listed = cli_json(project, "chatbots")["chatbots"]
    assert {row["managed_from"] for row in listed} == {"state"}
    assert {row["managed_by"] for row in listed} == set(resources)
    assert stack_file.read_text() == text


@pytest.mark.parametrize("level", ["current"])
def test_the_token_comes_from_the_stack_config_and_a_refused_one_is_never_echoed(
    project: PulumiProject, admin: Admin
) -> None:
    bad = "refused-token-0ddba11"
    assert cli(project, "plans").returncode == 0
    project.config_set("caigunn:accessToken", bad, secret=True)

    done = cli(project, "plans")

    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("error: CaiGunn refused the access token (GET ")
    assert bad not in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("level", ["current"])
def test_a_stack_whose_config_cannot_be_decrypted_is_an_error_naming_the_passphrase(
    project: PulumiProject, admin: Admin
) -> None:
    del project.env["PULUMI_CONFIG_PASSPHRASE"]

    done = cli(project, "chatbots")

    assert done.returncode == 1
    assert done.stderr.startswith("error: could not read the config of stack 'e2e': ")
    assert done.stderr.endswith(
        "Check the stack name (`pulumi stack ls`) and, for a passphrase-protected stack, "
        "PULUMI_CONFIG_PASSPHRASE.\n"
    )
    assert TOKEN not in done.stdout + done.stderr
