"""Asking an entry's checks: each question under a fresh conversation, a few at a time, and the
verdict (passed, failed, or unchecked when a question could not be asked).

Used by the Serving step (kinds/checks/serving.py), which stops as soon as the checks can no longer
pass, and by `python -m caigunn_provider check`, which asks them all. A talk is never sent again:
after a timeout or a 5xx it may have been answered and counted (kinds/checks/talk.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from caigunn_provider.errors import CaiGunnError
from caigunn_provider.kinds.checks.assertions import evaluate
from caigunn_provider.kinds.checks.spec import CheckSpec

# Asks one question under a fresh uid; raises CaiGunnError when it cannot.
Talk = Callable[[str], str]

# How much of an answer a report shows, on one line.
SHOWN_ANSWER = 200
# Questions in flight at once: few, so that a failing candidate is stopped early.
AT_ONCE = 4


def one_line(answer: str, limit: int = SHOWN_ANSWER) -> str:
    """The answer on one line, cut at `limit` characters (an ellipsis says it was cut)."""
    flat = " ".join(answer.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass(frozen=True)
class Failure:
    """One answer that did not satisfy its check."""

    where: str
    ask: str
    expectation: str
    answer: str


@dataclass(frozen=True)
class CheckOutcome:
    """What asking one check gave."""

    check: CheckSpec
    asked: int
    passed: int
    failures: tuple[Failure, ...]
    # Why it could not be asked (one sentence), or None.
    unchecked: str | None = None

    @property
    def ok(self) -> bool:
        return self.unchecked is None and self.passed >= self.check.min_pass


@dataclass(frozen=True)
class Verdict:
    """The checks' outcome: passed, failed (some check cannot reach min_pass) or unchecked."""

    outcome: str
    checks: tuple[CheckOutcome, ...]
    talks: int
    reason: str | None = None

    def failures(self) -> list[Failure]:
        """The failed answers of the checks that failed, in check order."""
        return [f for c in self.checks if not c.ok and not c.unchecked for f in c.failures]


class _Tally:
    """The answers so far, per check, shared by the asking threads."""

    def __init__(self, checks: Sequence[CheckSpec]) -> None:
        self.checks = list(checks)
        self.asked = [0] * len(checks)
        self.passed = [0] * len(checks)
        self.failures: list[list[Failure]] = [[] for _ in checks]
        self.unchecked: dict[int, str] = {}
        self.talks = 0
        self.lock = threading.Lock()

    def record(self, index: int, answer: str) -> None:
        check = self.checks[index]
        failed = evaluate(check.expect, answer)
        with self.lock:
            self.asked[index] += 1
            if failed:
                shown = one_line(answer)
                self.failures[index] += [
                    Failure(check.where, check.ask, what, shown) for what in failed[:1]
                ]
            else:
                self.passed[index] += 1

    def lost(self, index: int) -> bool:
        """True once check `index` can no longer reach its min_pass."""
        check = self.checks[index]
        failed = self.asked[index] - self.passed[index]
        return failed > check.repeat - check.min_pass

    def verdict(self) -> Verdict:
        outcomes = tuple(
            CheckOutcome(
                check,
                self.asked[i],
                self.passed[i],
                tuple(self.failures[i]),
                self.unchecked.get(i),
            )
            for i, check in enumerate(self.checks)
        )
        if any(self.lost(i) for i in range(len(self.checks))):
            outcome = "failed"
        elif self.unchecked or any(not c.ok for c in outcomes):
            outcome = "unchecked"
        else:
            outcome = "passed"
        reason = next(iter(self.unchecked.values()), None)
        return Verdict(outcome, outcomes, self.talks, reason)


def run_checks(
    talk: Talk,
    checks: Sequence[CheckSpec],
    *,
    at_once: int = AT_ONCE,
    stop_early: bool = True,
    time_limit: float | None = None,
) -> Verdict:
    """Ask every check `repeat` times, `at_once` questions at a time.

    stop_early: stop asking (questions in flight are let finish) as soon as one check can no
    longer pass or one question could not be asked, so that a failing candidate serves no longer
    than it must. A failure to ask makes the verdict `unchecked` unless a check had already failed.
    time_limit: seconds after which no question is sent; what is left unasked is unchecked.
    """
    started = time.monotonic()
    tally = _Tally(checks)
    queue = [
        (i, n)
        for n in range(max((c.repeat for c in checks), default=0))
        for i, c in enumerate(checks)
        if n < c.repeat
    ]

    def ask(index: int) -> None:
        try:
            answer = talk(checks[index].ask)
        except CaiGunnError as exc:
            with tally.lock:
                tally.talks += 1  # it may have been answered and counted
                tally.unchecked.setdefault(index, str(exc))
            return
        with tally.lock:
            tally.talks += 1
        tally.record(index, answer)

    def stopped() -> bool:
        with tally.lock:
            if tally.unchecked:
                return True
            return any(tally.lost(i) for i in range(len(checks)))

    with ThreadPoolExecutor(max_workers=max(1, at_once), thread_name_prefix="checks") as pool:
        pending: set[Future[None]] = set()
        for index, _ in queue:
            while len(pending) >= at_once:
                _, pending = wait(pending, return_when=FIRST_COMPLETED)
            if stop_early and stopped():
                break
            if time_limit is not None and time.monotonic() - started > time_limit:
                with tally.lock:
                    tally.unchecked.setdefault(
                        index,
                        f"the checks took longer than the {time_limit:g} s a candidate may serve",
                    )
                break
            pending.add(pool.submit(ask, index))
        wait(pending)
    return tally.verdict()
