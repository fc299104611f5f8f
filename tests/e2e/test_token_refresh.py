"""The access token's clock on the real engine (issue 21): `token refresh` from the command line,
the environment-variable case, and a token that expires between the pre-flight and a write."""

from __future__ import annotations

import json
import subprocess
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.conftest import entry, write_stack_file
from tests.e2e.pulumi_cli import PULUMI, PulumiProject
from tests.support import CHATBOT_PATH, Admin

REFUSED_MID_RUN = "CaiGunn refused the access token after this run's checks had passed"
PLAN_PATH = "/api/external/user/plan"
RENEW = "renew it with `python -m caigunn_provider token refresh`, then run `pulumi up` again."


@pytest.mark.parametrize("level", ["current"])
def test_token_refresh_replaces_the_stacks_secret_and_the_next_up_runs_with_the_new_token(
    project: PulumiProject, admin: Admin
) -> None:
    write_stack_file(project, "chatbots:\n" + entry("support", "Support"))
    project.up()
    old = admin.token

    done = project.cli("token", "refresh", "--expires", "2099-01-01")

    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "Wrote the new access token to the config of stack e2e (caigunn:accessToken, a secret). "
        "It was asked to be valid until 2099-01-01 (CaiGunn did not confirm it).\n"
        "The next `pulumi up` uses it; the old token may no longer be accepted.\n"
    )
    new = admin.current_token()
    assert new != old and new not in done.stdout + done.stderr
    # Stored as `pulumi config set --secret` stores it: encrypted in Pulumi.e2e.yaml.
    assert project.run("config", "get", "caigunn:accessToken").stdout.strip() == new
    stack_config = (project.workdir / "Pulumi.e2e.yaml").read_text()
    assert "secure:" in stack_config and new not in stack_config
    # The emulator refuses the old token from now on, so an up that succeeds used the new one.
    assert admin.call("GET", CHATBOT_PATH, token=old).status_code == 401
    admin.clear_requests()
    write_stack_file(project, "chatbots:\n" + entry("support", "Support") + entry("sales", "Sales"))
    assert project.outcome("up").changes == {"create": 1, "same": 2}
    assert {entry["status"] for entry in admin.requests()} == {200}


@pytest.mark.parametrize("level", ["current"])
def test_a_token_from_the_environment_is_not_refreshed_into_config_and_print_says_what_to_do(
    project: PulumiProject, admin: Admin
) -> None:
    project.run("config", "rm", "caigunn:accessToken")
    project.env["CAIGUNN_ACCESS_TOKEN"] = admin.token

    refused = project.cli("token", "refresh")

    assert refused.returncode == 1
    assert "came from the CAIGUNN_ACCESS_TOKEN environment variable" in refused.stderr
    assert "token refresh --print" in refused.stderr
    assert "Nothing was asked of CaiGunn." in refused.stderr
    assert admin.current_token() == admin.token  # nothing was refreshed

    printed = project.cli("token", "refresh", "--print")

    assert printed.returncode == 0, printed.stderr
    new = admin.current_token()
    assert printed.stdout == new + "\n"  # alone on stdout, for a secret store
    assert "replace the value of CAIGUNN_ACCESS_TOKEN with it" in printed.stderr
    assert new not in printed.stderr
    assert "caigunn:accessToken" not in project.run("config", "--json").stdout
    # Put where the variable comes from, the new token works.
    project.env["CAIGUNN_ACCESS_TOKEN"] = new
    write_stack_file(project, "chatbots:\n" + entry("support", "Support"))
    assert project.outcome("up").changes == {"create": 2}


def error_messages(stdout: str) -> list[str]:
    """The error diagnostics of `pulumi up --json`'s event stream."""
    errors = []
    for line in stdout.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        diagnostic = event.get("diagnosticEvent") or {}
        if diagnostic.get("severity") == "error":
            errors.append(str(diagnostic["message"]))
    return errors


OTHERS = ["Someone else's 1", "Someone else's 2"]


@pytest.mark.parametrize("level", ["current"])
def test_a_token_that_expires_between_the_preflight_and_the_create_is_said_once_and_writes_nothing(
    project: PulumiProject, admin: Admin
) -> None:
    """The pre-flight passes with a valid token. Then the program scans the chatbot list for
    the create's check (two pages side by side, both needed: the account holds two chatbots of
    someone else's, so the first page alone cannot tell its end; kinds/chatbot/prescan.py), and
    the provider's check waits for that scan before the create posts. The pre-flight's list read
    arms a `hang` for the next list read, one of the scan's pages, which is served once its token
    was accepted; while it is held the token expires (`token_expires_at`), so the requests the
    provider sends after it are refused: the capability probe its check sends, and the create's
    POST where the probe's refusal has not stopped the create first. (A plan request cannot be
    the one held: the pre-flight and the check each ask for plans, in no fixed order.)"""
    for title in OTHERS:
        admin.create(title)
    write_stack_file(project, "chatbots:\n" + entry("support", "Support"))
    held = {"answer": "hang", "hang_ms": 4000, "after_operation": "get_all_chatbots"}
    admin.set_knobs(script=[{"operation": "get_all_chatbots", **held}])
    up = subprocess.Popen(
        [str(PULUMI), "up", "--yes", "--skip-preview", "--json", "--non-interactive"],
        cwd=project.workdir,
        env=project.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        # The rule is used up the moment the held request arrives (its token already accepted).
        while admin.knobs()["script"] and up.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert admin.knobs()["script"] == [], "the second list read never came"
        admin.set_knobs(token_expires_at=(datetime.now(UTC) - timedelta(seconds=1)).isoformat())
        stdout, stderr = up.communicate(timeout=240)
    finally:
        if up.poll() is None:
            up.kill()
            up.communicate()

    assert up.returncode != 0
    errors = error_messages(stdout)
    said = "".join(errors)
    # One sentence for the run: the refusal, that it came after the checks, and the way out.
    assert said.count(REFUSED_MID_RUN) == 1, errors
    assert said.count(RENEW) == 1, errors
    assert "caigunn-access-token has expired" in said
    assert "Traceback" not in stdout + stderr
    # Nothing half-done: no chatbot of the stack in the account, none in the state.
    assert sorted(bot["title"] for bot in admin.chatbots().values()) == OTHERS
    assert project.resources() == {}
    refused = [(r["method"], r["path"]) for r in admin.requests() if r["status"] == 401]
    # Refused after the pre-flight: the provider's probe and (when the probe's answer had not
    # stopped it first) the create's POST, the one write; in either order of the two, nothing.
    assert refused and set(refused) <= {("POST", CHATBOT_PATH), ("GET", PLAN_PATH)}
