"""`check`: ask the stack file's answer checks of the chatbots as they serve now."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from caigunn_provider.cli.check_reports import (
    EntryResult,
    as_json,
    lines,
    overall,
    summary,
    write_junit,
)
from caigunn_provider.cli.common import EXIT_ERROR, EXIT_OK, EXIT_USAGE, new_parser, run
from caigunn_provider.cli.entries import (
    checks_of,
    entry_chatbots,
    talk_api,
    talking_account,
    unmanaged,
)
from caigunn_provider.cli.output import print_json
from caigunn_provider.cli.workspace import open_workspace
from caigunn_provider.kinds.checks.runner import CheckOutcome, Verdict, run_checks
from caigunn_provider.kinds.checks.spec import NICKNAME, ChecksSpec
from caigunn_provider.kinds.checks.talk import asker, talk_transport

EXAMPLE = """\
  python -m caigunn_provider check
  python -m caigunn_provider check support --stack prod
  python -m caigunn_provider check --junit build/checks.xml     # for the CI's test report"""
# A check failed: the chatbot answers, but not as the stack file expects.
EXIT_FAILED = 3
EXIT_CODES = f"""\
exit status:
  {EXIT_OK}  every check passed
  {EXIT_ERROR}  a check could not be asked (UNCHECKED), or the checks could not be run at all:
     CaiGunn refused or failed, a setting or the stack file is wrong (the message says which)
  {EXIT_USAGE}  the command line is wrong (unknown flag, malformed value)
  {EXIT_FAILED}  a check failed (whatever else happened)"""


def main(argv: Sequence[str]) -> int:
    parser = new_parser(
        "check",
        "Ask the answer checks the stack file declares (`checks:` and `checks_file:` of each\n"
        "entry) of the chatbots as they serve now, every check and every repeat, and say which\n"
        "passed. Each question is a conversation of its own (nickname "
        f"{NICKNAME}), sent once\nand never again: every question counts against the plan's "
        "message limit, and the\nsummary says how many were spent. Needs the current CaiGunn API.",
        EXAMPLE,
    )
    parser.epilog = f"example:\n{EXAMPLE}\n\n{EXIT_CODES}"
    parser.add_argument(
        "entries",
        nargs="*",
        metavar="ENTRY",
        help="only these entries' checks (default: every entry that declares checks)",
    )
    parser.add_argument(
        "--junit",
        type=Path,
        metavar="FILE",
        help="also write a JUnit XML report to FILE: a testsuite per entry, a testcase per check",
    )
    args = parser.parse_args(argv)
    return run(lambda: _check(args))


def _check(args: argparse.Namespace) -> int:
    workspace = open_workspace(args.stack)
    # The stack file first: a wrong one costs no request.
    declared = checks_of(workspace, args.entries)
    settings = workspace.settings()
    account = talking_account(settings, "asking the checks")
    try:
        chatbots = entry_chatbots(workspace, account, declared)
    finally:
        account.close()
    results: list[EntryResult] = []
    transport = talk_transport(settings)
    try:
        for entry, checks in declared.items():
            row = chatbots.get(entry)
            if row is None:
                verdict = unasked(checks, unmanaged(workspace, entry))
            else:
                ask = asker(talk_api(transport, row))
                verdict = run_checks(ask, checks.checks, stop_early=False)
            result = EntryResult(entry, row.id if row else None, verdict)
            results.append(result)
            if not args.json:
                # Each entry's lines as soon as its checks are asked.
                print("\n".join(lines(result)), flush=True)
    finally:
        transport.close()
    if args.json:
        print_json(as_json(workspace.stack, results))
    else:
        print(f"\n{summary(results)}")
    status = {"passed": EXIT_OK, "failed": EXIT_FAILED, "unchecked": EXIT_ERROR}[overall(results)]
    if args.junit is not None:
        try:
            write_junit(args.junit, results)
        except OSError as exc:
            print(f"error: the JUnit report could not be written: {exc}", file=sys.stderr)
            # A failed check still says so; otherwise the run did not do all it was asked.
            return status if status == EXIT_FAILED else EXIT_ERROR
        print(f"JUnit report: {args.junit}", file=sys.stderr)
    return status


def unasked(checks: ChecksSpec, reason: str) -> Verdict:
    """The verdict of checks that could not be asked at all: each unchecked, no message spent."""
    outcomes = tuple(CheckOutcome(check, 0, 0, (), reason) for check in checks.checks)
    return Verdict("unchecked", outcomes, 0, reason)
