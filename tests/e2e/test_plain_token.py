"""A token set without --secret is warned about, once, at preview and up (issue 30, point 6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import make_project, write_stack_file
from tests.support import BASIC, Admin

pytestmark = pytest.mark.e2e

STACK = f"chatbots:\n  support:\n    title: Support Desk\n    plan_id: {BASIC}\n"
WARNING = "caigunn:accessToken is stored in plain text in Pulumi.e2e.yaml"


@pytest.mark.parametrize("level", ["current"])
def test_a_token_in_plain_config_is_warned_about_once_with_the_command_that_fixes_it(
    tmp_path: Path, admin: Admin
) -> None:
    project = make_project(tmp_path / "project", admin)
    write_stack_file(project, STACK)
    # `pulumi config set` asks for --secret or --plaintext for a key that looks secret.
    project.run("config", "set", "--plaintext", "caigunn:accessToken", admin.token)
    assert admin.token in (project.workdir / "Pulumi.e2e.yaml").read_text()

    for command in ("preview", "up"):
        said = [line.strip() for line in project.outcome(command).messages("warning")]
        assert [line for line in said if WARNING in line] == [
            f"{WARNING}, a file teams commit: encrypt it with `pulumi config set --secret "
            "caigunn:accessToken <the same token>`"
        ], command
        assert all(admin.token not in line for line in said)

    project.config_set("caigunn:accessToken", admin.token, secret=True)
    assert not [line for line in project.outcome("up").messages("warning") if WARNING in line]
