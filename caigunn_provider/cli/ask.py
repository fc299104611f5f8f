"""`ask`: one question to the chatbot a stack entry manages, as the answer checks ask it."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from caigunn_provider.cli.common import EXIT_OK, CliError, new_parser, run
from caigunn_provider.cli.entries import entry_chatbot, talk_api, talk_failed, talking_account
from caigunn_provider.cli.output import print_json
from caigunn_provider.cli.workspace import open_workspace
from caigunn_provider.errors import APIConnectionError, APIError
from caigunn_provider.kinds.checks.spec import NICKNAME
from caigunn_provider.kinds.checks.talk import fresh_uid, talk_transport

EXAMPLE = """\
  python -m caigunn_provider ask support "How long do I have to return an item?"
  python -m caigunn_provider ask support "Do you ship abroad?" --stack prod --json"""


def main(argv: Sequence[str]) -> int:
    parser = new_parser(
        "ask",
        "Ask the chatbot a stack entry manages one question, as it serves now, and print its\n"
        f"answer. It is asked as the answer checks ask: a conversation of its own (nickname\n"
        f"{NICKNAME}), sent once and never again, since every talk counts against the plan's\n"
        "message limit. Needs the current CaiGunn API.",
        EXAMPLE,
    )
    parser.add_argument("entry", metavar="ENTRY", help="the stack entry whose chatbot to ask")
    parser.add_argument("question", metavar="QUESTION", help="the question, one argument")
    args = parser.parse_args(argv)
    if not args.question.strip():
        parser.error("the question is empty")
    return run(lambda: _ask(args))


def _ask(args: argparse.Namespace) -> int:
    workspace = open_workspace(args.stack)
    settings = workspace.settings()
    account = talking_account(settings, "asking a chatbot")
    try:
        row = entry_chatbot(workspace, account, args.entry)
    finally:
        account.close()
    transport = talk_transport(settings)
    uid = fresh_uid()
    try:
        answer = talk_api(transport, row).talk(args.question, uid=uid, nickname=NICKNAME)
    except (APIError, APIConnectionError) as exc:
        raise CliError(talk_failed(exc)) from exc
    finally:
        transport.close()
    if args.json:
        print_json({"entry": args.entry, "uid": uid, "question": args.question, "answer": answer})
    else:
        print(answer)
    return EXIT_OK
