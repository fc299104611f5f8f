"""What the conversation commands share: each entry's chatbot and api_key, found as `knowledge`
finds them (the stack's state names the chatbot, the chatbot list gives its key), the checks its
stack file declares, and a parser without --json for the commands that write files."""

from __future__ import annotations

import argparse
from collections.abc import Collection, Mapping
from dataclasses import replace
from pathlib import Path

from caigunn_provider import messages
from caigunn_provider.capabilities import NEEDS_CURRENT_API, SEED_OFFERS
from caigunn_provider.cli.account import Account, connect
from caigunn_provider.cli.common import EXIT_CODES, CliError
from caigunn_provider.cli.managed import managed
from caigunn_provider.cli.workspace import Workspace
from caigunn_provider.client import ChatbotRow
from caigunn_provider.client.transport import Transport
from caigunn_provider.config import ProviderConfig
from caigunn_provider.errors import APIConnectionError, APIError
from caigunn_provider.kinds import load_stack_file
from caigunn_provider.kinds.chatbot.spec import ChatbotSpec
from caigunn_provider.kinds.checks.spec import ChecksSpec
from caigunn_provider.kinds.checks.talk import TalkAPI
from caigunn_provider.listing import Listing

CHECKS = "checks"
# How the stack-file loader places a check written in the stack file itself.
LINE = "line "


def bare_parser(command: str, description: str, example: str) -> argparse.ArgumentParser:
    """A command's parser with --stack (as every command's) but no --json: it writes a file or
    a stream of its own format."""
    parser = argparse.ArgumentParser(
        prog=f"python -m caigunn_provider {command}",
        description=description,
        epilog=f"example:\n{example}\n\n{EXIT_CODES}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_stack_flag(parser)
    return parser


def add_stack_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stack",
        metavar="NAME",
        help="the Pulumi stack whose config, state and stacks/NAME.yaml to use "
        "(default: the selected stack)",
    )


def talking_account(settings: ProviderConfig, what: str) -> Account:
    """The account, checked as every command checks it, that offers the conversation routes."""
    account = connect(settings)
    if not account.caps.chatbot_level_api:
        account.close()
        raise CliError(
            f"{what} needs {NEEDS_CURRENT_API} (its chatbot-level routes), and this one offers "
            f"{SEED_OFFERS}"
        )
    return account


def talk_api(transport: Transport, row: ChatbotRow) -> TalkAPI:
    """The talk client of one chatbot: its api-key over transport (talk_transport for talks,
    which sends each call once)."""
    if not row.api_key:
        raise CliError(f"the chatbot list gives chatbot {row.id} no api_key to talk to it with")
    return TalkAPI(transport, row.api_key)


def talk_failed(exc: APIError | APIConnectionError) -> str:
    """A talk that failed, in the user's words: whether it may have been answered and counted."""
    if messages.may_have_taken_effect(exc):
        return (
            "the question may have been answered, and counted against the plan's message "
            f"limit, though no answer came back ({exc}); it was not sent again"
        )
    return f"CaiGunn refused the question ({exc}); it was not answered"


def entry_chatbots(
    workspace: Workspace, account: Account, names: Collection[str]
) -> dict[str, ChatbotRow]:
    """{entry: the chatbot it manages} for those of names that manage one (the stack's state,
    else an `import:` of its stack file), from the chatbot list read completely."""
    managers = managed(workspace, strict=False).by_id
    snapshot = Listing(account.client.list_chatbots_page).snapshot(proven=True)
    found: dict[str, ChatbotRow] = {}
    for chatbot_id in snapshot.order:
        manager = managers.get(chatbot_id)
        if manager is not None and manager.name in names:
            found[manager.name] = snapshot.rows[chatbot_id]
    return found


def entry_chatbot(workspace: Workspace, account: Account, name: str) -> ChatbotRow:
    """The chatbot one entry manages; CliError saying where to look when it manages none."""
    found = entry_chatbots(workspace, account, [name]).get(name)
    if found is None:
        raise CliError(unmanaged(workspace, name))
    return found


def unmanaged(workspace: Workspace, name: str) -> str:
    """Why an entry has no chatbot to talk to, as `knowledge` says it."""
    where = f"stack {workspace.stack!r}" if workspace.stack else "no stack"
    return (
        f"no chatbot of this account is managed by entry {name!r} ({where}); "
        "`python -m caigunn_provider chatbots` shows which entry manages which"
    )


def stack_file_of(workspace: Workspace) -> Path:
    """stacks/<stack>.yaml; CliError when no stack is selected or the file is missing."""
    path = workspace.stack_file
    if path is None:
        raise CliError(
            "no Pulumi stack is selected, so there is no stack file to read the checks from.\n"
            "Select one with `pulumi stack select NAME`, or pass --stack NAME."
        )
    if not path.is_file():
        raise CliError(
            f"{workspace.shown(path)} does not exist: stack {workspace.stack!r} has no "
            "stack file to read the checks from"
        )
    return path


def declared_checks(path: Path, shown: str) -> dict[str, ChecksSpec]:
    """{entry: its checks} of the entries of the stack file that declare any, in file order; an
    inline check's place said with the file's name as shown."""
    chatbots: Mapping[str, ChatbotSpec] = load_stack_file(path).section("chatbots")
    found: dict[str, ChecksSpec] = {}
    for name, spec in chatbots.items():
        checks = spec.part(CHECKS)
        if isinstance(checks, ChecksSpec) and checks.checks:
            found[name] = _located(checks, shown)
    return found


def _located(checks: ChecksSpec, path: str) -> ChecksSpec:
    """The checks with an inline check's `where` (its line) made `stacks/dev.yaml:7`."""
    located = tuple(
        replace(check, where=f"{path}:{check.where.removeprefix(LINE)}")
        if check.where.startswith(LINE)
        else check
        for check in checks.checks
    )
    return replace(checks, checks=located)


def checks_of(workspace: Workspace, names: Collection[str]) -> dict[str, ChecksSpec]:
    """The checks of the named entries (all that declare any when names is empty); CliError
    naming an entry that declares none."""
    path = stack_file_of(workspace)
    shown = workspace.shown(path)
    declared = declared_checks(path, shown)
    if not names:
        if not declared:
            raise CliError(f"{shown} declares no checks (`checks:` or `checks_file:` of an entry)")
        return declared
    missing = [name for name in names if name not in declared]
    if missing:
        raise CliError(
            f"{shown} declares no checks for entry {', '.join(map(repr, missing))}"
            + (f" (entries with checks: {', '.join(declared)})" if declared else "")
        )
    return {name: declared[name] for name in dict.fromkeys(names)}
