"""The pre-flight's checks: plans on a made-up account (names, ambiguity, seed-level limits), and
whether the chatbots a run would update still exist, against the in-process emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from caigunn_provider.account import Account, connect
from caigunn_provider.capabilities import Capabilities, Level
from caigunn_provider.client import CaiGunnClient, Plan
from caigunn_provider.config import ProviderConfig
from caigunn_provider.errors import StackFileError
from caigunn_provider.kinds import load_stack_file
from caigunn_provider.kinds.chatbot.preflight import (
    PreflightError,
    check_entries,
    check_updated_exist,
)
from caigunn_provider.stackfile import StackFile
from tests.support import BASIC, PRO, Admin

TWIN = "9d0a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b"
PLANS = [Plan(BASIC, "Basic"), Plan(PRO, "Pro"), Plan(TWIN, "PRO")]


def account(level: Level, plans: list[Plan]) -> Account:
    client = CaiGunnClient("http://127.0.0.1:9", "unused-token")
    return Account(client, Capabilities.for_level(level), plans)


def entries_checked(stack_file: StackFile, account: Account) -> object:
    return check_entries(stack_file.path, stack_file.section("chatbots"), account)


def problems(tmp_path: Path, text: str, level: Level, plans: list[Plan]) -> list[str]:
    path = tmp_path / "dev.yaml"
    path.write_text(text)
    with pytest.raises(StackFileError) as caught:
        entries_checked(load_stack_file(path), account(level, plans))
    return caught.value.problems


def test_a_name_matching_two_plans_whatever_their_case_is_ambiguous(tmp_path: Path) -> None:
    [problem] = problems(
        tmp_path, "chatbots:\n  a:\n    title: A\n    plan: pro\n", "current", PLANS
    )
    assert problem.endswith(
        f"dev.yaml:4: chatbots.a.plan: 2 plans are named 'pro' ({PRO}, {TWIN}); use plan_id instead"
    )


def test_a_plan_name_one_letter_off_gets_a_suggestion_and_the_list_of_plans(
    tmp_path: Path,
) -> None:
    plans = [Plan(BASIC, "Basic"), Plan(PRO, "Pro"), Plan(TWIN, "Enterprise")]
    [problem] = problems(
        tmp_path, "chatbots:\n  a:\n    title: A\n    plan: Prp\n", "current", plans
    )
    assert problem.endswith(
        "dev.yaml:4: chatbots.a.plan: no plan named 'Prp' in this CaiGunn account "
        "(did you mean 'Pro'? its plans: Basic, Enterprise, Pro)"
    )


def test_a_plan_name_close_to_none_only_lists_the_plans(tmp_path: Path) -> None:
    plans = [Plan(BASIC, "Basic"), Plan(PRO, "Pro"), Plan(TWIN, "Enterprise")]
    [problem] = problems(
        tmp_path, "chatbots:\n  a:\n    title: A\n    plan: Platinum\n", "current", plans
    )
    assert problem.endswith(
        "no plan named 'Platinum' in this CaiGunn account (its plans: Basic, Enterprise, Pro)"
    )


def test_a_plan_name_close_to_two_plans_of_one_name_gets_no_suggestion(tmp_path: Path) -> None:
    # 'Pro' and 'PRO' are two plans: suggesting either would end in "2 plans are named".
    [problem] = problems(
        tmp_path, "chatbots:\n  a:\n    title: A\n    plan: Prp\n", "current", PLANS
    )
    assert problem.endswith(
        "no plan named 'Prp' in this CaiGunn account (its plans: Basic, PRO, Pro)"
    )


def test_a_unique_name_resolves_to_its_id(tmp_path: Path) -> None:
    path = tmp_path / "dev.yaml"
    path.write_text("chatbots:\n  a:\n    title: A\n    plan: basic\n")
    assert entries_checked(load_stack_file(path), account("current", PLANS)) == {"a": BASIC}


def test_settings_at_the_seed_level_are_refused_at_their_line(tmp_path: Path) -> None:
    text = f"chatbots:\n  a:\n    title: A\n    plan_id: {BASIC}\n    prompt: Be kind\n"
    [problem] = problems(tmp_path, text, "seed", [])
    assert problem.endswith(
        "dev.yaml:5: chatbots.a.prompt: chatbot settings (prompt) need the current CaiGunn API, "
        "and this one offers only list and create; remove them from the entry"
    )


def test_at_the_seed_level_a_prompt_file_is_named_as_written_at_its_line(tmp_path: Path) -> None:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "support.md").write_text("Be brief.\n")
    text = (
        f"chatbots:\n  a:\n    title: A\n    plan_id: {BASIC}\n"
        "    prompt_file: prompts/support.md\n    main_color: '#1A2B3C'\n"
        "    initial_messages: [Hi!]\n"
    )
    [problem] = problems(tmp_path, text, "seed", [])
    # The prompt comes from prompt_file: not a `prompt` key the file lacks, at the name's line.
    assert problem.endswith(
        "dev.yaml:5: chatbots.a.prompt_file: chatbot settings (prompt_file, main_color, "
        "initial_messages) need the current CaiGunn API, and this one offers only list and "
        "create; remove them from the entry"
    )


def test_every_problem_is_listed_in_one_error(tmp_path: Path) -> None:
    text = "chatbots:\n  a:\n    title: A\n    plan: Gold\n  b:\n    title: B\n    plan: Silver\n"
    assert len(problems(tmp_path, text, "current", PLANS)) == 2


def updated_exist(
    admin: Admin, tmp_path: Path, text: str, owned: dict[str, str], **knobs: Any
) -> None:
    """Run the check for a stack file whose state holds `owned`, recorded as ("Old", BASIC),
    with the emulator's `knobs` turned once the account is checked."""
    path = tmp_path / "dev.yaml"
    path.write_text(text)
    stack_file = load_stack_file(path)
    account = connect(ProviderConfig(api_url=admin.base_url, token=admin.token))
    recorded = {name: {"title": "Old", "plan_id": BASIC} for name in owned}
    plan_ids = check_entries(stack_file.path, stack_file.section("chatbots"), account)
    admin.set_knobs(**knobs)
    admin.clear_requests()
    try:
        check_updated_exist(
            stack_file.path, stack_file.section("chatbots"), account, plan_ids, owned, recorded
        )
    finally:
        account.client.close()


@pytest.mark.parametrize("level", ["current"])
def test_a_renamed_chatbot_deleted_outside_pulumi_stops_the_run_naming_its_entry(
    admin: Admin, tmp_path: Path
) -> None:
    gone, kept = admin.create("Old"), admin.create("Old")
    admin.delete_out_of_band(gone)
    text = f"chatbots:\n  a:\n    title: New\n    plan_id: {BASIC}\n"
    text += f"  b:\n    title: New\n    plan_id: {BASIC}\n"
    with pytest.raises(PreflightError) as caught:
        updated_exist(admin, tmp_path, text, {"a": gone, "b": kept})
    assert str(caught.value) == (
        f"{tmp_path / 'dev.yaml'}:2: chatbots.a: chatbot {gone} no longer exists in CaiGunn (it "
        "was deleted outside Pulumi); run `pulumi refresh` to drop it from the state, then "
        "`pulumi up` to create it again"
    )
    assert sorted(r["path"].rsplit("/", 1)[-1] for r in admin.requests()) == sorted([gone, kept])


@pytest.mark.parametrize("level", ["current"])
def test_entries_without_an_update_in_place_cost_no_request(admin: Admin, tmp_path: Path) -> None:
    gone = admin.create("Old")
    admin.delete_out_of_band(gone)
    # Unchanged, a plan change (a replacement makes a new chatbot), and an id no URL may hold (a
    # hand-edited state: the update reports it): nothing to look up.
    text = f"chatbots:\n  a:\n    title: Old\n    plan_id: {BASIC}\n"
    text += f"  b:\n    title: New\n    plan_id: {PRO}\n"
    text += f"  c:\n    title: New\n    plan_id: {BASIC}\n"
    updated_exist(admin, tmp_path, text, {"a": gone, "b": gone, "c": "../plan"})
    assert admin.requests() == []


@pytest.mark.parametrize("level", ["current"])
def test_a_changed_setting_is_an_update_too_and_a_failing_look_proves_nothing(
    admin: Admin, tmp_path: Path
) -> None:
    kept = admin.create("Old")
    text = f"chatbots:\n  a:\n    title: Old\n    plan_id: {BASIC}\n    is_shared: true\n"
    updated_exist(admin, tmp_path, text, {"a": kept}, fail_rate=1.0, fail_statuses=[403])
    assert {r["path"].rsplit("/", 1)[-1] for r in admin.requests()} == {kept}


@pytest.mark.parametrize("level", ["seed"])
def test_at_the_seed_level_nothing_is_looked_up(admin: Admin, tmp_path: Path) -> None:
    text = f"chatbots:\n  a:\n    title: New\n    plan_id: {BASIC}\n"
    updated_exist(admin, tmp_path, text, {"a": "4b7ae1e4-5d4c-4f0b-9d6e-2f1c0a9b8c7d"})
    assert admin.requests() == []
