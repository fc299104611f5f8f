"""`knowledge`: each chatbot's training data and the item that manages each row.

The chatbot list comes from the in-process emulator; the training data of each chatbot from a
small fake keyed by api_key (as the real route is), and the stack's state from a fake too.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from caigunn_provider.chatbot_level.api import TrainingRow
from caigunn_provider.cli import knowledge as command
from caigunn_provider.cli.knowledge_state import parse_items
from caigunn_provider.cli.managed import Managed, Manager
from caigunn_provider.client import CaiGunnClient
from caigunn_provider.errors import NotFoundError
from caigunn_provider.kinds.knowledge.kind import ITEM_TYPE as KNOWLEDGE_ITEM_TYPE
from caigunn_provider.kinds.knowledge.kind import ROWS_TYPE as KNOWLEDGE_ROWS_TYPE
from tests.support import BASIC, Admin
from tests.unit.cli_harness import Cli

ROW_A = "11111111-1111-4111-8111-111111111111"
ROW_B = "22222222-2222-4222-8222-222222222222"
ROW_C = "33333333-3333-4333-8333-333333333333"


@pytest.fixture
def desk(admin: Admin) -> tuple[str, str]:
    """A chatbot made by hand: its id and api_key."""
    chatbot_id = admin.create("Support Desk", BASIC)
    return chatbot_id, str(admin.chatbots()[chatbot_id]["api_key"])


def fake_training_data(
    monkeypatch: pytest.MonkeyPatch, by_key: Mapping[str, list[TrainingRow] | None]
) -> list[str]:
    """Each chatbot's rows by api_key (None: the chatbot is gone); the keys asked with."""
    asked: list[str] = []

    def rows(client: CaiGunnClient, api_key: str) -> list[TrainingRow]:
        asked.append(api_key)
        found = by_key[api_key]
        if found is None:
            raise NotFoundError("gone", status=404, method="GET", url="u", detail="gone")
        return found

    monkeypatch.setattr(command, "training_rows", rows)
    return asked


def fake_stack(
    monkeypatch: pytest.MonkeyPatch, managers: Mapping[str, str], items: Mapping[str, str]
) -> None:
    by_id = {chatbot_id: Manager(name, "state") for chatbot_id, name in managers.items()}
    monkeypatch.setattr(
        command,
        "managed",
        lambda workspace, strict, others=False: Managed(by_id, frozenset(managers.values())),
    )
    monkeypatch.setattr(command, "items_by_row", lambda workspace: dict(items))


ROWS = [
    TrainingRow(ROW_A, "returns.md", "text"),
    TrainingRow(ROW_B, "Opening hours", "text"),
    TrainingRow(ROW_C, "price list (by hand)", "file"),
]
ITEMS = {ROW_A: "support/text_file:knowledge/returns.md", ROW_B: "support/text:0a1b2c3d4e5f"}


@pytest.mark.parametrize("level", ["current"])
def test_each_row_is_shown_with_the_item_that_manages_it_or_unmanaged(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, desk: tuple[str, str]
) -> None:
    chatbot_id, api_key = desk
    asked = fake_training_data(monkeypatch, {api_key: ROWS})
    fake_stack(monkeypatch, {chatbot_id: "support"}, ITEMS)

    result = cli("knowledge")

    assert result.status == 0, result.err
    assert result.out == (
        "CHATBOT                 ROW ID                                TYPE  TITLE"
        "                 MANAGED BY\n"
        f"Support Desk (support)  {ROW_A}  text  returns.md            "
        "support/text_file:knowledge/returns.md\n"
        f"Support Desk (support)  {ROW_B}  text  Opening hours         "
        "support/text:0a1b2c3d4e5f\n"
        f"Support Desk (support)  {ROW_C}  file  price list (by hand)  unmanaged\n"
        "\n3 rows of training data in 1 chatbot: 2 managed, 1 unmanaged.\n"
        "Unmanaged rows are never deleted by `pulumi up`, and each chatbot's training uses them "
        "too.\n"
    )
    assert asked == [api_key]
    assert api_key not in result.out + result.err


@pytest.mark.parametrize("level", ["current"])
def test_json_gives_each_chatbot_its_rows_and_their_managers_but_no_api_key(
    cli: Cli, admin: Admin, monkeypatch: pytest.MonkeyPatch, desk: tuple[str, str]
) -> None:
    chatbot_id, api_key = desk
    other = admin.create("By Hand", BASIC)
    other_key = str(admin.chatbots()[other]["api_key"])
    fake_training_data(monkeypatch, {api_key: ROWS[:1], other_key: []})
    fake_stack(monkeypatch, {chatbot_id: "support"}, ITEMS)

    result = cli("knowledge", "--json")

    assert result.status == 0, result.err
    assert result.json() == {
        "stack": None,
        "chatbots": [
            {
                "id": chatbot_id,
                "title": "Support Desk",
                "managed_by": "support",
                "managed_by_stack": None,
                "training_data": [
                    {
                        "id": ROW_A,
                        "type": "text",
                        "title": "returns.md",
                        "managed_by": "support/text_file:knowledge/returns.md",
                        "managed_by_stack": None,
                    }
                ],
            },
            {
                "id": other,
                "title": "By Hand",
                "managed_by": None,
                "managed_by_stack": None,
                "training_data": [],
            },
        ],
        "unread_stacks": [],
    }
    assert api_key not in result.out and other_key not in result.out


@pytest.mark.parametrize("level", ["current"])
def test_an_entry_narrows_the_list_to_its_chatbot(
    cli: Cli, admin: Admin, monkeypatch: pytest.MonkeyPatch, desk: tuple[str, str]
) -> None:
    chatbot_id, api_key = desk
    admin.create("By Hand", BASIC)
    asked = fake_training_data(monkeypatch, {api_key: []})
    fake_stack(monkeypatch, {chatbot_id: "support"}, {})

    result = cli("knowledge", "support")

    assert result.status == 0, result.err
    assert asked == [api_key]
    assert "Support Desk (support)  -       -     (no training data)  -" in result.out


@pytest.mark.parametrize("level", ["current"])
def test_an_entry_that_manages_no_chatbot_is_an_error_that_says_where_to_look(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, desk: tuple[str, str]
) -> None:
    fake_stack(monkeypatch, {}, {})

    result = cli("knowledge", "sales")

    assert result.status == 1
    assert result.err == (
        "error: no chatbot of this account is managed by entry 'sales' (no stack); "
        "`python -m caigunn_provider chatbots` shows which entry manages which\n"
    )


@pytest.mark.parametrize("level", ["current"])
def test_a_chatbot_deleted_while_listing_is_said_so(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, desk: tuple[str, str]
) -> None:
    _, api_key = desk
    fake_training_data(monkeypatch, {api_key: None})
    fake_stack(monkeypatch, {}, {})

    result = cli("knowledge", "--json")

    assert result.status == 0, result.err
    assert result.json()["chatbots"][0]["training_data"] is None


@pytest.mark.parametrize("level", ["seed"])
def test_the_seed_level_says_training_data_needs_the_current_api(cli: Cli) -> None:
    result = cli("knowledge")

    assert result.status == 1
    assert result.err == (
        "error: training data needs the current CaiGunn API (its chatbot-level routes), and "
        "this one offers only list and create\n"
    )


def test_the_state_names_each_row_by_the_knowledge_item_that_made_it() -> None:
    urn = "urn:pulumi:dev::caigunn::" + KNOWLEDGE_ITEM_TYPE + "::"
    deployment = {
        "resources": [
            {
                "type": KNOWLEDGE_ITEM_TYPE,
                "urn": urn + "support/website:https://www.example.com",
                "outputs": {"ids": [ROW_A, ROW_B.upper()]},
            },
            # Replaced and waiting for deletion: its rows are no longer its item's.
            {
                "type": KNOWLEDGE_ITEM_TYPE,
                "urn": urn + "old",
                "delete": True,
                "outputs": {"ids": [ROW_C]},
            },
            {
                "type": "pulumi-python:dynamic/caigunn:Chatbot",
                "urn": "x",
                "outputs": {"ids": [ROW_C]},
            },
            {"type": KNOWLEDGE_ITEM_TYPE, "urn": urn + "broken", "outputs": {"ids": "not a list"}},
        ]
    }
    assert parse_items(deployment) == {
        ROW_A: "support/website:https://www.example.com",
        ROW_B: "support/website:https://www.example.com",
    }


def test_a_file_or_website_rows_are_named_by_their_item_through_its_knowledge_rows() -> None:
    """A file's or website's item holds only its event; its KnowledgeRows (same name) the rows."""
    name = "support/file:knowledge/manual.pdf"
    deployment = {
        "resources": [
            {
                "type": KNOWLEDGE_ITEM_TYPE,
                "urn": f"urn:pulumi:dev::caigunn::{KNOWLEDGE_ITEM_TYPE}::{name}",
                "outputs": {"ids": [], "event_id": ROW_C, "rows_apart": True},
            },
            {
                "type": KNOWLEDGE_ROWS_TYPE,
                "urn": f"urn:pulumi:dev::caigunn::{KNOWLEDGE_ROWS_TYPE}::{name}",
                "outputs": {"ids": [ROW_A, ROW_B]},
            },
        ]
    }
    assert parse_items(deployment) == {ROW_A: name, ROW_B: name}


@pytest.mark.parametrize("level", ["current"])
def test_rows_come_from_the_emulators_training_data_route_with_the_chatbots_api_key(
    cli: Cli, admin: Admin, monkeypatch: pytest.MonkeyPatch, desk: tuple[str, str]
) -> None:
    chatbot_id, api_key = desk
    added = admin.session.post(
        admin.base_url + "/api/external/chatbot/training_data",
        params={"type": "text"},
        data={"text": "Opening hours: Mon-Fri 9:00-18:00"},
        headers={"api-key": api_key, "caigunn-access-token": admin.token},
        timeout=30,
    )
    assert added.status_code == 200, added.text
    row_id = added.json()["id"]
    fake_stack(monkeypatch, {chatbot_id: "support"}, {row_id: "support/text:5d41402abc4b"})

    result = cli("knowledge", "--json")

    assert result.status == 0, result.err
    [bot] = result.json()["chatbots"]
    [row] = bot["training_data"]
    assert (row["id"], row["managed_by"]) == (row_id, "support/text:5d41402abc4b")
    assert api_key not in result.out + result.err
