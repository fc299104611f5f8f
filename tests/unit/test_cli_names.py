"""Logical names that `adopt` derives from titles: valid, unique, deterministic."""

from __future__ import annotations

import re

import pytest

from caigunn_provider.cli.names import MAX_NAME_LENGTH, assign, base_name

ID_A = "0a1b2c3d-0000-4000-8000-000000000001"
ID_B = "1b2c3d4e-0000-4000-8000-000000000002"
ID_C = "2c3d4e5f-0000-4000-8000-000000000003"
ID_D = "3d4e5f60-0000-4000-8000-000000000004"
# "FULL width" in full-width forms (U+FF01..U+FF5E, ideographic space), as CJK keyboards type it.
FULL_WIDTH = "".join("\u3000" if c == " " else chr(ord(c) + 0xFEE0) for c in "FULL width")
# The stack-file loader's rule for a logical name.
VALID_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Support Desk", "support-desk"),
        ("  Sales -- Assistant!! ", "sales-assistant"),
        ("FAQ bot (v2.1) / EN", "faq-bot-v2-1-en"),
        ("Café Déjà Vu", "cafe-deja-vu"),
        ("Straße Ærø", "strasse-aero"),
        (FULL_WIDTH, "full-width"),
        ("snake_case.name", "snake-case-name"),
        ("Bot ✨🚀", "bot"),
        ("客服 Bot", "bot-0a1b2c3d"),
        ("客服機器人", "chatbot-0a1b2c3d"),
        ("!!!", "chatbot-0a1b2c3d"),
        ("2024", "2024"),
    ],
)
def test_a_title_gives_a_readable_valid_name(title: str, name: str) -> None:
    assert base_name(title, ID_A) == name
    assert VALID_NAME.fullmatch(name)


def test_a_very_long_title_is_cut_to_a_valid_name_without_a_trailing_dash() -> None:
    name = base_name("word " * 100, ID_A)

    assert name == ("word-" * 16).rstrip("-")
    assert len(name) == 79
    assert VALID_NAME.fullmatch(name)


def test_duplicate_titles_get_suffixes_in_id_order_whatever_the_list_order() -> None:
    chatbots = [(ID_C, "Support"), (ID_A, "Support"), (ID_B, "Support")]

    names = assign(chatbots, taken=[])

    assert names == {ID_A: "support", ID_B: "support-2", ID_C: "support-3"}
    assert assign(list(reversed(chatbots)), taken=[]) == names


def test_a_name_already_in_the_stack_is_never_reused_whatever_its_case() -> None:
    names = assign([(ID_A, "Support"), (ID_B, "Sales")], taken=["Support", "sales-2"])

    assert names == {ID_A: "support-2", ID_B: "sales"}


def test_a_title_that_looks_like_a_suffixed_name_keeps_its_name_and_the_duplicate_moves_on() -> (
    None
):
    names = assign([(ID_A, "Desk"), (ID_B, "Desk"), (ID_C, "Desk 2")], taken=[])

    assert names == {ID_A: "desk", ID_C: "desk-2", ID_B: "desk-3"}


def test_titles_without_ascii_letters_are_told_apart_by_their_ids() -> None:
    names = assign([(ID_A, "客服"), (ID_B, "客服"), (ID_C, "販售")], taken=[])

    assert names == {ID_A: "chatbot-0a1b2c3d", ID_B: "chatbot-1b2c3d4e", ID_C: "chatbot-2c3d4e5f"}


def test_every_name_is_valid_unique_and_within_the_length_limit() -> None:
    long_title = "x" * 255
    chatbots = [(ID_A, long_title), (ID_B, long_title), (ID_C, long_title), (ID_D, "-.-")]

    names = assign(chatbots, taken=["x" * 80])

    assert len(set(names.values())) == 4
    for name in names.values():
        assert VALID_NAME.fullmatch(name)
        assert len(name) <= MAX_NAME_LENGTH
    assert names[ID_A] == "x" * 80 + "-2"
    assert names[ID_D] == "chatbot-3d4e5f60"
