"""The creates' proven scan begun by the program and handed to the provider (issue 31), on the
real engine: one scan per run, the same `__prior_ids` as the provider's own scan gave, nothing of
it in the state, and a lost create beside a chatbot of the same title still ends owned once."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import entry, write_stack_file
from tests.e2e.pulumi_cli import PulumiProject
from tests.e2e.test_ownership import lose_the_next_create, script_used_up
from tests.support import CHATBOT_PATH, Admin

pytestmark = pytest.mark.e2e

TWO = "chatbots:\n" + entry("support", "Support Desk") + entry("sales", "Sales Desk")


def first_pages(admin: Admin) -> list[dict[str, Any]]:
    """The chatbot-list requests for the first page at the scan's size: one per scan."""
    return [
        r
        for r in admin.requests("GET")
        if r["path"] == CHATBOT_PATH
        and r["query"].get("offset") == "0"
        and r["query"].get("limit") != "1"
    ]


def stored_inputs(project: PulumiProject) -> dict[str, dict[str, Any]]:
    return {name: res["inputs"] for name, res in project.resources().items()}


@pytest.mark.parametrize("level", ["seed", "current"])
def test_new_chatbots_are_checked_against_one_scan_the_program_began(
    project: PulumiProject, admin: Admin
) -> None:
    # Enough chatbots for a scan of several pages, one of them already titled like an entry.
    before = admin.create("Support Desk")
    for index in range(70):
        admin.create(f"someone else's {index}")
    existing = set(admin.chatbots())
    write_stack_file(project, TWO)
    admin.clear_requests()

    project.up()

    # One proven scan in the run: the program's (a provider scan of its own would ask for the
    # first page again).
    assert len(first_pages(admin)) == 1
    inputs = stored_inputs(project)
    assert inputs["support"]["__prior_ids"] == [before]
    assert inputs["sales"]["__prior_ids"] == []
    assert all("__scan" not in record for record in inputs.values())
    owned_once_with(project, admin, extra=existing)
    project.up("--expect-no-changes")


@pytest.mark.parametrize("level", ["current"])
def test_a_lost_create_beside_a_same_titled_chatbot_is_matched_with_the_handed_prior_ids(
    project: PulumiProject, admin: Admin
) -> None:
    project.config_set("caigunn:requestTimeout", "1.5")
    before = admin.create("Support Desk")
    write_stack_file(project, "chatbots:\n" + entry("support", "Support Desk"))
    lose_the_next_create(admin, "status", status=500, commit=True)

    project.up()

    assert script_used_up(admin)
    titled = [i for i, bot in admin.chatbots().items() if bot["title"] == "Support Desk"]
    assert len(titled) == 2 and before in titled
    mine = stored_inputs(project)["support"]
    assert mine["__prior_ids"] == [before]
    assert project.resources()["support"]["id"] != before
    owned_once_with(project, admin, extra={before})


def owned_once_with(project: PulumiProject, admin: Admin, extra: set[str]) -> None:
    """Every chatbot but those the test made itself (extra) is owned by exactly one entry."""
    ids = [str(res["id"]) for res in project.resources().values()]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(admin.chatbots()) - extra
