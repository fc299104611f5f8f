"""A stop before anything changes reads as its message, never as a crash (issue 23, item 1).

The program reports the error itself and exits with the language host's "already reported"
code, so the engine adds no "an unhandled error occurred" line; the command still fails.
"""

from __future__ import annotations

import subprocess

import pytest

from tests.e2e.conftest import write_stack_file
from tests.e2e.pulumi_cli import PulumiProject
from tests.support import BASIC, Admin

COMMANDS = {
    "preview": ["preview"],
    "up": ["up", "--yes"],
    "up --skip-preview": ["up", "--yes", "--skip-preview"],
}
MISINDENTED = f"chatbots:\n  support:\n    title: Support Desk\n      plan_id: {BASIC}\n"


def stopped(project: PulumiProject, command: str) -> subprocess.CompletedProcess[str]:
    return project.run(*COMMANDS[command], ok=None)


def assert_clean_stop(done: subprocess.CompletedProcess[str], *message: str) -> None:
    everything = done.stdout + done.stderr
    assert done.returncode != 0, everything
    for line in message:
        assert line in done.stdout, everything
    assert "unhandled error" not in everything
    assert "exited with non-zero exit code" not in everything
    assert "Traceback" not in everything


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_stack_file_error_stops_with_its_message_and_no_unhandled_error(
    project: PulumiProject, admin: Admin, command: str
) -> None:
    write_stack_file(project, MISINDENTED)
    admin.clear_requests()

    done = stopped(project, command)

    assert_clean_stop(
        done,
        "error: invalid stack file:",
        "stacks/e2e.yaml:4: invalid YAML: this line is indented more than the key above it "
        "(`title`, line 3), which already has a value; indent it as much as `title`",
        f"4 |       plan_id: {BASIC}",
    )
    assert admin.requests() == []
    assert project.resources() == {}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_refused_token_stops_with_its_message_and_no_unhandled_error(
    project: PulumiProject, admin: Admin, command: str
) -> None:
    write_stack_file(project, f"chatbots:\n  support:\n    title: Support\n    plan_id: {BASIC}\n")
    project.config_set("caigunn:accessToken", "wrong-token-5d1e", secret=True)
    admin.clear_requests()

    done = stopped(project, command)

    assert_clean_stop(
        done,
        "error: Stopped before changing anything:",
        "CaiGunn refused the access token",
    )
    assert [r for r in admin.requests() if r["method"] != "GET"] == []
    assert project.resources() == {}
