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


def text(name: str, verdict: Verdict, model_id: str | None, served: float, *, kept: bool) -> str:
    """The report of a verdict that is not a pass."""
    model = f"model {model_id}" if model_id else "the new prompt"
    after = (
        "it keeps serving (caigunn:checksMode is report)"
        if kept
        else "the previous model and prompt were put back"
    )
    if verdict.outcome == "unchecked":
        head = (
            f"{name}: the answer checks could not be asked ({verdict.reason}); "
            f"the candidate ({model}) served {served:g} s and {after}. Nothing was promoted: "
            f"run `{RECHECK[1]}=1 pulumi up` to ask again."
        )
        return head
    failed = [c for c in verdict.checks if not c.ok and not c.unchecked]
    lines = [
        f"{name}: {len(failed)} of {len(verdict.checks)} answer check(s) failed on {model}, "
        f"which served {served:g} s; {after}:"
    ]
    for outcome in failed[:LISTED]:
        first = outcome.failures[0] if outcome.failures else None
        times = (
            f" ({outcome.passed} of {outcome.asked} answers passed, {outcome.check.min_pass} "
            "needed)"
            if outcome.check.repeat > 1
            else ""
        )
        if first is None:
            continue
        lines.append(
            f'  - asked "{first.ask}": expected {first.expectation}, answered "{first.answer}"'
            f"{times}"
        )
    if len(failed) > LISTED:
        lines.append(f"  ... and {len(failed) - LISTED} more")
    lines.append(
        f"A rerun asks nothing until the model, the prompt or the checks change "
        f"(or `{RECHECK[1]}=1 pulumi up` for answers that vary)."
    )
    return "\n".join(lines)


def failures_of(verdict: Verdict) -> list[dict[str, Any]]:
    """The failed answers as state: question, expectation, answer."""
    return [
        {"ask": f.ask, "expectation": f.expectation, "answer": f.answer}
        for f in verdict.failures()[:LISTED]
    ]
