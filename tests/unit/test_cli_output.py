"""Tables line up whatever the titles hold, and progress never reaches stdout."""

from __future__ import annotations

import io

from caigunn_provider.cli.output import Progress, cell_text, counted, print_table, width


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_wide_characters_take_two_columns_and_combining_marks_none() -> None:
    assert width("客服") == 4
    assert width("Cafe\u0301") == 4
    assert width("Support") == 7


def test_a_table_lines_up_wide_titles() -> None:
    out = io.StringIO()

    print_table(["TITLE", "PLAN"], [["客服", "Pro"], ["Support Desk", "Basic"]], out)

    assert out.getvalue() == "TITLE         PLAN\n客服          Pro\nSupport Desk  Basic\n"


def test_a_long_title_is_cut_with_an_ellipsis_and_control_characters_are_escaped() -> None:
    assert cell_text("x" * 60) == "x" * 47 + "…"
    assert cell_text("客" * 30) == "客" * 23 + "…"
    assert cell_text("two\nlines\x1b[31m") == "two\\nlines\\x1b[31m"


def test_counts_agree_with_their_nouns() -> None:
    assert counted(1, "chatbot") == "1 chatbot"
    assert counted(2, "entry", "entries") == "2 entries"


def test_progress_rewrites_one_line_on_a_terminal_and_clears_it_when_done() -> None:
    terminal = Terminal()
    progress = Progress(None, terminal)

    progress("reading the chatbot list", 100)
    progress("reading each chatbot's plan", 3, 7)
    progress.done()

    assert terminal.getvalue() == (
        "\rreading the chatbot list: 100 so far\x1b[K"
        "\rreading each chatbot's plan: 3 of 7\x1b[K"
        "\r\x1b[K"
    )


def test_progress_is_off_by_default_off_a_terminal_and_plain_lines_when_asked() -> None:
    piped, asked = io.StringIO(), io.StringIO()

    Progress(None, piped)("reading the chatbot list", 100)
    Progress(True, asked)("reading the chatbot list", 100)

    assert piped.getvalue() == ""
    assert asked.getvalue() == "reading the chatbot list: 100 so far\n"
