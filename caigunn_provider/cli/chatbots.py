"""`chatbots`: every chatbot of the account, with its plan and the stack entry that manages it:
an entry of this stack, or of another stack of the project (`prod: support`)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from caigunn_provider.cli.account import Account, chatbots_of, connect
from caigunn_provider.cli.common import EXIT_OK, add_progress_flag, new_parser, run
from caigunn_provider.cli.managed import Managed, Manager, managed
from caigunn_provider.cli.output import Progress, counted, print_json, print_table
from caigunn_provider.cli.stacks import unread_json, warn_unread
from caigunn_provider.cli.workspace import Workspace, open_workspace
from caigunn_provider.client import ChatbotRow
from caigunn_provider.config import DEFAULT_EXPIRY_WARNING_DAYS, expiry_warning_days

EXAMPLE = """\
  python -m caigunn_provider chatbots
  python -m caigunn_provider chatbots --stack prod --progress
  python -m caigunn_provider chatbots --json | jq -r '.chatbots[] | select(.managed_by == null)'"""
UNMANAGED = "unmanaged"
# Unmanaged as far as the stacks that could be read tell: another stack's state was unreadable.
UNMANAGED_MAYBE = "unmanaged?"
# A period ending within caigunn:expiryWarningDays (or over already) is marked in EXPIRES.
SOON_MARK = "!"
NO_STACK = "note: no Pulumi stack is selected, so no chatbot is shown as managed (pass --stack)"
NO_STACK_HERE = (
    "note: no Pulumi stack is selected, so each chatbot is shown with the stack of the project "
    "that manages it (pass --stack for yours)"
)
UNREAD_MEANS = f"a chatbot managed there is shown as {UNMANAGED_MAYBE!r}"


def main(argv: Sequence[str]) -> int:
    parser = new_parser(
        "chatbots",
        "List every chatbot of the CaiGunn account: id, title, plan (where the API lists it),\n"
        "when its plan period ends (EXPIRES, current API level; marked ! within\n"
        f"caigunn:expiryWarningDays, default {DEFAULT_EXPIRY_WARNING_DAYS} days, as preview "
        "warns)\n"
        "and the entry that manages it, from the stack's state, else from the stack file's\n"
        "import: keys: this stack's (`support`) or another stack's of the project\n"
        "(`prod: support`); 'unmanaged' when none does ('unmanaged?' when a stack could not\n"
        "be read).",
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
        print(NO_STACK_HERE if workspace.has_project else NO_STACK, file=sys.stderr)
    known = managed(workspace, strict=False, others=True)
    warn_unread(known.unread, UNREAD_MEANS)
    if as_json:
        now = datetime.now(UTC)
        listed = [
            _json_row(row, account, known, ends.get(row.id), now, within, workspace.stack)
            for row in rows
        ]
        print_json(
            {
                "stack": workspace.stack,
                "chatbots": listed,
                "unread_stacks": unread_json(known.unread),
            }
        )
    else:
        _print(rows, account, known, ends, workspace, within)
    return EXIT_OK


def _json_row(
    row: ChatbotRow,
    account: Account,
    known: Managed,
    end: datetime | None,
    now: datetime,
    within: timedelta,
    stack: str | None,
) -> dict[str, Any]:
    manager = known.first(row.id)
    return {
        "id": row.id,
        "title": row.title,
        "plan_id": row.plan_id,
        "plan": account.plan_name(row.plan_id),
        "expires_at": end.isoformat() if end else None,
        "expires_soon": _soon(end, now, within),
        "managed_by": manager.name if manager else None,
        "managed_from": manager.source if manager else None,
        "managed_by_stack": _stack_of(manager, stack),
        "managers": [manager_json(m, stack) for m in known.managers(row.id)],
    }


def manager_json(manager: Manager, stack: str | None) -> dict[str, str | None]:
    """{stack, entry, from}: one entry of some stack that manages a chatbot."""
    return {"stack": _stack_of(manager, stack), "entry": manager.name, "from": manager.source}


def _stack_of(manager: Manager | None, stack: str | None) -> str | None:
    if manager is None:
        return None
    return manager.stack if manager.stack is not None else stack


def _print(
    rows: list[ChatbotRow],
    account: Account,
    known: Managed,
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
            managed_by(known, row.id),
        ]
        for row in rows
    ]
    print_table(["ID", "TITLE", "PLAN", "EXPIRES", "MANAGED BY"], table)
    unmanaged = sum(1 for row in rows if known.first(row.id) is None)
    print(f"\n{counted(len(rows), 'chatbot')}: {_summary(rows, known, workspace.stack)}.")
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
        print(_adopt_hint(workspace))


def _summary(rows: list[ChatbotRow], known: Managed, stack: str | None) -> str:
    """`3 managed by stack dev, 2 by stack prod, 1 unmanaged`: each chatbot counted once, by
    the entry shown for it."""
    firsts = [known.first(row.id) for row in rows]
    own = sum(1 for m in firsts if m is not None and m.stack is None)
    by_stack: dict[str, int] = {}
    for m in firsts:
        if m is not None and m.stack is not None:
            by_stack[m.stack] = by_stack.get(m.stack, 0) + 1
    parts = [f"{own} managed by stack {stack}"] if stack else []
    for name, count in sorted(by_stack.items()):
        parts.append(f"{count} {'by' if parts else 'managed by'} stack {name}")
    if not parts:
        parts.append("0 managed")
    mark = UNMANAGED_MAYBE if known.unread else UNMANAGED
    parts.append(f"{firsts.count(None)} {mark}")
    return ", ".join(parts)


def _adopt_hint(workspace: Workspace) -> str:
    program = workspace.declaring_program()
    if program is None:
        return (
            "`python -m caigunn_provider adopt` writes stack-file entries for the unmanaged ones."
        )
    return (
        "`python -m caigunn_provider adopt` prints the caigunn.ChatbotArgs lines that declare the "
        f"unmanaged ones, to paste into {workspace.shown(program)}."
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


def managed_by(known: Managed, chatbot_id: str) -> str:
    """The MANAGED BY cell: every entry that manages it (`support`, `prod: support`; two when
    two stacks do), else unmanaged, marked `?` when a stack could not be read."""
    managers = known.managers(chatbot_id)
    if not managers:
        return UNMANAGED_MAYBE if known.unread else UNMANAGED
    return ", ".join(_manager(manager) for manager in managers)


def _manager(manager: Manager) -> str:
    if manager.source == "stack file":
        # Declared with import: but not adopted yet: the next `pulumi up` adopts it.
        return f"{manager.label()} (import: on next up)"
    return manager.label()
