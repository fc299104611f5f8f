"""What `check` found, said three ways: a line per check for people, JSON for scripts, and
JUnit XML for CI (one testsuite per entry, one testcase per check)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from caigunn_provider.cli.output import counted
from caigunn_provider.kinds.checks.runner import CheckOutcome, Verdict, one_line

Status = Literal["passed", "failed", "unchecked"]
SHOWN = {"passed": "PASS", "failed": "FAIL", "unchecked": "UNCHECKED"}
WIDTH = max(len(word) for word in SHOWN.values())
# Characters XML 1.0 cannot hold at all (an answer may carry them): shown escaped instead.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


@dataclass(frozen=True)
class EntryResult:
    """One entry's checks as asked (chatbot_id None: the entry manages no chatbot)."""

    entry: str
    chatbot_id: str | None
    verdict: Verdict


def status(outcome: CheckOutcome) -> Status:
    """failed once more answers failed than the check allows, whatever else happened; else
    unchecked when a question could not be asked; else passed."""
    check = outcome.check
    if outcome.asked - outcome.passed > check.repeat - check.min_pass:
        return "failed"
    if outcome.unchecked is not None or outcome.passed < check.min_pass:
        return "unchecked"
    return "passed"


def counts(results: Sequence[EntryResult]) -> dict[Status, int]:
    found: dict[Status, int] = {"passed": 0, "failed": 0, "unchecked": 0}
    for result in results:
        for outcome in result.verdict.checks:
            found[status(outcome)] += 1
    return found


def overall(results: Sequence[EntryResult]) -> Status:
    """failed when any check failed; else unchecked when any could not be asked; else passed."""
    found = counts(results)
    if found["failed"]:
        return "failed"
    return "unchecked" if found["unchecked"] else "passed"


def messages_spent(results: Sequence[EntryResult]) -> int:
    return sum(result.verdict.talks for result in results)


# --- for people -----------------------------------------------------------------------------------


def lines(result: EntryResult) -> list[str]:
    """One line per check: PASS, FAIL or UNCHECKED, the entry, the question, and why."""
    return [_line(result.entry, outcome) for outcome in result.verdict.checks]


def _line(entry: str, outcome: CheckOutcome) -> str:
    check = outcome.check
    said = status(outcome)
    where = f" ({check.where})" if check.where else ""
    head = f"{SHOWN[said]:<{WIDTH}}  {entry}  {_quoted(check.ask)}{where}"
    tally = (
        f"{outcome.passed} of {check.repeat} answers passed, {check.min_pass} needed"
        if check.repeat > 1
        else ""
    )
    if said == "failed":
        first = outcome.failures[0] if outcome.failures else None
        why = f"expected {first.expectation}, got {_quoted(first.answer)}" if first else "it failed"
        return f"{head}: {why}" + (f" ({tally})" if tally else "")
    if said == "unchecked":
        reason = one_line(outcome.unchecked or "not every answer came back", limit=300)
        return f"{head}: could not be asked: {reason}"
    return head + (f": {tally}" if tally else "")


def summary(results: Sequence[EntryResult]) -> str:
    found = counts(results)
    checks = sum(found.values())
    return (
        f"{counted(checks, 'check')} of {counted(len(results), 'entry', 'entries')}: "
        f"{found['passed']} passed, {found['failed']} failed, {found['unchecked']} unchecked; "
        f"{counted(messages_spent(results), 'message')} spent."
    )


def _quoted(text: str) -> str:
    # JSON quoting: a line break or an escape sequence in a question or answer stays on the line.
    return json.dumps(text, ensure_ascii=False)


# --- for scripts ----------------------------------------------------------------------------------


def as_json(stack: str | None, results: Sequence[EntryResult]) -> dict[str, Any]:
    return {
        "stack": stack,
        "outcome": overall(results),
        "messages": messages_spent(results),
        "entries": [
            {
                "entry": result.entry,
                "chatbot_id": result.chatbot_id,
                "outcome": result.verdict.outcome,
                "messages": result.verdict.talks,
                "checks": [_check_json(outcome) for outcome in result.verdict.checks],
            }
            for result in results
        ],
    }


def _check_json(outcome: CheckOutcome) -> dict[str, Any]:
    check = outcome.check
    return {
        "ask": check.ask,
        "where": check.where or None,
        "status": status(outcome),
        "repeat": check.repeat,
        "min_pass": check.min_pass,
        "asked": outcome.asked,
        "passed": outcome.passed,
        "failures": [
            {"expectation": failure.expectation, "answer": failure.answer}
            for failure in outcome.failures
        ],
        "unchecked": outcome.unchecked,
    }


# --- for CI ---------------------------------------------------------------------------------------


def write_junit(path: Path, results: Sequence[EntryResult]) -> None:
    """JUnit XML: a testsuite per entry, a testcase per check (name: the question, classname:
    the entry), a <failure> for a failed check, an <error> for one that could not be asked."""
    found = counts(results)
    root = ET.Element(
        "testsuites",
        name="caigunn checks",
        tests=str(sum(found.values())),
        failures=str(found["failed"]),
        errors=str(found["unchecked"]),
    )
    for result in results:
        mine = counts([result])
        suite = ET.SubElement(
            root,
            "testsuite",
            name=_xml(result.entry),
            tests=str(sum(mine.values())),
            failures=str(mine["failed"]),
            errors=str(mine["unchecked"]),
            skipped="0",
        )
        for outcome in result.verdict.checks:
            _testcase(suite, result.entry, outcome)
    ET.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _testcase(suite: ET.Element, entry: str, outcome: CheckOutcome) -> None:
    check = outcome.check
    case = ET.SubElement(suite, "testcase", name=_xml(check.ask), classname=_xml(entry))
    said = status(outcome)
    where = f"{check.where}: " if check.where else ""
    if said == "failed":
        first = outcome.failures[0] if outcome.failures else None
        message = (
            f"expected {first.expectation}, got {_quoted(first.answer)}" if first else "failed"
        )
        failure = ET.SubElement(case, "failure", message=_xml(message), type="expectation")
        details = [
            f"{where}{outcome.passed} of {check.repeat} answers passed, {check.min_pass} needed"
        ]
        details += [
            f"expected {item.expectation}, got {_quoted(item.answer)}" for item in outcome.failures
        ]
        failure.text = _xml("\n".join(details))
    elif said == "unchecked":
        reason = outcome.unchecked or "not every answer came back"
        error = ET.SubElement(
            case, "error", message=_xml(one_line(reason, limit=300)), type="unchecked"
        )
        error.text = _xml(f"{where}could not be asked: {reason}")


def _xml(text: str) -> str:
    return _NOT_XML.sub(lambda found: found.group().encode("unicode_escape").decode(), text)
