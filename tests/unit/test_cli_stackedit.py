"""Adding entries to a stack file keeps the user's text, and the loader reads the result back."""

from __future__ import annotations

from pathlib import Path

import pytest

from caigunn_provider.cli.common import CliError
from caigunn_provider.cli.stackedit import NewEntry, add_entries, refused, render, write_checked
from caigunn_provider.kinds import load_stack_file
from tests.support import BASIC, PRO

ID_A = "0a1b2c3d-0000-4000-8000-000000000001"
ID_B = "1b2c3d4e-0000-4000-8000-000000000002"
NEW = [
    NewEntry("legacy-desk", ID_A, "Legacy Desk", BASIC, "Basic"),
    NewEntry("faq", ID_B, "FAQ: English", PRO, None),
]
NEW_TEXT = f"""\
  legacy-desk:
    title: Legacy Desk
    plan_id: {BASIC}  # Basic
    import: {ID_A}
  faq:
    title: 'FAQ: English'
    plan_id: {PRO}
    import: {ID_B}
"""
USER_FILE = f"""\
# yaml-language-server: $schema=../schema/stack-file.schema.json
# Production chatbots. Ask #chatbots before changing a plan.
chatbots:
  support:   # the help desk
    title: "Support Desk"
    plan_id: {BASIC}

  sales:
    title: 'Sales Assistant'
    plan_id: {PRO}
    protect: true
"""


def test_entries_are_appended_and_every_byte_of_the_user_file_stays() -> None:
    edited = add_entries(USER_FILE, NEW)

    assert edited.text == USER_FILE + NEW_TEXT
    assert edited.layout_kept


def test_a_four_space_file_with_lists_keeps_its_indentation() -> None:
    text = f"chatbots:\n    support:\n        title: Desk\n        plan_id: {BASIC}\n"
    listed = "chatbots:\n    a:\n        items:\n          - one\n          - two\n"

    assert add_entries(text, NEW[:1]).text == text + (
        f"    legacy-desk:\n        title: Legacy Desk\n        plan_id: {BASIC}  # Basic\n"
        f"        import: {ID_A}\n"
    )
    assert add_entries(listed, []).text == listed


@pytest.mark.parametrize("empty", ["chatbots: {}\n", "chatbots:\n", ""])
def test_an_empty_chatbots_mapping_becomes_a_block_with_the_entries(empty: str) -> None:
    assert add_entries(f"# mine\n{empty}", NEW).text == f"# mine\nchatbots:\n{NEW_TEXT}"


@pytest.mark.parametrize("title", ["yes", "off", "null", "1_000", "2024-01-01", "#1 bot", "a: b"])
def test_titles_that_yaml_would_read_as_something_else_are_quoted(
    title: str, tmp_path: Path
) -> None:
    path = tmp_path / "dev.yaml"
    path.write_text(render([NewEntry("x", ID_A, title, BASIC)]))

    assert f"title: '{title}'" in path.read_text()
    assert load_stack_file(path).section("chatbots")["x"].title == title


def test_a_title_the_loader_refuses_is_named_with_the_loader_reason() -> None:
    entries = [NewEntry("long", ID_A, "x" * 256, BASIC), NewEntry("ok", ID_B, "Fine", BASIC)]

    assert refused(entries) == {ID_A: "title: must be at most 255 characters (got 256)"}


def test_a_file_that_would_not_load_is_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "dev.yaml"
    path.write_text(USER_FILE)
    clash = add_entries(USER_FILE, [NewEntry("x", ID_A, "X", BASIC), NewEntry("y", ID_A, "Y", PRO)])

    with pytest.raises(
        CliError, match=r"would be invalid:\nstacks/dev.yaml:\d+: chatbots.y.import"
    ):
        write_checked(path, clash.text, "stacks/dev.yaml", [])

    assert path.read_text() == USER_FILE
    assert [p.name for p in tmp_path.iterdir()] == ["dev.yaml"]


def test_a_checked_write_replaces_the_file(tmp_path: Path) -> None:
    path = tmp_path / "dev.yaml"
    path.write_text(USER_FILE)

    write_checked(path, add_entries(USER_FILE, NEW).text, "stacks/dev.yaml", NEW)

    loaded = load_stack_file(path).section("chatbots")
    assert list(loaded) == ["support", "sales", "legacy-desk", "faq"]
    assert (loaded["faq"].title, loaded["faq"].plan_id) == ("FAQ: English", PRO)
