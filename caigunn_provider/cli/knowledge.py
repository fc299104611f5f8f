"""`knowledge`: each chatbot's training data, and the stack-file item that manages each row.

Chatbots and rows another stack of the project manages are named with that stack
(`prod: support`), from its state as `chatbots` reads it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from caigunn_provider.capabilities import NEEDS_CURRENT_API, SEED_OFFERS
from caigunn_provider.chatbot_level.api import ChatbotAPI, TrainingRow
from caigunn_provider.cli.account import connect
from caigunn_provider.cli.common import EXIT_OK, CliError, new_parser, run
from caigunn_provider.cli.knowledge_state import items_by_row, parse_items
from caigunn_provider.cli.managed import Managed, Manager, managed
from caigunn_provider.cli.output import counted, print_json, print_table
from caigunn_provider.cli.stacks import unread_json, warn_unread
from caigunn_provider.cli.workspace import Workspace, open_workspace
from caigunn_provider.client import CaiGunnClient, ChatbotRow
from caigunn_provider.errors import NotFoundError
from caigunn_provider.listing import Listing

EXAMPLE = """\
  python -m caigunn_provider knowledge
  python -m caigunn_provider knowledge support --stack prod
  python -m caigunn_provider knowledge --json | jq '.chatbots[] | {id, training_data}'"""
UNMANAGED = "unmanaged"
# Unmanaged as far as the stacks that could be read tell.
UNMANAGED_MAYBE = "unmanaged?"
# Chatbots whose training data is read at once (one GET each; the client is thread-safe).
WORKERS = 8


@dataclass(frozen=True)
class Chatbot:
    """One chatbot, the entry that manages it, and its training data (None: it is gone)."""

    row: ChatbotRow
    manager: Manager | None
    training_data: list[TrainingRow] | None


def main(argv: Sequence[str]) -> int:
    parser = new_parser(
        "knowledge",
        "List each chatbot's training data (what its next training uses): row id, type and\n"
        "title, and the stack-file item that manages the row (from the stack's state: the\n"
        "KnowledgeItem that created it; `prod: ...` for another stack's of the project), or\n"
        "'unmanaged' for a row made outside the stacks, which `pulumi up` never deletes but\n"
        "trains on too. Needs the current CaiGunn API.",
        EXAMPLE,
    )
    parser.add_argument(
        "entry", nargs="?", metavar="ENTRY", help="only the chatbot this stack entry manages"
    )
    args = parser.parse_args(argv)
    return run(lambda: _knowledge(args.stack, args.entry, as_json=args.json))


def training_rows(client: CaiGunnClient, api_key: str) -> list[TrainingRow]:
    """The chatbot's training data, asked with its api-key (which is never shown)."""
    return ChatbotAPI(client.transport, api_key).list_training_data()


def _knowledge(stack: str | None, entry: str | None, *, as_json: bool) -> int:
    workspace = open_workspace(stack)
    account = connect(workspace.settings())
    try:
        if not account.caps.chatbot_level_api:
            raise CliError(
                f"training data needs {NEEDS_CURRENT_API} (its chatbot-level routes), and "
                f"this one offers {SEED_OFFERS}"
            )
        known = managed(workspace, strict=False, others=True)
        rows = _chatbot_rows(account.client)
        if entry is not None:
            rows = _of_entry(rows, entry, known, workspace)
        chatbots = _read_all(account.client, rows, known)
    finally:
        account.close()
    items = _items(workspace, known)
    warn_unread(known.unread, f"a chatbot or row managed there is shown as {UNMANAGED_MAYBE!r}")
    maybe = bool(known.unread)
    if as_json:
        print_json(
            {
                "stack": workspace.stack,
                "chatbots": [_json(bot, items, workspace.stack) for bot in chatbots],
                "unread_stacks": unread_json(known.unread),
            }
        )
    else:
        _print(chatbots, items, maybe=maybe)
    return EXIT_OK


def _of_entry(
    rows: list[ChatbotRow], entry: str, known: Managed, workspace: Workspace
) -> list[ChatbotRow]:
    """The chatbot this stack's entry manages; CliError saying where to look when none, naming
    the other stack whose entry of that name it may be."""
    found = [row for row in rows if _name(known.by_id.get(row.id)) == entry]
    if found:
        return found
    where = f"stack {workspace.stack!r}" if workspace.stack else "no stack"
    theirs = sorted(
        {m.stack for ms in known.elsewhere.values() for m in ms if m.name == entry and m.stack}
    )
    hint = (
        f"; stack {theirs[0]!r} has an entry {entry!r}: pass --stack {theirs[0]}"
        if theirs
        else "; `python -m caigunn_provider chatbots` shows which entry manages which"
    )
    raise CliError(f"no chatbot of this account is managed by entry {entry!r} ({where}){hint}")


def _items(workspace: Workspace, known: Managed) -> dict[str, Manager]:
    """{row id: the KnowledgeItem that made it}: this stack's, then other stacks' for the rows
    this stack's state does not name."""
    found: dict[str, Manager] = {}
    for stack, deployment in known.others.deployments.items():
        for row_id, name in parse_items(deployment).items():
            found.setdefault(row_id, Manager(name, "state", stack))
    for row_id, name in items_by_row(workspace).items():
        found[row_id] = Manager(name, "state")
    return found


def _chatbot_rows(client: CaiGunnClient) -> list[ChatbotRow]:
    snapshot = Listing(client.list_chatbots_page).snapshot(proven=True)
    return [snapshot.rows[chatbot_id] for chatbot_id in snapshot.order]


def _read_all(client: CaiGunnClient, rows: list[ChatbotRow], known: Managed) -> list[Chatbot]:
    def read(row: ChatbotRow) -> Chatbot:
        if not row.api_key:
            return Chatbot(row, known.first(row.id), [])
        try:
            found = training_rows(client, row.api_key)
        except NotFoundError:
            # Deleted since the list was read.
            return Chatbot(row, known.first(row.id), None)
        return Chatbot(row, known.first(row.id), found)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(read, rows))


def _name(manager: Manager | None) -> str | None:
    return manager.name if manager is not None else None


def _stack(manager: Manager | None, stack: str | None) -> str | None:
    """The stack of an entry or item: its other stack's name, else the workspace's."""
    if manager is None:
        return None
    return manager.stack if manager.stack is not None else stack


def _json(bot: Chatbot, items: Mapping[str, Manager], stack: str | None) -> dict[str, Any]:
    return {
        "id": bot.row.id,
        "title": bot.row.title,
        "managed_by": _name(bot.manager),
        "managed_by_stack": _stack(bot.manager, stack),
        "training_data": None
        if bot.training_data is None
        else [
            {
                "id": row.id,
                "type": row.type,
                "title": row.title,
                "managed_by": _name(items.get(row.id)),
                "managed_by_stack": _stack(items.get(row.id), stack),
            }
            for row in bot.training_data
        ],
    }


def _print(chatbots: list[Chatbot], items: Mapping[str, Manager], *, maybe: bool) -> None:
    if not chatbots:
        print("This CaiGunn account has no chatbots.")
        return
    table: list[list[str]] = []
    total = unmanaged = 0
    for bot in chatbots:
        # Always the chatbot's title, then the stack entry that manages it (issue 30: the column
        # mixed titles and entry names), with its stack when that is another stack.
        who = f"{bot.row.title} ({bot.manager.label()})" if bot.manager else bot.row.title
        if bot.training_data is None:
            table.append([who, "-", "-", "(the chatbot was deleted meanwhile)", "-"])
            continue
        if not bot.training_data:
            table.append([who, "-", "-", "(no training data)", "-"])
        for row in bot.training_data:
            total += 1
            unmanaged += row.id not in items
            item = items.get(row.id)
            shown = item.label() if item else UNMANAGED_MAYBE if maybe else UNMANAGED
            table.append([who, row.id, row.type, row.title, shown])
    print_table(["CHATBOT", "ROW ID", "TYPE", "TITLE", "MANAGED BY"], table)
    print(
        f"\n{counted(total, 'row')} of training data in {counted(len(chatbots), 'chatbot')}: "
        f"{total - unmanaged} managed, {unmanaged} {UNMANAGED_MAYBE if maybe else UNMANAGED}."
    )
    if unmanaged:
        print(
            "Unmanaged rows are never deleted by `pulumi up`, and each chatbot's training uses "
            "them too."
        )
