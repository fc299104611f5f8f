"""Answer checks' assertions matched against answers, their words, and the preview's check of a
regex pattern (its syntax, and how long it may take)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from caigunn_provider.kinds.checks.assertions import (
    ANSWER_LIMIT,
    describe,
    evaluate,
    fold,
    regex_problem,
)
from caigunn_provider.kinds.checks.spec import ASSERTIONS

# Decomposed: "e" and U+0301 COMBINING ACUTE ACCENT, two code points for one letter.
CAFE = "Cafe\u0301"
# A pattern whose backtracking explodes: nested repetition over the same letter.
EXPLOSIVE = "(a|aa)+$"


@pytest.mark.parametrize(
    ("key", "value", "answer", "holds"),
    [
        ("equals", "30 days", "  30 days\n", True),
        ("equals", "  30 days ", "30 days", True),
        ("equals", "30 days", "30 days.", False),
        ("equals", "30 days", "30 Days", False),
        ("starts_with", "Sorry", "\n Sorry, I cannot help.", True),
        ("starts_with", "Sorry ", "Sorry, I cannot help.", True),
        ("starts_with", "Sorry", "I am sorry", False),
        ("contains", "30 days", "You have 30 days.", True),
        ("contains", "30 days", "You have 30 Days.", False),
        ("icontains", "30 days", "You have 30 DAYS.", True),
        ("icontains", "acme", "We sell \uff21\uff23\uff2d\uff25 goods", True),
        ("icontains", "\uff41\uff43\uff4d\uff45", "We sell Acme goods", True),
        ("icontains", "STRASSE", "Hauptstraße 1", True),
        ("icontains", "Straße", "HAUPTSTRASSE 1", True),
        ("icontains", "café", f"The {CAFE.upper()} is open", True),
        ("icontains", "ﬁle", "FILE", True),
        ("contains_any", ["Returns Dept", "returns desk"], "Ask the returns desk.", True),
        ("contains_any", ["Returns Dept", "returns desk"], "Ask the Returns Desk.", False),
        ("icontains_any", ["Returns Dept", "returns desk"], "Ask the RETURNS DESK.", True),
        ("icontains_any", ["a-b", "c-d"], "none here", False),
        ("contains_all", ["30", "days"], "30 days", True),
        ("contains_all", ["30", "days"], "30 Days", False),
        ("icontains_all", ["30", "days"], "30 DAYS", True),
        ("icontains_all", ["30", "weeks"], "30 DAYS", False),
        ("not_contains", "acme", "We sell Acme goods", True),
        ("not_contains", "Acme", "We sell Acme goods", False),
        ("not_icontains", "acme", "We sell \uff21\uff23\uff2d\uff25 goods", False),
        ("not_icontains", "acme", "We sell our own goods", True),
        ("regex", r"\b30 days\b", "within 30 days of delivery", True),
        ("regex", "days", "within 30 days", True),  # search: anywhere in the answer
        ("regex", "^days", "within 30 days", False),
        ("regex", "(?i)^within", "WITHIN 30 days", True),
        ("not_regex", r"\$\d+", "Shipping is free", True),
        ("not_regex", r"\$\d+", "Shipping is $5", False),
        ("max_chars", 5, "12345", True),
        ("max_chars", 5, "123456", False),
        ("max_chars", 4, CAFE, False),  # five code points
        ("max_chars", 4, "Café", True),  # four: the é precomposed
        ("max_chars", 1, "\U0001f600", True),  # one code point, two UTF-16 units
        ("max_chars", 3, " a ", True),  # whitespace counts
        ("max_chars", 2, " a ", False),
    ],
)
def test_each_assertion_holds_or_fails_by_its_matching_rule(
    key: str, value: Any, answer: str, holds: bool
) -> None:
    assert evaluate({key: value}, answer) == ([] if holds else [describe(key, value)])


def test_every_assertion_key_is_matched() -> None:
    values = {
        "max_chars": 10,
        **{key: ["x"] for key in ASSERTIONS if key.endswith(("_any", "_all"))},
    }
    for key in ASSERTIONS:
        assert isinstance(evaluate({key: values.get(key, "x")}, "x"), list)


def test_the_failures_come_in_the_order_written_as_the_user_wrote_them() -> None:
    expect = {"icontains": "30 days", "not_icontains": "acme", "max_chars": 10}
    assert evaluate(expect, "Acme gives you 30 days") == ['not_icontains "acme"', "max_chars 10"]
    assert evaluate(expect, "30 days") == []


def test_an_expectation_is_described_as_written() -> None:
    assert describe("icontains", "30 days") == 'icontains "30 days"'
    assert describe("max_chars", 600) == "max_chars 600"
    assert describe("contains_any", ["a", "Straße"]) == 'contains_any ["a", "Straße"]'
    assert describe("regex", r"\d+ \"days\"") == r'regex "\\d+ \\\"days\\\""'


def test_fold_is_nfkc_and_casefold() -> None:
    assert fold("\uff21\uff23\uff2d\uff25") == "acme"
    assert fold("Straße") == fold("STRASSE") == "strasse"
    assert fold(CAFE) == fold("CAFÉ") == "café"


def test_a_regex_sees_only_the_answers_first_characters() -> None:
    answer = "x" * ANSWER_LIMIT + "30 days"
    assert evaluate({"regex": "30 days"}, answer) == ['regex "30 days"']
    assert evaluate({"not_regex": "30 days"}, answer) == []
    # The other assertions read the whole answer.
    assert evaluate({"contains": "30 days"}, answer) == []


def test_a_regex_that_runs_out_of_time_fails_whichever_its_sense() -> None:
    answer = "a" * 60 + "!"
    started = time.monotonic()
    assert evaluate({"regex": EXPLOSIVE}, answer, timeout=0.05) == [f'regex "{EXPLOSIVE}"']
    assert evaluate({"not_regex": EXPLOSIVE}, answer, timeout=0.05) == [f'not_regex "{EXPLOSIVE}"']
    assert time.monotonic() - started < 5


# --- the preview's check of a pattern ------------------------------------------------------------


EVERYDAY = [r"\b30 days\b", r"(?i)refund", r"^\s*Sorry", r"\d+ days", r"https?://\S+", r".*foo"]


@pytest.mark.parametrize("pattern", EVERYDAY)
def test_an_everyday_pattern_has_no_problem(pattern: str) -> None:
    assert regex_problem(pattern) is None


@pytest.mark.parametrize(
    ("pattern", "what"),
    [
        ("(a", "missing ), unterminated subpattern at position 0"),
        ("a{2,1}", "min repeat greater than max repeat at position 2"),
        ("[z-a]", "bad character range z-a at position 1"),
        # The regex module reads this one; Python's re, the syntax of record, does not.
        ("(?<=a+)b", "look-behind requires fixed-width pattern"),
    ],
)
def test_a_pattern_python_cannot_read_is_refused_with_res_words(pattern: str, what: str) -> None:
    assert regex_problem(pattern) == f"not a regular expression Python reads: {what}"


@pytest.mark.parametrize("pattern", [EXPLOSIVE, "(a+)+$", r"(\w+\s)*\w+!$", r"(x+x+)+y"])
def test_a_pattern_whose_time_explodes_is_found_at_preview(pattern: str) -> None:
    assert regex_problem(pattern) == (
        "this pattern takes too long on some answers (nested repetition?)"
    )
