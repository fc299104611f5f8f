"""`adopt`: a stack-file entry with `import:` for each chatbot no stack of the project manages.

A chatbot another stack of the project manages is never offered: two stacks managing one chatbot
would undo each other's changes. In a project whose Python program declares its chatbots itself
(`caigunn.declare`), there is no stack file to write: adopt prints the lines to paste instead.
"""

from __future__ import annotations

import argparse
import json
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
from caigunn_provider.cli.managed import Managed, Manager, managed
from caigunn_provider.cli.names import assign
from caigunn_provider.cli.output import Progress, cell_text, counted, print_json, print_table
from caigunn_provider.cli.stackedit import NewEntry
from caigunn_provider.cli.stacks import Unread, unread_json, unread_text, warn_unread
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
  python -m caigunn_provider adopt --id 605cec4d-30c1-4ef6-92eb-1c8c9588b726 --write
                                                # only that chatbot
  python -m caigunn_provider adopt --plan-id 3fa85f64-5717-4562-b3fc-2c963f66afa6 --write
                                                # seed-level API: it does not list plans"""
SCHEMA = Path("schema") / "stack-file.schema.json"
# A program's caigunn.declare({...}) items sit two levels in (examples/program/__main__.py).
PROGRAM_INDENT = " " * 8


@dataclass
class Plan:
    """What adopt writes: the entries, the chatbots left out and why, and those another stack
    of the project manages (never offered)."""

    entries: list[NewEntry]
    skipped: list[tuple[ChatbotRow, str]]
    elsewhere: list[tuple[ChatbotRow, Manager]]


def main(argv: Sequence[str]) -> int:
    parser = new_parser(
        "adopt",
        "Write a stack-file entry with `import: <id>` for every chatbot of the account that no\n"
        "stack of the project manages: a logical name from its title, its title and its plan_id.\n"
        "Without --write it only shows them. The next `pulumi up` adopts them, creating nothing.\n"
        "Chatbots another stack manages are skipped. In a project whose Python program declares\n"
        "its chatbots (caigunn.declare), it prints the caigunn.ChatbotArgs lines to paste.",
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
    parser.add_argument(
        "--id",
        dest="ids",
        type=_uuid,
        action="append",
        metavar="UUID",
        help="adopt only this chatbot (repeatable); refused when a stack already manages it",
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
    program = workspace.declaring_program()
    if program is not None and args.write:
        raise CliError(
            f"{workspace.shown(program)} declares its chatbots in Python and reads no "
            f"{workspace.shown(path)}, so adopt has no file to write: run it without --write "
            "and paste the lines it prints into the program's caigunn.declare(...) call."
        )
    shown = workspace.shown(path)
    declared = _declared(path, shown) if program is None else {}
    known = managed(workspace, strict=True, others=True)
    _check_unread(known.unread, written=args.write, chosen=bool(args.ids))
    account = connect(workspace.settings())
    try:
        plan = _read_plan(account, args, known, declared, workspace)
    finally:
        account.close()
    if args.write and plan.entries:
        _write(workspace, path, plan.entries)
    _report(
        plan,
        workspace,
        shown,
        account,
        known.unread,
        written=args.write,
        as_json=args.json,
        program=workspace.shown(program) if program is not None else None,
    )
    return EXIT_ERROR if plan.skipped else EXIT_OK


def _read_plan(
    account: Account,
    args: argparse.Namespace,
    known: Managed,
    declared: dict[str, ChatbotSpec],
    workspace: Workspace,
) -> Plan:
    """The account's chatbots read, and the entries for those no stack manages."""
    _check_plan_flag(account, args.plan_id)
    progress = Progress(args.progress)
    try:
        rows = _chosen(chatbots_of(account, on_progress=progress), args.ids, known, workspace)
    finally:
        progress.done()
    plan = _plan(
        account,
        [row for row in rows if known.first(row.id) is None],
        set(declared) | known.state_names,
        args.plan_id,
        by_name=any(spec.plan is not None for spec in declared.values()),
    )
    plan.elsewhere = _elsewhere(rows, known)
    return plan


def _check_unread(unread: tuple[Unread, ...], *, written: bool, chosen: bool) -> None:
    """--write stops when another stack could not be read, unless the chatbots are named with
    --id: a chatbot that stack manages would get a second one."""
    if unread and written and not chosen:
        names = [item.stack for item in unread if item.stack is not None]
        fix = (
            f"`pulumi stack export --stack {names[0]}`"
            if len(names) == len(unread) == 1
            else "`pulumi stack ls` and `pulumi stack export --stack NAME`"
        )
        raise CliError(
            f"{unread_text(unread)}, so a chatbot managed there could be given a second stack; "
            f"nothing was written.\nMake {fix} work, or adopt the chatbots you know are free "
            "with --id UUID --write."
        )


def _chosen(
    rows: list[ChatbotRow], ids: list[str] | None, known: Managed, workspace: Workspace
) -> list[ChatbotRow]:
    """The chatbots --id names (all without it); CliError for one that is not in the account or
    that a stack already manages."""
    if not ids:
        return rows
    by_id = {row.id: row for row in rows}
    for chatbot_id in ids:
        row = by_id.get(chatbot_id)
        if row is None:
            raise CliError(
                f"this CaiGunn account has no chatbot {chatbot_id} "
                "(`python -m caigunn_provider chatbots` lists them)."
            )
        manager = known.first(chatbot_id)
        if manager is not None:
            raise CliError(_taken(row, manager, workspace))
    return [by_id[chatbot_id] for chatbot_id in dict.fromkeys(ids)]


def _taken(row: ChatbotRow, manager: Manager, workspace: Workspace) -> str:
    """Why --id refuses a chatbot a stack manages, in one sentence naming the stack and entry."""
    how = "declares it with import:" if manager.source == "stack file" else "manages it"
    if manager.stack is None:
        return (
            f"chatbot {row.id} ({row.title!r}) is not adopted again: entry {manager.name!r} of "
            f"this stack ({workspace.stack}) {how} already."
        )
    return (
        f"chatbot {row.id} ({row.title!r}) is not adopted: entry {manager.name!r} of stack "
        f"{manager.stack!r} {how}, and two stacks managing one chatbot would undo each other's "
        "changes."
    )


def _elsewhere(rows: list[ChatbotRow], known: Managed) -> list[tuple[ChatbotRow, Manager]]:
    """The chatbots left to the other stack that manages them (this stack manages none)."""
    found: list[tuple[ChatbotRow, Manager]] = []
    for row in rows:
        manager = known.first(row.id)
        if manager is not None and manager.stack is not None:
            found.append((row, manager))
    return found


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
    return Plan(kept, skipped, [])


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
    unread: tuple[Unread, ...],
    *,
    written: bool,
    as_json: bool,
    program: str | None,
) -> None:
    if as_json:
        print_json(_json(plan, workspace, shown, unread, written=written, program=program))
    elif program is not None:
        _print_program(plan, workspace, account, program)
    else:
        _print(plan, workspace, shown, account, written=written)
    warn_unread(unread, "a chatbot managed there may be among those offered")
    for row, reason in plan.skipped:
        print(f"warning: chatbot {row.id} ({row.title!r}) was left out: {reason}", file=sys.stderr)


def _json(
    plan: Plan,
    workspace: Workspace,
    shown: str,
    unread: tuple[Unread, ...],
    *,
    written: bool,
    program: str | None,
) -> dict[str, Any]:
    return {
        "stack": workspace.stack,
        "stack_file": shown if program is None else None,
        "program": program,
        "written": written and bool(plan.entries),
        "entries": [_entry_json(entry, python=program is not None) for entry in plan.entries],
        "skipped": [{"id": row.id, "title": row.title, "reason": why} for row, why in plan.skipped],
        "managed_elsewhere": [
            {"id": row.id, "title": row.title, "stack": manager.stack, "entry": manager.name}
            for row, manager in plan.elsewhere
        ],
        "unread_stacks": unread_json(unread),
    }


def _entry_json(entry: NewEntry, *, python: bool) -> dict[str, Any]:
    found = {
        "name": entry.name,
        "import": entry.chatbot_id,
        "title": entry.title,
        "plan_id": entry.plan_id,
        "plan": entry.plan,
    }
    return {**found, "python": python_line(entry)} if python else found


def python_line(entry: NewEntry) -> str:
    """The entry as a program declares it: one item of the caigunn.declare({...}) mapping.

    JSON's string escapes are Python's too, so any title comes out as a valid literal.
    """
    title = json.dumps(entry.title, ensure_ascii=False)
    plan = f"  # {cell_text(entry.plan, limit=80)}" if entry.plan else ""
    return (
        f"{json.dumps(entry.name)}: caigunn.ChatbotArgs(title={title}, "
        f'plan_id="{entry.plan_id}", import_="{entry.chatbot_id}"),{plan}'
    )


def _elsewhere_line(plan: Plan) -> str | None:
    """`Skipped 2 chatbots that stack prod manages.` (per stack when there are several)."""
    if not plan.elsewhere:
        return None
    counts: dict[str, int] = {}
    for _row, manager in plan.elsewhere:
        stack = manager.stack or ""
        counts[stack] = counts.get(stack, 0) + 1
    chatbots = counted(len(plan.elsewhere), "chatbot")
    if len(counts) == 1:
        [stack] = counts
        return f"Skipped {chatbots} that stack {stack} manages."
    each = ", ".join(f"{count} of stack {stack}" for stack, count in sorted(counts.items()))
    return f"Skipped {chatbots} that other stacks manage: {each}."


def _nothing(plan: Plan, workspace: Workspace) -> None:
    """What is said when there is nothing to adopt (the left-out ones are warned about)."""
    skipped = _elsewhere_line(plan)
    if skipped is not None:
        print(f"{skipped}\nNothing else to adopt.")
    elif not plan.skipped:
        print(f"Every chatbot is managed by stack {workspace.stack}: nothing to adopt.")


def _print(
    plan: Plan, workspace: Workspace, shown: str, account: Account, *, written: bool
) -> None:
    if not plan.entries:
        _nothing(plan, workspace)
        return
    print_table(
        ["NAME", "CHATBOT ID", "TITLE", "PLAN"],
        [[e.name, e.chatbot_id, e.title, e.plan or e.plan_id] for e in plan.entries],
    )
    print()
    skipped = _elsewhere_line(plan)
    if skipped is not None:
        print(skipped)
    count = counted(len(plan.entries), "entry", "entries")
    them = "it" if len(plan.entries) == 1 else "them"
    if written:
        print(f"Added {count} to {shown}. The next `pulumi up` adopts {them} and creates nothing.")
    else:
        print(f"Would add {count} to {shown}. Nothing was written: run again with --write.")
    if not account.caps.lists_plans:
        print("Their plan_id is the --plan-id given: this CaiGunn API cannot confirm it.")


def _print_program(plan: Plan, workspace: Workspace, account: Account, program: str) -> None:
    """Lines to paste into the program's caigunn.declare({...}) mapping: comments and items,
    indented as its entries are, so that the whole output can be pasted."""
    if not plan.entries:
        _nothing(plan, workspace)
        return
    lines = [f"# {line}" for line in [_elsewhere_line(plan)] if line is not None]
    lines.append(
        f"# {program} reads no stack file: paste these into its caigunn.declare({{...}}) "
        "mapping; the next `pulumi up` adopts them and creates nothing."
    )
    if not account.caps.lists_plans:
        lines.append("# Their plan_id is the --plan-id given: this CaiGunn API cannot confirm it.")
    lines += [python_line(entry) for entry in plan.entries]
    print("\n".join(PROGRAM_INDENT + line for line in lines))
