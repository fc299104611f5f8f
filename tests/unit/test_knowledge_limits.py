"""Knowledge at the pre-flight: refused without the current API, held to each plan's limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from caigunn_provider.account import Account
from caigunn_provider.capabilities import Capabilities
from caigunn_provider.client import CaiGunnClient, Plan
from caigunn_provider.client.parsers import plan_row
from caigunn_provider.errors import StackFileError
from caigunn_provider.kinds import load_stack_file
from caigunn_provider.kinds.chatbot.preflight import check_entries
from caigunn_provider.kinds.chatbot.preflight import check_parts as check_knowledge_preflight
from caigunn_provider.stackfile import StackFile
from tests.support import BASIC, PRO

SMALL = Plan(BASIC, "Basic", character_limit=20, crawler_limit=1, training_limit=5)
OPEN = Plan(PRO, "Pro")


def stack(tmp_path: Path, text: str, files: dict[str, str] | None = None) -> StackFile:
    for relative, content in (files or {}).items():
        (tmp_path / relative).write_text(content, encoding="utf-8")
    path = tmp_path / "dev.yaml"
    path.write_text(text, encoding="utf-8")
    return load_stack_file(path)


def entry(plan_id: str, body: str) -> str:
    return f"chatbots:\n  support:\n    title: Support\n    plan_id: {plan_id}\n{body}"


def test_text_items_beyond_the_character_limit_are_refused_at_the_knowledge_key(
    tmp_path: Path,
) -> None:
    body = "    knowledge:\n      - text: twelve chars\n      - text_file: a.md\n"
    loaded = stack(tmp_path, entry(BASIC, body), {"a.md": "ten chars\n"})
    [problem] = check_knowledge_preflight(
        loaded.path, loaded.section("chatbots"), {"support": BASIC}, [SMALL], supported=True
    )
    assert problem == (
        f"{loaded.path}:5: chatbots.support.knowledge: its text items hold 22 characters, and "
        "plan 'Basic' allows 20 (its character_limit): training would fail with 'Character "
        "limit exceeded'; shorten the texts or choose a larger plan (which replaces a chatbot "
        "that exists: a new id and api_key)"
    )


def test_text_items_at_the_character_limit_pass(tmp_path: Path) -> None:
    body = "    knowledge:\n      - text: ten chars!\n      - text: ten chars?\n"
    loaded = stack(tmp_path, entry(BASIC, body))
    assert (
        check_knowledge_preflight(
            loaded.path, loaded.section("chatbots"), {"support": BASIC}, [SMALL], supported=True
        )
        == []
    )


def test_websites_beyond_the_crawler_limit_are_refused_at_the_first_one_over(
    tmp_path: Path,
) -> None:
    body = (
        "    knowledge:\n      - website: https://a.example.com\n"
        "      - text: hi\n      - website: https://b.example.com\n"
    )
    loaded = stack(tmp_path, entry(BASIC, body))
    [problem] = check_knowledge_preflight(
        loaded.path, loaded.section("chatbots"), {"support": BASIC}, [SMALL], supported=True
    )
    assert problem == (
        f"{loaded.path}:8: chatbots.support.knowledge[2].website: 2 website items, and plan "
        "'Basic' allows 1 (its crawler_limit); remove some or choose a larger plan (which "
        "replaces a chatbot that exists: a new id and api_key)"
    )


def test_a_plan_whose_list_gives_no_limits_is_not_checked(tmp_path: Path) -> None:
    body = "    knowledge:\n" + "".join(
        f"      - website: https://{n}.example.com\n" for n in range(3)
    )
    loaded = stack(tmp_path, entry(PRO, body))
    assert (
        check_knowledge_preflight(
            loaded.path, loaded.section("chatbots"), {"support": PRO}, [OPEN], supported=True
        )
        == []
    )


def test_without_the_current_api_each_entrys_keys_are_refused_at_the_first(
    tmp_path: Path,
) -> None:
    body = "    webhook: https://hooks.example.com\n    model: gpt-4\n    knowledge: [text: hi]\n"
    loaded = stack(tmp_path, entry(BASIC, body))
    [problem] = check_knowledge_preflight(
        loaded.path, loaded.section("chatbots"), {"support": BASIC}, [], supported=False
    )
    assert problem == (
        f"{loaded.path}:7: chatbots.support.knowledge: knowledge, model and webhook need the "
        "current CaiGunn API (its chatbot-level routes: training data, models and webhooks), and "
        "this one offers only list and create; remove them from the entry"
    )


def test_the_seed_level_refuses_knowledge_in_the_pre_flight_with_its_line(tmp_path: Path) -> None:
    loaded = stack(tmp_path, entry(BASIC, "    knowledge:\n      - text: hi\n"))
    client = CaiGunnClient("http://127.0.0.1:9", "unused-token")
    with pytest.raises(StackFileError) as caught:
        check_entries(
            loaded.path,
            loaded.section("chatbots"),
            Account(client, Capabilities.for_level("seed"), []),
        )
    [problem] = caught.value.problems
    assert problem.startswith(f"{loaded.path}:5: chatbots.support.knowledge: knowledge needs the")
    assert "needs the current CaiGunn API" in problem


def test_the_current_level_pre_flight_holds_entries_to_their_plans_limits(tmp_path: Path) -> None:
    loaded = stack(tmp_path, entry(BASIC, "    knowledge:\n      - text: " + "x" * 21 + "\n"))
    client = CaiGunnClient("http://127.0.0.1:9", "unused-token")
    with pytest.raises(StackFileError) as caught:
        check_entries(
            loaded.path,
            loaded.section("chatbots"),
            Account(client, Capabilities.for_level("current"), [SMALL]),
        )
    [problem] = caught.value.problems
    assert "21 characters, and plan 'Basic' allows 20" in problem


def test_the_plan_list_gives_the_plans_limits_and_ignores_odd_ones() -> None:
    row = {"id": BASIC, "title": "Basic", "character_limit": 1000, "crawler_limit": 10}
    assert plan_row({**row, "training_limit": "many"}) == Plan(
        BASIC, "Basic", character_limit=1000, crawler_limit=10, training_limit=None
    )
    assert plan_row({"id": BASIC, "title": "Basic", "crawler_limit": True}).crawler_limit is None


def test_a_model_without_knowledge_items_is_a_stack_file_error_at_its_line(tmp_path: Path) -> None:
    with pytest.raises(StackFileError) as caught:
        stack(tmp_path, entry(BASIC, "    model: gpt-4\n"))
    [problem] = caught.value.problems
    assert problem.startswith(f"{tmp_path / 'dev.yaml'}:5: chatbots.support.model: needs knowledge")
