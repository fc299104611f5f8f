"""`adopt`: a stack-file entry with `import:` for each chatbot no entry of the stack manages."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from caigunn_provider.cli import stackedit
from caigunn_provider.cli.account import Account, chatbots_of, connect
from caigunn_provider.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    CliError,
    add_progress_flag,
    new_parser,
    run,
)
from caigunn_provider.cli.managed import managed
from caigunn_provider.cli.names import assign
from caigunn_provider.cli.output import Progress, counted, print_json, print_table
from caigunn_provider.cli.stackedit import NewEntry
from caigunn_provider.cli.workspace import Workspace, open_workspace
from caigunn_provider.client import ChatbotRow
from caigunn_provider.errors import StackFileError
from caigunn_provider.ids import canonical_id
from caigunn_provider.kinds import load_stack_file
from caigunn_provider.kinds.chatbot.spec import ChatbotSpec

EXAMPLE = """\
  python -m caigunn_provider adopt              # show the entries it would add
  python -m caigunn_provider adopt --write      # add them to stacks/<stack>.yaml
  pulumi up                                     # adopts them all; creates nothing
  python -m caigunn_provider adopt --plan-id 3fa85f64-5717-4562-b3fc-2c963f66afa6 --write
                                                # seed-level API: it does not list plans"""
SCHEMA = Path("schema") / "stack-file.schema.json"


@dataclass
class Plan:
    """What adopt writes: the entries, the chatbots left out and why."""

    entries: list[NewEntry]
    skipped: list[tuple[ChatbotRow, str]]


def main(argv: Sequence[str]) -> int:
    parser = new_parser(
        "adopt",
        "Write a stack-file entry with `import: <id>` for every chatbot of the account that no\n"
        "entry of the stack manages: a logical name from its title, its title and its plan_id.\n"
        "Without --write it only shows them. The next `pulumi up` adopts them, creating nothing.",
        EXAMPLE,
    )
    parser.add_argument(
        "--write", action="store_true", help="add the entries to stacks/<stack>.yaml"
    )
    parser.add_argument(
        "--plan-id",
        type=_uuid,
        metavar="UUID",
        help="for a CaiGunn API that does not list plans (seed level), where it is required: "
        "the plan_id written for every adopted chatbot",
    )
    add_progress_flag(parser)
    args = parser.parse_args(argv)
    return run(lambda: _adopt(args))


def _uuid(text: str) -> str:
    found = canonical_id(text)
    if found is None:
        raise argparse.ArgumentTypeError(f"not a UUID: {text!r}")
    return found


def _adopt(args: argparse.Namespace) -> int:
    workspace = open_workspace(args.stack)
    path = workspace.stack_file
    if path is None:
        raise CliError(
            "no Pulumi stack is selected, so there is no stack file to add to.\n"
            "Select one (`pulumi stack select NAME`) or pass --stack NAME."
        )
    shown = workspace.shown(path)
    declared = _declared(path, shown)
    account = connect(workspace.settings())
    try:
        _check_plan_flag(account, args.plan_id)
        progress = Progress(args.progress)
        try:
            rows = chatbots_of(account, on_progress=progress)
        finally:
            progress.done()
        known = managed(workspace, strict=True)
        unmanaged = [row for row in rows if row.id not in known.by_id]
        plan = _plan(
            account,
            unmanaged,
            set(declared) | known.state_names,
            args.plan_id,
            by_name=any(spec.plan is not None for spec in declared.values()),
        )
    finally:
        account.close()
    if args.write and plan.entries:
        _write(workspace, path, plan.entries)
    _report(plan, workspace, shown, account, written=args.write, as_json=args.json)
    return EXIT_ERROR if plan.skipped else EXIT_OK


def _declared(path: Path, shown: str) -> dict[str, ChatbotSpec]:
    """The entries the stack file declares; StackFileError (nothing written) if it is invalid."""
    if not path.exists() or _only_comments(path):
        return {}
    try:
        return dict(load_stack_file(path).section("chatbots"))
    except StackFileError as exc:
        # Named as the user knows it (stacks/dev.yaml), not by its absolute path.
        raise StackFileError([p.replace(str(path), shown) for p in exc.problems]) from None


def _only_comments(path: Path) -> bool:
    # The loader calls such a file empty; adopt may fill it (say, one holding the schema line).
    try:
        return yaml.safe_load(path.read_bytes()) is None
    except yaml.YAMLError:
        return False


def _check_plan_flag(account: Account, plan_id: str | None) -> None:
    if not account.caps.lists_plans and plan_id is None:
        raise CliError(
            "this CaiGunn API does not say which plan a chatbot is on (it offers only the "
            "original list and create calls), and each entry needs a plan_id.\n"
            "Pass --plan-id <uuid> with the plan of the chatbots to adopt; it is written as "
            "given, since this API cannot confirm it."
        )
    if account.caps.lists_plans and plan_id is not None:
        raise CliError(
            "--plan-id is only for a CaiGunn API that does not list plans; this one says each "
            "chatbot's plan, and adopt writes that.\nRun again without --plan-id."
        )


def _plan(
    account: Account,
    rows: list[ChatbotRow],
    taken: set[str],
    given_plan: str | None,
    *,
    by_name: bool,
) -> Plan:
    """The entries to add; by_name: write `plan: <name>` where the name picks one plan, as the
    file's own entries do (an ambiguous name would be refused at preview, so its id is written)."""
    names = assign([(row.id, row.title) for row in rows], taken)
    entries: list[NewEntry] = []
    skipped: list[tuple[ChatbotRow, str]] = []
    for row in rows:
        plan_id = given_plan or row.plan_id
        if plan_id is None:
            skipped.append((row, "CaiGunn does not say which plan it is on"))
            continue
        plan_name = account.plan_name(plan_id)
        named = by_name and plan_name is not None and _unique(account, plan_name)
        entries.append(NewEntry(names[row.id], row.id, row.title, plan_id, plan_name, named))
    refused = stackedit.refused(entries)
    skipped += [(row, refused[row.id]) for row in rows if row.id in refused]
    kept = sorted((e for e in entries if e.chatbot_id not in refused), key=lambda e: e.name)
    return Plan(kept, skipped)


def _unique(account: Account, plan_name: str) -> bool:
    """Whether a plan name picks exactly one of the account's plans (names match case-blind)."""
    folded = plan_name.casefold()
    return sum(plan.title.casefold() == folded for plan in account.plans) == 1


def _write(workspace: Workspace, path: Path, entries: list[NewEntry]) -> None:
    shown = workspace.shown(path)
    if path.exists():
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    else:
        raw, text = b"", _new_file(workspace)
        path.parent.mkdir(parents=True, exist_ok=True)
    crlf = b"\r\n" in raw
    edited = stackedit.add_entries(text.replace("\r\n", "\n") if crlf else text, entries)
    new_text = edited.text.replace("\n", "\r\n") if crlf else edited.text
    stackedit.write_checked(path, new_text, shown, entries)
    if not edited.layout_kept:
        print(
            f"warning: the indentation of {shown} could not be kept exactly; review the change "
            "(git diff) before committing it",
            file=sys.stderr,
        )


def _new_file(workspace: Workspace) -> str:
    schema = workspace.root / SCHEMA
    header = f"# yaml-language-server: $schema=../{SCHEMA.as_posix()}\n" if schema.exists() else ""
    return f"{header}# The chatbots of stack {workspace.stack}.\nchatbots:\n"


def _report(
    plan: Plan,
    workspace: Workspace,
    shown: str,
    account: Account,
    *,
    written: bool,
    as_json: bool,
) -> None:
    if as_json:
        print_json(_json(plan, workspace, shown, written=written))
    else:
        _print(plan, workspace, shown, account, written=written)
    for row, reason in plan.skipped:
        print(f"warning: chatbot {row.id} ({row.title!r}) was left out: {reason}", file=sys.stderr)


def _json(plan: Plan, workspace: Workspace, shown: str, *, written: bool) -> dict[str, Any]:
    return {
        "stack": workspace.stack,
        "stack_file": shown,
        "written": written and bool(plan.entries),
        "entries": [
            {
                "name": entry.name,
                "import": entry.chatbot_id,
                "title": entry.title,
                "plan_id": entry.plan_id,
                "plan": entry.plan,
            }
            for entry in plan.entries
        ],
        "skipped": [{"id": row.id, "title": row.title, "reason": why} for row, why in plan.skipped],
    }


def _print(
    plan: Plan, workspace: Workspace, shown: str, account: Account, *, written: bool
) -> None:
    if not plan.entries:
        if not plan.skipped:
            print(f"Every chatbot is managed by stack {workspace.stack}: nothing to adopt.")
        return
    print_table(
        ["NAME", "CHATBOT ID", "TITLE", "PLAN"],
        [[e.name, e.chatbot_id, e.title, e.plan or e.plan_id] for e in plan.entries],
    )
    count = counted(len(plan.entries), "entry", "entries")
    them = "it" if len(plan.entries) == 1 else "them"
    if written:
        print(
            f"\nAdded {count} to {shown}. The next `pulumi up` adopts {them} and creates nothing."
        )
    else:
        print(f"\nWould add {count} to {shown}. Nothing was written: run again with --write.")
    if not account.caps.lists_plans:
        print("Their plan_id is the --plan-id given: this CaiGunn API cannot confirm it.")
