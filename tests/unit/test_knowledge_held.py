"""The rows a file or website item passes to its diff: its KnowledgeRows', for its own event."""

from __future__ import annotations

from caigunn_provider.kinds.knowledge.declare import held_ids
from caigunn_provider.program.checkpoint import Recorded

NAME = "support/website:https://www.example.com/help"
EVENT = "11111111-1111-4111-8111-111111111111"
ROW = "22222222-2222-4222-8222-222222222222"


def test_the_rows_held_for_the_items_own_event_are_passed() -> None:
    items = {NAME: Recorded("x", {}, {"event_id": EVENT, "rows_apart": True})}
    rows = {NAME: Recorded("x", {}, {"event_id": EVENT, "ids": [ROW]})}
    assert held_ids(items, rows, NAME) == [ROW]


def test_rows_of_another_event_none_yet_or_no_checkpoint_pass_nothing() -> None:
    items = {NAME: Recorded("x", {}, {"event_id": EVENT, "rows_apart": True})}
    other = {NAME: Recorded("x", {}, {"event_id": ROW, "ids": [ROW]})}
    pending = {NAME: Recorded("x", {}, {"event_id": EVENT, "ids": []})}
    assert held_ids(items, other, NAME) is None
    assert held_ids(items, pending, NAME) is None
    assert held_ids(None, None, NAME) is None
    assert held_ids(items, {}, NAME) is None


def test_rows_with_neither_an_event_nor_rows_still_get_an_id() -> None:
    # Never met in practice (an async item's create always records its event), but a resource id
    # must never be empty: the item's name stands in.
    from caigunn_provider.chatbot_level.provider import NAME
    from caigunn_provider.kinds.knowledge.rows import KnowledgeRowsProvider

    made = KnowledgeRowsProvider().create({NAME: "support/file:manual.pdf", "item_ids": []})
    assert made.id == "support/file:manual.pdf"
    assert made.outs is not None and made.outs["ids"] == []
