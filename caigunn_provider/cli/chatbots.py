"""`chatbots`: every chatbot of the account, with its plan and the stack entry that manages it."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from caigunn_provider.cli.account import Account, chatbots_of, connect
from caigunn_provider.cli.common import EXIT_OK, add_progress_flag, new_parser, run
from caigunn_provider.cli.managed import Manager, managed
from caigunn_provider.cli.output import Progress, counted, print_json, print_table
from caigunn_provider.cli.workspace import Workspace, open_workspace
from caigunn_provider.client import ChatbotRow

EXAMPLE = """\
  python -m caigunn_provider chatbots
  python -m caigunn_provider chatbots --stack prod --progress
  python -m caigunn_provider chatbots --json | jq -r '.chatbots[] | select(.managed_by == null)'"""
UNMANAGED = "unmanaged"
NO_STACK = "note: no Pulumi stack is selected, so no chatbot is shown as managed (pass --stack)"


def main(argv: Sequence[str]) -> int:
    parser = new_parser(
        "chatbots",
        "List every chatbot of the CaiGunn account: id, title, plan (where the API lists it)\n"
        "and the entry of the stack that manages it, from the stack's state, else from the\n"
        "stack file's import: keys; 'unmanaged' when none does.",
        EXAMPLE,
    )
    add_progress_flag(parser)
    args = parser.parse_args(argv)
    return run(lambda: _chatbots(args.stack, as_json=args.json, progress=args.progress))


def _chatbots(stack: str | None, *, as_json: bool, progress: bool | None) -> int:
    workspace = open_workspace(stack)
    account = connect(workspace.settings())
    shown = Progress(progress)
    try:
        rows = chatbots_of(account, on_progress=shown)
    finally:
        shown.done()
        account.close()
    if workspace.stack is None:
        print(NO_STACK, file=sys.stderr)
    managers = managed(workspace, strict=False).by_id
    if as_json:
        listed = [_json_row(row, account, managers.get(row.id)) for row in rows]
        print_json({"stack": workspace.stack, "chatbots": listed})
    else:
        _print(rows, account, managers, workspace)
    return EXIT_OK


def _json_row(row: ChatbotRow, account: Account, manager: Manager | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "plan_id": row.plan_id,
        "plan": account.plan_name(row.plan_id),
        "managed_by": manager.name if manager else None,
        "managed_from": manager.source if manager else None,
    }


def _print(
    rows: list[ChatbotRow], account: Account, managers: Mapping[str, Manager], workspace: Workspace
) -> None:
    if not rows:
        print("This CaiGunn account has no chatbots.")
        return
    table = [
        [row.id, row.title, _plan(row, account), _manager(managers.get(row.id))] for row in rows
    ]
    print_table(["ID", "TITLE", "PLAN", "MANAGED BY"], table)
    unmanaged = sum(1 for row in rows if row.id not in managers)
    where = f" by stack {workspace.stack}" if workspace.stack else ""
    summary = f"{len(rows) - unmanaged} managed{where}, {unmanaged} unmanaged"
    print(f"\n{counted(len(rows), 'chatbot')}: {summary}.")
    if not account.caps.lists_plans:
        print("Plans are not shown: this CaiGunn API does not list them.")
    if unmanaged and workspace.stack:
        print(
            "`python -m caigunn_provider adopt` writes stack-file entries for the unmanaged ones."
        )


def _plan(row: ChatbotRow, account: Account) -> str:
    if row.plan_id is None:
        return "-"
    return account.plan_name(row.plan_id) or row.plan_id


def _manager(manager: Manager | None) -> str:
    if manager is None:
        return UNMANAGED
    if manager.source == "stack file":
        # Declared with import: but not adopted yet: the next `pulumi up` adopts it.
        return f"{manager.name} (import: on next up)"
    return manager.name
