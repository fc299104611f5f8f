"""Asking checks (kinds/checks/runner.py): repeat and min_pass, stopping early, unchecked."""

from __future__ import annotations

import threading

from caigunn_provider.errors import APIConnectionError
from caigunn_provider.kinds.checks.runner import one_line, run_checks
from caigunn_provider.kinds.checks.spec import CheckSpec

RETURNS = CheckSpec("How many days for returns?", {"icontains": "30 days"}, where="s.yaml:3")
ACME = CheckSpec("Do you sell Acme?", {"not_icontains": "acme"}, repeat=3, min_pass=2)


class Bot:
    """Answers from a table, counting the questions; `fail` raises for those questions."""

    def __init__(self, answers: dict[str, list[str]], fail: tuple[str, ...] = ()) -> None:
        self.answers = {q: list(a) for q, a in answers.items()}
        self.fail = fail
        self.asked: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, question: str) -> str:
        with self.lock:
            self.asked.append(question)
            if question in self.fail:
                raise APIConnectionError(
                    "POST /talk: connection refused", method="POST", url="/talk", reached=True
                )
            answers = self.answers[question]
            return answers.pop(0) if len(answers) > 1 else answers[0]


def test_every_check_passing_passes_and_counts_each_talk() -> None:
    bot = Bot({RETURNS.ask: ["Within 30 Days."], ACME.ask: ["We sell our own brand."]})
    verdict = run_checks(bot, [RETURNS, ACME])
    assert verdict.outcome == "passed"
    assert verdict.talks == 4 == len(bot.asked)
    assert verdict.failures() == []


def test_min_pass_lets_one_of_three_answers_fail() -> None:
    bot = Bot({ACME.ask: ["Acme, yes", "No.", "No."]})
    verdict = run_checks(bot, [ACME], at_once=1)
    assert verdict.outcome == "passed"
    assert verdict.checks[0].passed == 2


def test_a_check_that_can_no_longer_pass_stops_the_asking() -> None:
    many = CheckSpec("Do you sell Acme?", {"not_icontains": "acme"}, repeat=10, min_pass=10)
    bot = Bot({many.ask: ["Acme!"]})
    verdict = run_checks(bot, [many, RETURNS], at_once=1)
    assert verdict.outcome == "failed"
    assert len(bot.asked) == 1, bot.asked
    [failure] = verdict.failures()
    assert failure.expectation.startswith("not_icontains")
    assert failure.answer == "Acme!"


def test_a_question_that_cannot_be_asked_makes_it_unchecked_and_is_never_sent_again() -> None:
    bot = Bot({ACME.ask: ["No."]}, fail=(RETURNS.ask,))
    verdict = run_checks(bot, [RETURNS, ACME], at_once=1)
    assert verdict.outcome == "unchecked"
    assert "connection refused" in str(verdict.reason)
    assert bot.asked.count(RETURNS.ask) == 1


def test_without_stopping_early_every_question_is_asked() -> None:
    bot = Bot({RETURNS.ask: ["I don't know."], ACME.ask: ["No."]})
    verdict = run_checks(bot, [RETURNS, ACME], stop_early=False)
    assert verdict.outcome == "failed"
    assert len(bot.asked) == 4


def test_past_the_time_limit_nothing_more_is_asked() -> None:
    bot = Bot({RETURNS.ask: ["30 days"], ACME.ask: ["No."]})
    verdict = run_checks(bot, [RETURNS, ACME], at_once=1, time_limit=0.0)
    assert verdict.outcome == "unchecked"
    assert "longer than" in str(verdict.reason)
    assert len(bot.asked) <= 1


def test_an_answer_is_shown_on_one_line_cut_at_200() -> None:
    shown = one_line("a\nb  " + "x" * 300)
    assert "\n" not in shown and len(shown) == 200 and shown.endswith("…")
