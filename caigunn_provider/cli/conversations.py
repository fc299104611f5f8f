"""`conversations`: export an entry's conversations (each uid, then its messages), complete as of
one moment, as JSON lines or CSV, written as they are read."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from caigunn_provider.cli.common import EXIT_OK, CliError, run
from caigunn_provider.cli.entries import bare_parser, entry_chatbot, talking_account
from caigunn_provider.cli.history import History, utc_now
from caigunn_provider.cli.output import Progress, counted
from caigunn_provider.cli.workspace import open_workspace
from caigunn_provider.kinds.checks.spec import NICKNAME, UID_PREFIX
from caigunn_provider.kinds.checks.talk import (
    Conversation,
    Message,
    TalkAPI,
    is_check_conversation,
    stamp,
)

EXAMPLE = """\
  python -m caigunn_provider conversations support > support.jsonl
  python -m caigunn_provider conversations support --since 2025-06-01 --until 2025-07-01 --csv
  python -m caigunn_provider conversations support | jq -c 'select(.record == "message")'"""
# Conversations whose messages are read at once (each a paged read; the client is thread-safe).
WORKERS = 4
CSV_COLUMNS = (
    "uid",
    "nickname",
    "source",
    "message_id",
    "created_at",
    "type",
    "log_type",
    "receive",
    "send",
    "kwargs",
)


@dataclass(frozen=True)
class Export:
    """What is exported: whose conversations, between which moments, and with which left out."""

    entry: str
    chatbot_id: str
    since: datetime | None
    as_of: datetime
    include_checks: bool


def main(argv: Sequence[str]) -> int:
    parser = bare_parser(
        "conversations",
        "Export the conversations of the chatbot a stack entry manages: every conversation\n"
        "with a message in the window, then its messages in the window, each once. The list\n"
        "is read as of one moment T (now, or --until if earlier), said on stderr and in the\n"
        "export's first line, and is complete as of T even while people keep talking.\n"
        "Written as it is read (progress on stderr: --progress). The checks' own conversations\n"
        f"(nickname {NICKNAME}, uid {UID_PREFIX}...) are left out unless --include-checks.\n"
        "Needs the current CaiGunn API.",
        EXAMPLE,
    )
    parser.add_argument("entry", metavar="ENTRY", help="the stack entry whose chatbot to read")
    parser.add_argument(
        "--since",
        type=moment,
        metavar="DATE",
        help="only messages from then on (YYYY-MM-DD, midnight UTC, or an ISO 8601 time)",
    )
    parser.add_argument(
        "--until",
        type=moment,
        metavar="DATE",
        help="only messages up to then (default: now; a later time is now)",
    )
    form = parser.add_mutually_exclusive_group()
    form.add_argument(
        "--jsonl",
        dest="form",
        action="store_const",
        const="jsonl",
        help="one JSON object a line: the export, each conversation, each message, the end "
        "(the default)",
    )
    form.add_argument(
        "--csv",
        dest="form",
        action="store_const",
        const="csv",
        help="one message a row, after a # comment line that says T",
    )
    parser.set_defaults(form="jsonl")
    parser.add_argument(
        "--include-checks",
        action="store_true",
        help="keep the answer checks' own conversations in the export",
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show how many conversations have been read on stderr (default: only when stderr "
        "is a terminal)",
    )
    args = parser.parse_args(argv)
    if args.since is not None and args.until is not None and args.since > args.until:
        parser.error("--since is later than --until")
    return run(lambda: _conversations(args))


def moment(text: str) -> datetime:
    """A command-line time: a date (its midnight UTC) or an ISO 8601 time (UTC without a zone)."""
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a date YYYY-MM-DD or an ISO 8601 time: {text!r}"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _conversations(args: argparse.Namespace) -> int:
    now = utc_now()
    as_of = _millisecond(now if args.until is None else min(args.until, now))
    if args.since is not None and args.since > as_of:
        raise CliError(f"--since {stamp(args.since)} is in the future: there is nothing to export")
    workspace = open_workspace(args.stack)
    account = talking_account(workspace.settings(), "the conversation export")
    try:
        row = entry_chatbot(workspace, account, args.entry)
        if not row.api_key:
            raise CliError(f"the chatbot list gives chatbot {row.id} no api_key to read it with")
        # The account's own transport: these are reads, tried again as every read is.
        api = TalkAPI(account.client.transport, row.api_key)
        export = Export(args.entry, row.id, args.since, as_of, args.include_checks)
        print(f"conversations of {args.entry!r} as of {stamp(as_of)}", file=sys.stderr)
        write = _Jsonl(sys.stdout) if args.form == "jsonl" else _Csv(sys.stdout)
        _export(api, export, write, Progress(args.progress))
    finally:
        account.close()
    return EXIT_OK


def _millisecond(moment: datetime) -> datetime:
    """moment cut to the millisecond, as the API writes its times: T is the bound it is sent as."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _export(api: TalkAPI, export: Export, write: _Writer, shown: Progress) -> None:
    history = History(
        api,
        export.entry,
        on_page=lambda count: shown("reading the conversation list", count),
    )
    try:
        found = history.conversations(export.since, export.as_of)
        shown.done()
        candidates = found.settled + found.moved
        kept = [c for c in candidates if export.include_checks or not is_check_conversation(c)]
        left_out = len(candidates) - len(kept)
        write.start(export)
        conversations = messages = 0
        for done, (conversation, read) in enumerate(_read_all(history, export, kept), 1):
            # One talked in only after T has no message up to T: not part of the export.
            if read:
                write.conversation(conversation, read)
                conversations += 1
                messages += len(read)
            shown("reading the messages", done, len(kept))
        shown.done()
        write.end(conversations, messages)
    finally:
        history.close()
    checks = f"; {counted(left_out, 'conversation')} of the checks left out" if left_out else ""
    print(
        f"exported {counted(conversations, 'conversation')} and {counted(messages, 'message')} "
        f"as of {stamp(export.as_of)}{checks}",
        file=sys.stderr,
    )


def _read_all(
    history: History, export: Export, conversations: list[Conversation]
) -> Iterator[tuple[Conversation, list[Message]]]:
    """Each conversation with its messages, in order, a few read ahead at once."""
    with ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="caigunn-export") as pool:
        ahead: deque[tuple[Conversation, Future[list[Message]]]] = deque()
        pending = iter(conversations)
        try:
            while True:
                for conversation in pending:
                    read = pool.submit(
                        history.messages, conversation.uid, export.since, export.as_of
                    )
                    ahead.append((conversation, read))
                    if len(ahead) >= 2 * WORKERS:
                        break
                if not ahead:
                    return
                conversation, read = ahead.popleft()
                yield conversation, read.result()
        finally:
            for _, read in ahead:
                read.cancel()


# --- the two forms --------------------------------------------------------------------------------


class _Writer:
    """Where an export goes, record by record; flushed after each conversation."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def start(self, export: Export) -> None:
        raise NotImplementedError

    def conversation(self, conversation: Conversation, messages: list[Message]) -> None:
        raise NotImplementedError

    def end(self, conversations: int, messages: int) -> None:
        raise NotImplementedError


class _Jsonl(_Writer):
    """`{"record": "export", ...}`, then each conversation's record and its messages' records,
    then `{"record": "end", ...}` (a file without it was cut short)."""

    def start(self, export: Export) -> None:
        self._line(
            {
                "record": "export",
                "entry": export.entry,
                "chatbot_id": export.chatbot_id,
                "as_of": stamp(export.as_of),
                "since": stamp(export.since) if export.since else None,
                "checks_included": export.include_checks,
            }
        )

    def conversation(self, conversation: Conversation, messages: list[Message]) -> None:
        self._line({"record": "conversation", **conversation.fields, "uid": conversation.uid})
        for message in messages:
            self._line({"record": "message", "uid": conversation.uid, **message.fields})
        self.stream.flush()

    def end(self, conversations: int, messages: int) -> None:
        self._line({"record": "end", "conversations": conversations, "messages": messages})
        self.stream.flush()

    def _line(self, record: dict[str, Any]) -> None:
        self.stream.write(json.dumps(record, ensure_ascii=False) + "\n")


class _Csv(_Writer):
    """A `# ...` line saying T, the header, then one row per message."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self._rows = csv.writer(stream, lineterminator="\n")

    def start(self, export: Export) -> None:
        since = f" since {stamp(export.since)}" if export.since else ""
        self.stream.write(
            f"# conversations of {export.entry} (chatbot {export.chatbot_id}){since} as of "
            f"{stamp(export.as_of)}\n"
        )
        self._rows.writerow(CSV_COLUMNS)

    def conversation(self, conversation: Conversation, messages: list[Message]) -> None:
        about = conversation.fields
        for message in messages:
            fields = message.fields
            self._rows.writerow(
                [
                    conversation.uid,
                    _cell(about.get("nickname")),
                    _cell(about.get("source")),
                    message.id,
                    _cell(fields.get("created_at")),
                    _cell(fields.get("type")),
                    _cell(fields.get("log_type")),
                    _cell(fields.get("receive")),
                    _cell(fields.get("send")),
                    _cell(fields.get("kwargs")),
                ]
            )
        self.stream.flush()

    def end(self, conversations: int, messages: int) -> None:
        self.stream.flush()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
