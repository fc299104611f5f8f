"""What an answer must satisfy: each `expect:` assertion matched against one answer, the words
for an expectation, and the preview's check of a `regex` pattern (syntax and speed).

Python's `re` is the syntax of record; patterns run with the `regex` module, which reads the
same syntax and, unlike `re`, stops a match at a time limit. Loads without Pulumi.
"""

from __future__ import annotations

import functools
import json
import re
import time
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

import regex

from caigunn_provider.kinds.checks.spec import ASSERTIONS

__all__ = [
    "ANSWER_LIMIT",
    "MATCH_TIMEOUT",
    "PROBE_LENGTH",
    "TOO_SLOW",
    "describe",
    "evaluate",
    "fold",
    "regex_problem",
]

# A `regex` or `not_regex` sees the answer's first ANSWER_LIMIT code points (a chatbot's answer
# is rarely a tenth of it), so that a match's time has a bound the preview can probe.
ANSWER_LIMIT = 20_000
# A match still running after this many seconds fails its assertion: it proved nothing.
MATCH_TIMEOUT = 10.0
# The preview runs a pattern on answers of PROBE_LENGTH code points built to make backtracking
# explode. A pattern within PROBE_TIMEOUT on each is at worst quadratic here, which stays within
# MATCH_TIMEOUT at ANSWER_LIMIT (16 times the work); nested repetition needs far more, or forever.
PROBE_LENGTH = ANSWER_LIMIT // 4
PROBE_TIMEOUT = 0.5
# A pattern that is merely slow on many probes is not probed past this many seconds in all.
PROBE_BUDGET = 2.0
# What a probe repeats: the pattern's own characters, then a letter, digit, space and the
# punctuation that separates words, alone and in pairs ("a a a ...", "0,0,0,...").
_PROBE_CHARACTERS = "aA0 \n\t.,-_:/é"
_PROBE_PAIRS = tuple(f"{word}{gap}" for word in "a0" for gap in " ,.\n-")
# Then something most patterns do not match, so that the engine must give up.
_PROBE_ENDS = ("!", "")
_METACHARACTERS = frozenset("\\()[]{}|*+?^$.")
TOO_SLOW = "this pattern takes too long on some answers (nested repetition?)"


def evaluate(
    expect: Mapping[str, Any], answer: str, *, timeout: float = MATCH_TIMEOUT
) -> list[str]:
    """The expectations the answer fails, each as describe() words it, in expect's order."""
    return [
        describe(key, value)
        for key, value in expect.items()
        if not _holds(key, value, answer, timeout)
    ]


def describe(key: str, value: Any) -> str:
    """An expectation as the user wrote it: `icontains "30 days"`, `max_chars 600`."""
    return f"{key} {json.dumps(value, ensure_ascii=False)}"


def fold(text: str) -> str:
    """Text as the `i` assertions compare it: NFKC, casefold, and NFKC again (casefold may
    leave a character decomposed), so that fullwidth "ACME" is "acme" and "Straße" is "STRASSE"."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def _holds(key: str, value: Any, answer: str, timeout: float) -> bool:
    if key in _REGEX:
        found = _search(value, answer, timeout)
        # A match that ran out of time proves neither presence nor absence: both fail.
        return found is not None and found == (key == "regex")
    return _MATCHERS[key](value, answer)


def _search(pattern: str, answer: str, timeout: float) -> bool | None:
    """Whether pattern is found in the answer's first ANSWER_LIMIT code points; None: timed out."""
    try:
        return _compiled(pattern).search(answer[:ANSWER_LIMIT], timeout=timeout) is not None
    except TimeoutError:
        return None


def _contains(value: str, answer: str) -> bool:
    return value in answer


def _icontains(value: str, answer: str) -> bool:
    return fold(value) in fold(answer)


_MATCHERS: dict[str, Callable[[Any, str], bool]] = {
    "equals": lambda value, answer: answer.strip() == value.strip(),
    "starts_with": lambda value, answer: answer.strip().startswith(value.strip()),
    "contains": _contains,
    "icontains": _icontains,
    "contains_any": lambda values, answer: any(_contains(v, answer) for v in values),
    "icontains_any": lambda values, answer: any(_icontains(v, answer) for v in values),
    "contains_all": lambda values, answer: all(_contains(v, answer) for v in values),
    "icontains_all": lambda values, answer: all(_icontains(v, answer) for v in values),
    "not_contains": lambda value, answer: not _contains(value, answer),
    "not_icontains": lambda value, answer: not _icontains(value, answer),
    # Code points, as Python counts a str: "é" written precomposed is one, decomposed two.
    "max_chars": lambda value, answer: len(answer) <= value,
}
_REGEX = ("regex", "not_regex")
assert set(ASSERTIONS) == {*_MATCHERS, *_REGEX}, "every assertion key has its matcher"


# --- the preview's check of a pattern ------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def regex_problem(pattern: str) -> str | None:
    """What is wrong with a `regex`/`not_regex` pattern, or None: Python's re must read it, and
    it must not take too long on some answer (probed on answers built to make it backtrack)."""
    try:
        re.compile(pattern)
    except re.error as exc:
        at = f" at position {exc.pos}" if exc.pos is not None else ""
        return f"not a regular expression Python reads: {exc.msg}{at}"
    try:
        compiled = _compiled(pattern)
    except regex.error as exc:
        return f"this pattern cannot be run with a time limit (the regex module refuses it: {exc})"
    return TOO_SLOW if _too_slow(compiled, pattern) else None


def _too_slow(compiled: regex.Pattern[str], pattern: str) -> bool:
    """Whether one of the probes outlasts PROBE_TIMEOUT (probing stops after PROBE_BUDGET)."""
    started = time.monotonic()
    for probe in _probes(pattern):
        try:
            compiled.search(probe, timeout=PROBE_TIMEOUT)
        except TimeoutError:
            return True
        if time.monotonic() - started > PROBE_BUDGET:
            return False
    return False


def _probes(pattern: str) -> list[str]:
    """Answers of about PROBE_LENGTH code points: a unit repeated, then an end the match fails."""
    own = [char for char in dict.fromkeys(pattern) if char not in _METACHARACTERS]
    units = [*dict.fromkeys([*own[:16], *_PROBE_CHARACTERS]), *_PROBE_PAIRS]
    return [unit * (PROBE_LENGTH // len(unit)) + end for unit in units for end in _PROBE_ENDS]


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str) -> regex.Pattern[str]:
    # VERSION0: the regex module's re-compatible behaviour, the syntax of record being re's.
    return regex.compile(pattern, regex.VERSION0)
