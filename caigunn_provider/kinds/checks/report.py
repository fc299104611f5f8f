"""The words of a verdict: one report per entry, the same in the failure, the state and the log.

For each failed check: the question, the expectation that failed, the answer (one line, cut at
200 characters); then the candidate's model id, the seconds it served, and what happened next.
"""

from __future__ import annotations

from typing import Any

from caigunn_provider.config import RECHECK
from caigunn_provider.kinds.checks.runner import Verdict

# How many failed checks a report lists before it says how many more there are.
LISTED = 10


# What happened to the candidate after its verdict, in words (the report's `after`).
KEPT_REPORTED = "it keeps serving (caigunn:checksMode is report)"
KEPT_ADOPTED = "it keeps serving (the run adopts the chatbot: checks are reported, not enforced)"
PUT_BACK = "the previous model and prompt were put back"
ALREADY_SERVING = "it was already serving, so nothing was put back"
NO_MODEL_BEFORE = (
    "the chatbot had no model before, so this one keeps answering (its prompt, if new, was put "
    "back)"
)


def text(name: str, verdict: Verdict, model_id: str | None, served: float, *, after: str) -> str:
    """The report of a verdict that is not a pass; `after` says what became of the candidate."""
    model = f"model {model_id}" if model_id else "the new prompt"
    enforced = after not in (KEPT_REPORTED, KEPT_ADOPTED)
    retry = (
        f"A rerun asks nothing until the model, the prompt or the checks change "
        f"(or `{RECHECK[1]}=1 pulumi up` for answers that vary)."
        if enforced
        else "The next change of the model, the prompt or the checks asks again."
    )
    served_words = f"served {served:g} s" if after != ALREADY_SERVING else "serves"
    if verdict.outcome == "unchecked":
        promoted = " Nothing was promoted." if enforced else ""
        return (
            f"{name}: the answer checks could not be asked ({verdict.reason}); the candidate "
            f"({model}) {served_words} and {after}.{promoted} {retry}"
        )
    failed = [c for c in verdict.checks if not c.ok and not c.unchecked]
    lines = [
        f"{name}: {len(failed)} of {len(verdict.checks)} answer check(s) failed on {model}, "
        f"which {served_words}; {after}:"
    ]
    for outcome in failed[:LISTED]:
        if not outcome.failures:
            continue
        first = outcome.failures[0]
        times = (
            f" ({outcome.passed} of {outcome.asked} answers passed, {outcome.check.min_pass} "
            "needed)"
            if outcome.check.repeat > 1
            else ""
        )
        lines.append(
            f'  - asked "{first.ask}": expected {first.expectation}, answered "{first.answer}"'
            f"{times}"
        )
    if len(failed) > LISTED:
        lines.append(f"  ... and {len(failed) - LISTED} more")
    lines.append(retry)
    return "\n".join(lines)


def failures_of(verdict: Verdict) -> list[dict[str, Any]]:
    """The failed answers as state: question, expectation, answer."""
    return [
        {"ask": f.ask, "expectation": f.expectation, "answer": f.answer}
        for f in verdict.failures()[:LISTED]
    ]
