"""`chatbots`: every chatbot of the account, with its plan and the stack entry that manages it."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from caigunn_provider.cli.account import Account, chatbots_of, connect
from caigunn_provider.cli.common import EXIT_OK, add_progress_flag, new_parser, run
from caigunn_provider.cli.managed import Manager, managed
from caigunn_provider.cli.output import Progress, counted, print_json, print_table
from caigunn_provider.cli.workspace import Workspace, open_workspace
from caigunn_provider.client import ChatbotRow
from caigunn_provider.config import DEFAULT_EXPIRY_WARNING_DAYS, expiry_warning_days

EXAMPLE = """\
  python -m caigunn_provider chatbots
  python -m caigunn_provider chatbots --stack prod --progress
  python -m caigunn_provider chatbots --json | jq -r '.chatbots[] | select(.managed_by == null)'"""
UNMANAGED = "unmanaged"
# A period ending within caigunn:expiryWarningDays (or over already) is marked in EXPIRES.
SOON_MARK = "!"
NO_STACK = "note: no Pulumi stack is selected, so no chatbot is shown as managed (pass --stack)"


def main(argv: Sequence[str]) -> int:
    parser = new_parser(
        "chatbots",
        "List every chatbot of the CaiGunn account: id, title, plan (where the API lists it),\n"
        "when its plan period ends (EXPIRES, current API level; marked ! within\n"
        f"caigunn:expiryWarningDays, default {DEFAULT_EXPIRY_WARNING_DAYS} days, as preview "
        "warns)\n"
        "and the entry of the stack that manages it, from the stack's state, else from the\n"
        "stack file's import: keys; 'unmanaged' when none does.",
        EXAMPLE,
    )
    add_progress_flag(parser)
    args = parser.parse_args(argv)
    return run(lambda: _chatbots(args.stack, as_json=args.json, progress=args.progress))


def _chatbots(stack: str | None, *, as_json: bool, progress: bool | None) -> int:
    workspace = open_workspace(stack)
    settings = workspace.settings()
    # The same days as the warnings of preview and up (a bad value is refused there as here).
    within = timedelta(days=expiry_warning_days(workspace.config, os.environ))
    account = connect(settings)
    shown = Progress(progress)
    ends: dict[str, datetime | None] = {}
    try:
        rows = chatbots_of(account, on_progress=shown, period_ends=ends)
    finally:
        shown.done()
        account.close()
    if workspace.stack is None:
        print(NO_STACK, file=sys.stderr)
    managers = managed(workspace, strict=False).by_id
    if as_json:
        now = datetime.now(UTC)
        listed = [
            _json_row(row, account, managers.get(row.id), ends.get(row.id), now, within)
            for row in rows
        ]
        print_json({"stack": workspace.stack, "chatbots": listed})
    else:
        _print(rows, account, managers, ends, workspace, within)
    return EXIT_OK


def _json_row(
    row: ChatbotRow,
    account: Account,
    manager: Manager | None,
    end: datetime | None,
    now: datetime,
    within: timedelta,
) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "plan_id": row.plan_id,
        "plan": account.plan_name(row.plan_id),
        "expires_at": end.isoformat() if end else None,
        "expires_soon": _soon(end, now, within),
        "managed_by": manager.name if manager else None,
        "managed_from": manager.source if manager else None,
    }


def _print(
    rows: list[ChatbotRow],
    account: Account,
    managers: Mapping[str, Manager],
    ends: Mapping[str, datetime | None],
    workspace: Workspace,
    within: timedelta,
) -> None:
    if not rows:
        print("This CaiGunn account has no chatbots.")
        return
    now = datetime.now(UTC)
    table = [
        [
            row.id,
            row.title,
            _plan(row, account),
            _expires(ends.get(row.id), now, within),
            _manager(managers.get(row.id)),
        ]
        for row in rows
    ]
    print_table(["ID", "TITLE", "PLAN", "EXPIRES", "MANAGED BY"], table)
    unmanaged = sum(1 for row in rows if row.id not in managers)
    where = f" by stack {workspace.stack}" if workspace.stack else ""
    summary = f"{len(rows) - unmanaged} managed{where}, {unmanaged} unmanaged"
    print(f"\n{counted(len(rows), 'chatbot')}: {summary}.")
    soon = sum(1 for row in rows if _soon(ends.get(row.id), now, within))
    if soon:
        print(
            f"{SOON_MARK} {counted(soon, 'plan period')} {'ends' if soon == 1 else 'end'} within "
            f"{counted(within.days, 'day')} or {'has' if soon == 1 else 'have'} ended: renew in "
            "the CaiGunn "
            "console, or the chatbot stops answering."
        )
    if not account.caps.lists_plans:
        print("Plans and expiry are not shown: this CaiGunn API does not list them.")
    if unmanaged and workspace.stack:
        print(
            "`python -m caigunn_provider adopt` writes stack-file entries for the unmanaged ones."
        )


def _plan(row: ChatbotRow, account: Account) -> str:
    if row.plan_id is None:
        return "-"
    return account.plan_name(row.plan_id) or row.plan_id


def _soon(ends: datetime | None, now: datetime, within: timedelta) -> bool:
    return ends is not None and ends - now <= within


def _expires(ends: datetime | None, now: datetime, within: timedelta) -> str:
    """The period's last day (UTC); `!` when it ends soon, `! ended` when it is over."""
    if ends is None:
        return ""
    day = ends.astimezone(UTC).date().isoformat()
    if ends <= now:
        return f"{day} {SOON_MARK} ended"
    return f"{day} {SOON_MARK}" if _soon(ends, now, within) else day


def _manager(manager: Manager | None) -> str:
    if manager is None:
        return UNMANAGED
    if manager.source == "stack file":
        # Declared with import: but not adopted yet: the next `pulumi up` adopts it.
        return f"{manager.name} (import: on next up)"
    return manager.name
