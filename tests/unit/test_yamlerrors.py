"""The excerpt under a YAML error: the line as written, printable, cut when long, caret aligned."""

from __future__ import annotations

from caigunn_provider.stackfile.yamlerrors import excerpt


def test_the_caret_stands_under_the_column_of_the_line_shown() -> None:
    assert excerpt("a: 1\nb c\n", 1, 1) == ["    2 | b c", "      |  ^"]


def test_a_tab_is_shown_as_an_arrow_and_a_control_character_as_a_question_mark() -> None:
    assert excerpt("\tkey:\u202ex\n", 0, 0) == ["    1 | \u2192key:?x", "      | ^"]


def test_a_long_line_is_cut_around_the_caret_which_still_points_at_its_character() -> None:
    text = "k: " + "a" * 5000 + "X" + "b" * 5000
    column = text.index("X")
    shown, caret = excerpt(text, 0, column)
    assert len(shown) < 120
    assert shown.startswith("    1 | ...") and shown.endswith("...")
    assert shown[caret.index("^")] == "X"


def test_a_five_digit_line_number_keeps_the_bars_aligned() -> None:
    shown, caret = excerpt("x\n" * 12345, 12344, 0)
    assert shown.index("|") == caret.index("|")
