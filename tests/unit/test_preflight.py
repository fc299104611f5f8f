"""The pre-flight's plan checks, on a made-up account: names, ambiguity, seed-level limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from caigunn_provider.client import CaiGunnClient, Plan
from caigunn_provider.errors import StackFileError
from caigunn_provider.preflight import Account, check_entries
from caigunn_provider.stackfile import load_stack_file
from tests.support import BASIC, PRO

TWIN = "9d0a1b2c-3d4e-4f50-8a6b-7c8d9e0f1a2b"
PLANS = [Plan(BASIC, "Basic"), Plan(PRO, "Pro"), Plan(TWIN, "PRO")]


def account(level: str, plans: list[Plan]) -> Account:
    client = CaiGunnClient("http://127.0.0.1:9", "unused-token")
    return Account(client, level, plans)  # type: ignore[arg-type]


def problems(tmp_path: Path, text: str, level: str, plans: list[Plan]) -> list[str]:
    path = tmp_path / "dev.yaml"
    path.write_text(text)
    with pytest.raises(StackFileError) as caught:
        check_entries(load_stack_file(path), account(level, plans))
    return caught.value.problems


def test_a_name_matching_two_plans_whatever_their_case_is_ambiguous(tmp_path: Path) -> None:
    [problem] = problems(
        tmp_path, "chatbots:\n  a:\n    title: A\n    plan: pro\n", "current", PLANS
    )
    assert problem.endswith(
        f"dev.yaml:4: chatbots.a.plan: 2 plans are named 'pro' ({PRO}, {TWIN}); use plan_id instead"
    )


def test_a_unique_name_resolves_to_its_id(tmp_path: Path) -> None:
    path = tmp_path / "dev.yaml"
    path.write_text("chatbots:\n  a:\n    title: A\n    plan: basic\n")
    assert check_entries(load_stack_file(path), account("current", PLANS)) == {"a": BASIC}


def test_settings_at_the_seed_level_are_refused_at_their_line(tmp_path: Path) -> None:
    text = f"chatbots:\n  a:\n    title: A\n    plan_id: {BASIC}\n    prompt: Be kind\n"
    [problem] = problems(tmp_path, text, "seed", [])
    assert problem.endswith(
        "dev.yaml:5: chatbots.a.prompt: chatbot settings (prompt) need the current CaiGunn API, "
        "and this one offers only list and create; remove them from the entry"
    )


def test_every_problem_is_listed_in_one_error(tmp_path: Path) -> None:
    text = "chatbots:\n  a:\n    title: A\n    plan: Gold\n  b:\n    title: B\n    plan: Silver\n"
    assert len(problems(tmp_path, text, "current", PLANS)) == 2
