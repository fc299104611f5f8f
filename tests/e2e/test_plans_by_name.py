"""Plans by name (issue 12) and what preview says of an adoption, on the real engine."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import entry, write_stack_file
from tests.e2e.pulumi_cli import PulumiProject
from tests.support import PRO, Admin


def named(plan: str) -> str:
    return f"chatbots:\n  support:\n    title: Support\n    plan: {plan}\n"


@pytest.mark.parametrize("level", ["current"])
def test_a_plan_name_is_resolved_once_and_outputs_keep_reporting_plan_id(
    project: PulumiProject, admin: Admin
) -> None:
    write_stack_file(project, named("pro"))  # names match whatever their case

    project.up()

    [bot] = admin.chatbots().values()
    assert bot["plan_id"] == PRO
    assert project.outputs()["chatbots"]["support"]["plan_id"] == PRO
    project.up("--expect-no-changes")


@pytest.mark.parametrize("level", ["current"])
def test_an_unknown_plan_name_fails_at_preview_naming_the_entry_line_and_plans(
    project: PulumiProject, admin: Admin
) -> None:
    write_stack_file(project, named("Platinum"))
    admin.clear_requests()

    output = project.run("preview", ok=False).stdout

    assert (
        "stacks/e2e.yaml:4: chatbots.support.plan: no plan named 'Platinum' in this CaiGunn "
        "account (its plans: Basic, Enterprise, Pro)"
    ) in output
    assert "Traceback" not in output
    assert {r["method"] for r in admin.requests()} == {"GET"}


@pytest.mark.parametrize("level", ["seed"])
def test_at_the_seed_level_a_plan_name_says_plan_id_works_everywhere(
    project: PulumiProject, admin: Admin
) -> None:
    write_stack_file(project, named("Pro"))
    admin.clear_requests()

    output = project.run("preview", ok=False).stdout

    assert (
        "stacks/e2e.yaml:4: chatbots.support.plan: plan names need the current CaiGunn API, "
        "which lists plans; this one does not, so give the plan's id as plan_id, which works "
        "everywhere"
    ) in output
    assert {r["method"] for r in admin.requests()} == {"GET"}


def test_preview_says_an_import_adopts_and_creates_nothing(
    project: PulumiProject, admin: Admin
) -> None:
    existing = admin.create("Made By Hand")
    write_stack_file(project, "chatbots:\n" + entry("legacy", "Made By Hand", import_=existing))

    output = project.run("preview").stdout

    assert f"chatbot {existing} will be adopted (import:); nothing is created" in output
