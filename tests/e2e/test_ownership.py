"""One entry is one chatbot, on the real engine: lost answers, adoption, replacement (issue 8)."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import pytest

from tests.e2e.conftest import entry, ids_by_name, write_stack_file
from tests.e2e.pulumi_cli import PulumiProject
from tests.support import BASIC, CHATBOT_PATH, PRO, Admin

SUPPORT = "chatbots:\n" + entry("support", "Support Desk")


def lose_the_next_create(admin: Admin, answer: str, **rule: Any) -> None:
    armed = admin.set_knobs(script=[{"operation": "create_chatbot", "answer": answer, **rule}])
    assert len(armed["script"]) == 1
    admin.clear_requests()


def script_used_up(admin: Admin) -> bool:
    """Whether every scripted rule has been used up: the emulator drops a rule from the knobs'
    script (GET /_emulator/knobs) only as it takes it to answer the last request it is for."""
    left: list[dict[str, Any]] = admin.knobs()["script"]
    return left == []


def answered_posts(admin: Admin) -> list[dict[str, Any]]:
    """The creates served, once every create the emulator still holds back has been answered."""
    deadline = time.monotonic() + 10
    while admin.call("GET", "/_emulator/in-flight").json()["committed_unanswered_creates"]:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    return admin.requests("POST")


def owned_once(project: PulumiProject, admin: Admin) -> None:
    """Every live chatbot is owned by exactly one resource, and every resource owns a live one."""
    owners = Counter(ids_by_name(project).values())
    assert set(owners) == set(admin.chatbots())
    assert set(owners.values()) == {1}


@pytest.mark.parametrize(
    ("answer", "rule"),
    [
        ("status", {"status": 500, "commit": True}),
        ("drop", {"commit": True}),
        ("non_json", {"commit": True}),
        ("hang", {"hang_ms": 4000, "commit": True}),
        ("hang", {"hang_ms": 4000}),
    ],
    ids=[
        "commit-then-500",
        "commit-then-drop",
        "commit-then-2xx-garbage",
        "commit-then-timeout",
        "timeout-then-late-commit",
    ],
)
def test_a_create_whose_answer_is_lost_ends_with_one_chatbot_in_the_same_run(
    project: PulumiProject, admin: Admin, answer: str, rule: dict[str, Any]
) -> None:
    project.config_set("caigunn:requestTimeout", "1.5")
    write_stack_file(project, SUPPORT)
    lose_the_next_create(admin, answer, **rule)

    project.up()

    posts = answered_posts(admin)
    # The one create was the one the rule answered: the rule is used up (a drop, garbage or a
    # hang answers 2xx in the log, their status line being the create's own; the 500 is there).
    assert script_used_up(admin)
    assert [r["status"] for r in posts] == [rule.get("status", 200)]
    assert len(admin.chatbots()) == 1
    owned_once(project, admin)
    project.up("--expect-no-changes")


def test_a_500_that_did_not_commit_is_sent_once_more(project: PulumiProject, admin: Admin) -> None:
    write_stack_file(project, SUPPORT)
    lose_the_next_create(admin, "status", status=500)

    project.up()

    assert [r["status"] for r in admin.requests("POST")] == [500, 200]
    assert len(admin.chatbots()) == 1
    owned_once(project, admin)


@pytest.mark.parametrize("level", ["seed"])
def test_a_seed_create_whose_id_lookup_fails_still_succeeds_with_one_post(
    project: PulumiProject, admin: Admin
) -> None:
    write_stack_file(project, SUPPORT)
    admin.set_knobs(
        script=[
            {
                "operation": "get_all_chatbots",
                "answer": "status",
                "status": 500,
                "times": 12,
                "after_operation": "create_chatbot",
            }
        ]
    )
    admin.clear_requests()

    project.up()

    assert len(admin.requests("POST")) == 1
    # The lookups of the new chatbot failed as scripted, all 12 of them, and were tried again.
    assert script_used_up(admin)
    lists = [r["status"] for r in admin.requests("GET") if r["path"] == CHATBOT_PATH]
    assert lists.count(500) == 12 and lists[-1] == 200
    assert len(admin.chatbots()) == 1
    owned_once(project, admin)


def test_two_entries_alike_with_lost_answers_each_own_one_chatbot(
    project: PulumiProject, admin: Admin
) -> None:
    write_stack_file(project, "chatbots:\n" + entry("first", "Twin") + entry("second", "Twin"))
    lose_the_next_create(admin, "status", status=500, commit=True, times=2)

    project.up()

    assert [r["status"] for r in admin.requests("POST")] == [500, 500]  # both lost as scripted
    assert script_used_up(admin)
    assert len(admin.chatbots()) == 2
    owned_once(project, admin)
    project.up("--expect-no-changes")


@pytest.mark.parametrize("how", ["replace", "plan change"])
def test_an_adopted_chatbot_survives_a_replacement_with_import_left_in_the_file(
    project: PulumiProject, admin: Admin, how: str
) -> None:
    adopted = admin.create("Made By Hand")
    write_stack_file(project, "chatbots:\n" + entry("legacy", "Made By Hand", import_=adopted))
    project.up()

    if how == "replace":
        urn = project.resources()["legacy"]["urn"]
        project.up("--replace", urn)
    else:
        write_stack_file(
            project, "chatbots:\n" + entry("legacy", "Made By Hand", PRO, import_=adopted)
        )
        project.config_set("caigunn:allowReplace", "legacy")
        project.up()

    new = ids_by_name(project)["legacy"]
    assert new != adopted
    live = admin.chatbots()
    assert adopted in live  # the adopted chatbot is never deleted
    assert set(live) == {adopted, new}
    assert "adopted" not in project.resources()["legacy"]["outputs"]  # made, not adopted


def test_adoption_with_a_differing_title_or_plan_stops_and_writes_nothing(
    project: PulumiProject, admin: Admin, level: str
) -> None:
    existing = admin.create("Made By Hand", PRO)
    write_stack_file(project, "chatbots:\n" + entry("legacy", "Support", BASIC, import_=existing))
    admin.clear_requests()

    outcome = project.outcome("up", ok=False)

    # The seed-level list shows no plans: there only the title can be compared.
    plan = (
        f"; plan_id is {PRO} in CaiGunn but {BASIC} in the stack file" if level == "current" else ""
    )
    assert outcome.messages("error")[0] == (
        "Could not create this chatbot:\n"
        f"import: chatbot {existing} differs from this entry: title is 'Made By Hand' in CaiGunn "
        f"but 'Support' in the stack file{plan}. Nothing was changed. Make the entry match the "
        "chatbot, run `pulumi up` to adopt it, then change the entry in a later `pulumi up`\n"
    )
    assert {r["method"] for r in admin.requests()} == {"GET"}
    assert admin.chatbots()[existing]["title"] == "Made By Hand"
    assert project.resources() == {}


@pytest.mark.parametrize("bad", ["..", "a/../b?x", "'not-an-id'"])
def test_a_bad_import_id_is_a_stack_file_error_and_nothing_is_called(
    project: PulumiProject, admin: Admin, bad: str
) -> None:
    write_stack_file(project, "chatbots:\n" + entry("legacy", "Support", import_=bad))
    admin.clear_requests()

    failed = project.up(ok=False)

    assert "stacks/e2e.yaml:5: chatbots.legacy.import: " in failed
    assert "Traceback" not in failed
    assert admin.requests() == []
