"""`check`, `ask`, `conversations` and `checks export`, and the talk client under them.

No socket: the account check and the chatbot list come from a fake client, and the chatbot's
conversation routes (talk, uids, messages) from an in-memory fake behind the transport's send(),
with the emulator's rules (newest talk first, bounds on last_sent_at and created_at included,
a page clamp). Against the real emulator: tests/emulator/test_conversations_export.py.
"""

from __future__ import annotations

import json
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from caigunn_provider.__main__ import main
from caigunn_provider.account import Account
from caigunn_provider.capabilities import Capabilities
from caigunn_provider.cli import ask as ask_command
from caigunn_provider.cli import check as check_command
from caigunn_provider.cli import entries
from caigunn_provider.cli.history import History
from caigunn_provider.client import ChatbotRow
from caigunn_provider.client.transport import Malformed
from caigunn_provider.errors import APIError, ListingError, MalformedAnswerError
from caigunn_provider.kinds.checks.spec import NICKNAME, UID_PREFIX
from caigunn_provider.kinds.checks.talk import (
    MESSAGES,
    TALK,
    UIDS,
    TalkAPI,
    asker,
    fresh_uid,
    stamp,
)
from caigunn_provider.listing import Words, scan_rows

TOKEN = "fake-token-0123456789"
API_URL = "http://127.0.0.1:9"
SUPPORT_ID = "11111111-1111-4111-8111-111111111111"
SUPPORT_KEY = "support-api-key-0001"
SALES_ID = "22222222-2222-4222-8222-222222222222"
SALES_KEY = "sales-api-key-0002"
IDK = "I don't know."


def ms(moment: datetime) -> str:
    """A time as the fake (and the emulator, and CaiGunn) write theirs."""
    return stamp(moment)


@dataclass
class Sent:
    method: str
    path: str
    params: Mapping[str, Any]
    headers: Mapping[str, str]
    body: Any
    once: bool


@dataclass
class FakeChatbot:
    """One chatbot's conversation routes in memory, served through a transport's send()."""

    answer: Callable[[str], str] = lambda question: IDK
    clamp: int | None = None
    # Called before each page of /uids is served: the talks that happen while a list is read.
    during_list: Callable[[FakeChatbot], None] | None = None
    # Raised instead of answering a talk (the talk is not stored).
    talk_error: Exception | None = None
    # A payload answered to every call instead of the real one (a malformed answer).
    payload: Any = None
    sent: list[Sent] = field(default_factory=list)
    conversations: dict[str, dict[str, Any]] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    base_url: str = API_URL

    def talk(self, uid: str, text: str, nickname: str | None = None) -> str:
        """A talk as CaiGunn stores it: a message, and the conversation moved to the front."""
        reply = self.answer(text)
        with self.lock:
            now = ms(datetime.now(UTC))
            seq = len(self.messages) + 1
            known = self.conversations.get(uid, {})
            self.messages.append(
                {
                    "created_at": now,
                    "receive": text,
                    "send": reply,
                    "type": "text",
                    "id": f"m-{seq:05d}",
                    "log_type": "talk",
                    "kwargs": {},
                    "uid": uid,
                }
            )
            self.conversations[uid] = {
                "uid": uid,
                "nickname": nickname if nickname is not None else known.get("nickname"),
                "source": "api",
                "last_sent": reply,
                "last_sent_at": now,
                "seq": seq,
            }
        return reply

    def send(
        self,
        method: str,
        path: str,
        *,
        parse: Callable[[Any], Any],
        params: Mapping[str, Any] | None = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        once: bool = False,
        errors: Any = None,
        secrets: tuple[str, ...] = (),
    ) -> Any:
        assert headers is None or secrets == (headers["api-key"],), "the api-key is redacted"
        params, headers = dict(params or {}), dict(headers or {})
        body = json.loads(data) if isinstance(data, bytes) else data
        with self.lock:
            self.sent.append(Sent(method, path, params, headers, body, once))
        if self.payload is not None:
            payload = self.payload
        elif path == TALK:
            if self.talk_error is not None:
                raise self.talk_error
            payload = {"text": self.talk(headers["uid"], body["text"], params.get("nickname"))}
        elif path == UIDS:
            if self.during_list is not None:
                self.during_list(self)
            payload = {"uids": self._uids(params)}
        elif path == MESSAGES:
            payload = {"messages": self._messages(headers["uid"], params)}
        else:
            raise AssertionError(f"no such route in the fake: {method} {path}")
        try:
            return parse(payload)
        except Malformed as exc:
            raise MalformedAnswerError(
                f"{method} {path} answered 200 with {exc}",
                status=200,
                method=method,
                url=path,
                detail=None,
            ) from None

    def close(self) -> None:
        pass

    def _page(self, rows: list[dict[str, Any]], params: Mapping[str, Any]) -> list[Any]:
        offset, limit = int(params.get("offset", 0)), int(params.get("limit", 30))
        if self.clamp is not None:
            limit = min(limit, self.clamp)
        return rows[offset : offset + limit]

    def _uids(self, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        start, end = params.get("start_at"), params.get("end_at")
        with self.lock:
            rows = sorted(self.conversations.values(), key=lambda row: -row["seq"])
        rows = [
            {key: value for key, value in row.items() if key != "seq"}
            for row in rows
            if (start is None or row["last_sent_at"] >= start)
            and (end is None or row["last_sent_at"] <= end)
        ]
        return self._page(rows, params)

    def _messages(self, uid: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        start, end = params.get("start_at"), params.get("end_at")
        with self.lock:
            rows = [
                {key: value for key, value in row.items() if key != "uid"}
                for row in self.messages
                if row["uid"] == uid
                and (start is None or row["created_at"] >= start)
                and (end is None or row["created_at"] <= end)
            ]
        return self._page(rows, params)

    def talks(self) -> list[Sent]:
        return [sent for sent in self.sent if sent.path == TALK]


@dataclass
class FakeClient:
    """The account-level client: the chatbot list, and the transport the fake chatbot serves."""

    rows: list[ChatbotRow]
    transport: FakeChatbot

    def list_chatbots_page(self, offset: int, limit: int) -> list[ChatbotRow]:
        return self.rows[offset : offset + limit]

    def close(self) -> None:
        pass


@dataclass
class Run:
    status: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


Cli = Callable[..., Run]

STACK = f"""\
chatbots:
  support:
    title: Support Desk
    plan: Pro
    import: {SUPPORT_ID}
    checks:
      - ask: "How many days do I have for returns?"
        expect:
          icontains: "30 days"
      - ask: "Do you sell Acme products?"
        expect:
          not_icontains: acme
          max_chars: 600
        repeat: 3
        min_pass: 2
  sales:
    title: Sales
    plan: Pro
    import: {SALES_ID}
    checks:
      - ask: "Who are you?"
        expect:
          starts_with: "I am"
"""


@pytest.fixture
def bot() -> FakeChatbot:
    return FakeChatbot()


@pytest.fixture
def cli(
    bot: FakeChatbot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    """`python -m caigunn_provider ARGS --stack dev` in a folder holding stacks/dev.yaml (no
    Pulumi project: the entries are found by their import: keys), against the fakes."""
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "dev.yaml").write_text(STACK, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CAIGUNN_API_URL", API_URL)
    monkeypatch.setenv("CAIGUNN_ACCESS_TOKEN", TOKEN)
    rows = [
        ChatbotRow(SUPPORT_ID, "Support Desk", SUPPORT_KEY),
        ChatbotRow(SALES_ID, "Sales", SALES_KEY),
    ]
    account = Account(FakeClient(rows, bot), Capabilities.for_level("current"), [])  # type: ignore[arg-type]
    monkeypatch.setattr(entries, "connect", lambda settings: account)
    for module in (check_command, ask_command):
        monkeypatch.setattr(module, "talk_transport", lambda settings: bot)

    def run(*args: str, stack: bool = True) -> Run:
        capsys.readouterr()
        try:
            status = main([*args, *(["--stack", "dev"] if stack else [])])
        except SystemExit as exc:
            status = int(exc.code or 0)
        out, err = capsys.readouterr()
        return Run(status, out, err)

    return run


def answers(table: Mapping[str, str]) -> Callable[[str], str]:
    return lambda question: table.get(question, IDK)


GOOD = {
    "How many days do I have for returns?": "You have 30 days to return an item.",
    "Do you sell Acme products?": "We sell our own brand only.",
    "Who are you?": "I am the sales desk.",
}


# --- the talk client ------------------------------------------------------------------------------


def test_a_talk_is_one_post_sent_once_with_the_uid_header_the_nickname_and_the_text(
    bot: FakeChatbot,
) -> None:
    api = TalkAPI(bot, SUPPORT_KEY)  # type: ignore[arg-type]

    answer = api.talk("Hello?", uid="ticket-1", nickname="Ann")

    assert answer == IDK
    [sent] = bot.sent
    assert (sent.method, sent.path, sent.params, sent.body) == (
        "POST",
        TALK,
        {"nickname": "Ann"},
        {"text": "Hello?"},
    )
    assert sent.headers["uid"] == "ticket-1" and sent.headers["api-key"] == SUPPORT_KEY
    assert sent.once is True


def test_the_checks_ask_each_question_under_a_fresh_uid_and_their_nickname(
    bot: FakeChatbot,
) -> None:
    ask = asker(TalkAPI(bot, SUPPORT_KEY))  # type: ignore[arg-type]

    ask("One?")
    ask("Two?")

    uids = [sent.headers["uid"] for sent in bot.talks()]
    assert len(set(uids)) == 2 and all(uid.startswith(UID_PREFIX) for uid in uids)
    assert {sent.params["nickname"] for sent in bot.talks()} == {NICKNAME}
    assert fresh_uid() != fresh_uid()


@pytest.mark.parametrize(
    ("call", "payload", "complaint"),
    [
        ("talk", {"answer": "hi"}, "the talk answer's 'text' is missing or null, not a string"),
        ("uids", {"uids": [{"nickname": "Ann"}]}, "a conversation's 'uid' is missing or null"),
        ("messages", {"messages": [{"send": "hi"}]}, "a message's 'id' is missing or null"),
        ("messages", {"messages": [{"id": 7, "created_at": 5}]}, "'created_at' is a number"),
        ("uids", {"conversations": []}, "no 'uids' list in the answer"),
    ],
)
def test_an_answer_of_another_shape_is_a_malformed_answer_that_says_what_is_wrong(
    bot: FakeChatbot, call: str, payload: Any, complaint: str
) -> None:
    bot.payload = payload
    api = TalkAPI(bot, SUPPORT_KEY)  # type: ignore[arg-type]
    calls: dict[str, Callable[[], object]] = {
        "talk": lambda: api.talk("Hi", uid="u-1", nickname="Ann"),
        "uids": lambda: api.uids(0, 30),
        "messages": lambda: api.messages("u-1", 0, 30),
    }

    with pytest.raises(MalformedAnswerError) as caught:
        calls[call]()

    assert complaint in str(caught.value)


def test_a_message_id_may_be_a_number_and_the_bounds_go_as_the_api_writes_times(
    bot: FakeChatbot,
) -> None:
    bot.payload = {"messages": [{"id": 7, "created_at": "2025-01-01T00:00:00.000Z"}]}
    api = TalkAPI(bot, SUPPORT_KEY)  # type: ignore[arg-type]
    start = datetime(2025, 1, 1, 8, 30, 0, 123456, tzinfo=UTC)

    [message] = api.messages("u-1", 0, 30, start_at=start, end_at=start + timedelta(hours=1))

    assert message.id == "7"
    assert bot.sent[0].params == {
        "offset": "0",
        "limit": "30",
        "start_at": "2025-01-01T08:30:00.123Z",
        "end_at": "2025-01-01T09:30:00.123Z",
    }


# --- the listing, for any row ---------------------------------------------------------------------


@pytest.mark.parametrize("clamp", [None, 2, 7])
def test_scan_rows_reads_any_list_completely_by_its_own_key(clamp: int | None) -> None:
    rows = [{"uid": f"u-{n:03d}"} for n in range(40)]

    def page(offset: int, limit: int) -> list[dict[str, str]]:
        return rows[offset : offset + min(limit, clamp or limit)]

    snapshot = scan_rows(
        page, key=lambda row: row["uid"], words=Words("the list", "rows"), proven=True
    )

    assert snapshot.order == [row["uid"] for row in rows]
    assert snapshot.proven


def test_scan_rows_says_its_own_list_when_the_server_ignores_offset() -> None:
    rows = [{"uid": f"u-{n:03d}"} for n in range(40)]
    words = Words("the conversation list of 'support'", "conversations")

    with pytest.raises(ListingError) as caught:
        scan_rows(lambda offset, limit: rows[:7], key=lambda r: r["uid"], words=words, proven=True)

    assert str(caught.value).startswith(
        "the conversation list of 'support' gave rows already read at new offsets"
    )


# --- reading the conversations as of T ------------------------------------------------------------


def fill(bot: FakeChatbot, count: int, prefix: str = "c") -> None:
    for number in range(count):
        bot.talk(f"{prefix}-{number:03d}", f"question {number}", "Ann")


def as_of_now() -> datetime:
    """Now, cut to the millisecond as the export cuts T; a talk from here on is after it."""
    now = datetime.now(UTC)
    time.sleep(0.002)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def expected_as_of(bot: FakeChatbot, as_of: datetime) -> dict[str, list[str]]:
    """{uid: its message ids up to T}: what a complete export as of T holds."""
    found: dict[str, list[str]] = {}
    for message in bot.messages:
        if message["created_at"] <= ms(as_of):
            found.setdefault(message["uid"], []).append(message["id"])
    return found


def read_all(bot: FakeChatbot, as_of: datetime, **options: Any) -> dict[str, list[str]]:
    history = History(TalkAPI(bot, SUPPORT_KEY), "support", **options)  # type: ignore[arg-type]
    try:
        found = history.conversations(None, as_of)
        read: dict[str, list[str]] = {}
        for conversation in found.settled + found.moved:
            assert conversation.uid not in read, f"{conversation.uid} found twice"
            messages = history.messages(conversation.uid, None, as_of)
            if messages:
                read[conversation.uid] = [message.id for message in messages]
        return read
    finally:
        history.close()


def test_every_conversation_as_of_t_is_found_though_talks_move_them_while_the_list_is_read(
    bot: FakeChatbot,
) -> None:
    fill(bot, 60)
    as_of = as_of_now()
    bot.clamp = 7
    turn = iter(range(10_000))

    def traffic(served: FakeChatbot) -> None:
        # While the list is read: an old conversation goes on (it leaves the list up to T and
        # jumps to the front), and a new one begins; each list page sees one of each.
        number = next(turn)
        if number < 40:
            served.talk(f"c-{59 - number:03d}", "and another thing")
            served.talk(f"new-{number:03d}", "hello", "Bob")

    bot.during_list = traffic

    read = read_all(bot, as_of)

    assert read == expected_as_of(bot, as_of)
    assert len(read) == 60


def test_a_list_that_keeps_moving_faster_than_it_is_read_is_a_clear_failure(
    bot: FakeChatbot,
) -> None:
    fill(bot, 20)
    as_of = as_of_now()
    bot.clamp = 7
    counter = iter(range(100_000))

    def flood(served: FakeChatbot) -> None:
        for _ in range(10):
            served.talk(f"flood-{next(counter)}", "hi")

    bot.during_list = flood

    with pytest.raises(ListingError) as caught:
        read_all(bot, as_of, max_rounds=3)

    assert str(caught.value).startswith(
        "the conversations of 'support' kept moving: after 3 rounds a page of them still had "
        "talks since the last round began"
    )


# --- check ----------------------------------------------------------------------------------------


def test_check_passes_every_check_and_says_the_messages_spent(cli: Cli, bot: FakeChatbot) -> None:
    bot.answer = answers(GOOD)

    result = cli("check")

    assert result.status == 0, result.err
    assert result.out == (
        'PASS       support  "How many days do I have for returns?" (stacks/dev.yaml:7)\n'
        'PASS       support  "Do you sell Acme products?" (stacks/dev.yaml:10): 3 of 3 answers '
        "passed, 2 needed\n"
        'PASS       sales  "Who are you?" (stacks/dev.yaml:21)\n'
        "\n3 checks of 2 entries: 3 passed, 0 failed, 0 unchecked; 5 messages spent.\n"
    )
    # Every repeat asked (no stop-early), each under a fresh uid and the checks' nickname.
    assert len(bot.talks()) == 5
    assert {sent.params["nickname"] for sent in bot.talks()} == {NICKNAME}
    assert SUPPORT_KEY not in result.out + result.err


def test_a_failed_check_exits_3_with_the_expectation_and_the_answer_cut_at_200(
    cli: Cli, bot: FakeChatbot
) -> None:
    long = "We take returns within 14 days. " + "Really. " * 40
    bot.answer = answers({**GOOD, "How many days do I have for returns?": long})

    result = cli("check", "support")

    assert result.status == 3
    first = result.out.splitlines()[0]
    assert first.startswith(
        'FAIL       support  "How many days do I have for returns?" (stacks/dev.yaml:7): '
        'expected icontains "30 days", got "We take returns within 14 days. Really.'
    )
    shown = json.loads(first.split(", got ", 1)[1])
    assert len(shown) == 200 and shown.endswith("…")
    assert result.out.endswith(
        "2 checks of 1 entry: 1 passed, 1 failed, 0 unchecked; 4 messages spent.\n"
    )


def test_a_check_that_cannot_be_asked_is_unchecked_and_exits_1(cli: Cli, bot: FakeChatbot) -> None:
    bot.talk_error = APIError(
        f"POST {API_URL}{TALK} answered 500: Internal Server Error",
        status=500,
        method="POST",
        url=TALK,
        detail="Internal Server Error",
    )

    result = cli("check", "sales")

    assert result.status == 1
    assert result.out.splitlines()[0] == (
        'UNCHECKED  sales  "Who are you?" (stacks/dev.yaml:21): could not be asked: '
        f"POST {API_URL}{TALK} answered 500: Internal Server Error"
    )
    # Never sent again: it may have been answered and counted.
    assert len(bot.talks()) == 1


def test_a_failure_wins_over_an_unchecked_check(cli: Cli, bot: FakeChatbot) -> None:
    bot.answer = answers({**GOOD, "Who are you?": "Hello, I am the sales desk."})
    calls = iter(range(100))

    def flaky(question: str) -> str:
        if next(calls) == 0:
            raise APIError("answered 503", status=503, method="POST", url=TALK, detail=None)
        return answers({**GOOD, "Who are you?": "Hello."})(question)

    bot.answer = flaky

    result = cli("check")

    assert result.status == 3
    assert "FAIL       sales" in result.out


def test_an_entry_without_a_chatbot_has_its_checks_unchecked(
    cli: Cli, bot: FakeChatbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot.answer = answers(GOOD)
    monkeypatch.setattr(check_command, "entry_chatbots", lambda w, a, names: {})

    result = cli("check", "sales", "--json")

    assert result.status == 1
    [entry] = result.json()["entries"]
    assert entry["chatbot_id"] is None and entry["messages"] == 0
    assert entry["checks"][0]["status"] == "unchecked"
    assert entry["checks"][0]["unchecked"].startswith(
        "no chatbot of this account is managed by entry 'sales' (stack 'dev')"
    )
    assert bot.talks() == []


def test_check_json_gives_each_check_its_status_answers_and_place(
    cli: Cli, bot: FakeChatbot
) -> None:
    bot.answer = answers({**GOOD, "Do you sell Acme products?": "Yes, all of ACME's range."})

    result = cli("check", "support", "--json")

    assert result.status == 3
    document = result.json()
    assert (document["stack"], document["outcome"], document["messages"]) == ("dev", "failed", 4)
    [entry] = document["entries"]
    assert (entry["entry"], entry["chatbot_id"], entry["outcome"]) == (
        "support",
        SUPPORT_ID,
        "failed",
    )
    acme = entry["checks"][1]
    assert acme == {
        "ask": "Do you sell Acme products?",
        "where": "stacks/dev.yaml:10",
        "status": "failed",
        "repeat": 3,
        "min_pass": 2,
        "asked": 3,
        "passed": 0,
        "failures": [{"expectation": 'not_icontains "acme"', "answer": "Yes, all of ACME's range."}]
        * 3,
        "unchecked": None,
    }


def test_junit_has_a_suite_per_entry_a_case_per_check_a_failure_and_an_error(
    cli: Cli, bot: FakeChatbot, tmp_path: Path
) -> None:
    def answer(question: str) -> str:
        if question == "Who are you?":
            # A control character no XML 1.0 document may hold, as a proxy's error may carry.
            raise APIError("answered 503 \x1b[0m", status=503, method="POST", url=TALK, detail=None)
        return "14 days\x07" if question.startswith("How many") else "Our own brand."

    bot.answer = answer
    report = tmp_path / "build" / "checks.xml"

    result = cli("check", "--junit", str(report))

    assert result.status == 3
    assert f"JUnit report: {report}" in result.err
    root = ET.parse(report).getroot()
    assert (root.tag, root.get("tests"), root.get("failures"), root.get("errors")) == (
        "testsuites",
        "3",
        "1",
        "1",
    )
    support, sales = root.findall("testsuite")
    assert (support.get("name"), support.get("tests"), support.get("failures")) == (
        "support",
        "2",
        "1",
    )
    cases = support.findall("testcase")
    assert [(case.get("name"), case.get("classname")) for case in cases] == [
        ("How many days do I have for returns?", "support"),
        ("Do you sell Acme products?", "support"),
    ]
    failure = cases[0].find("failure")
    assert failure is not None
    assert failure.get("message") == 'expected icontains "30 days", got "14 days\\u0007"'
    assert cases[1].find("failure") is None and cases[1].find("error") is None
    error = sales.find("testcase/error")
    assert error is not None and error.get("message") == "answered 503 \\x1b[0m"


def test_an_entry_that_declares_no_checks_is_an_error_naming_those_that_do(cli: Cli) -> None:
    result = cli("check", "billing")

    assert result.status == 1
    assert result.err == (
        "error: stacks/dev.yaml declares no checks for entry 'billing' (entries with checks: "
        "support, sales)\n"
    )


def test_check_without_a_stack_says_how_to_select_one(cli: Cli) -> None:
    result = cli("check", stack=False)

    assert result.status == 1
    assert result.err.startswith(
        "error: no Pulumi stack is selected, so there is no stack file to read the checks from."
    )


# --- ask ------------------------------------------------------------------------------------------


def test_ask_prints_the_answer_asked_as_the_checks_ask(cli: Cli, bot: FakeChatbot) -> None:
    bot.answer = answers(GOOD)

    result = cli("ask", "support", "How many days do I have for returns?")

    assert result.status == 0, result.err
    assert result.out == "You have 30 days to return an item.\n"
    [sent] = bot.talks()
    assert sent.params == {"nickname": NICKNAME} and sent.headers["uid"].startswith(UID_PREFIX)
    assert sent.headers["api-key"] == SUPPORT_KEY


def test_ask_json_gives_the_uid_question_and_answer(cli: Cli, bot: FakeChatbot) -> None:
    result = cli("ask", "sales", "Who are you?", "--json")

    assert result.status == 0, result.err
    document = result.json()
    assert document["uid"].startswith(UID_PREFIX)
    assert {key: document[key] for key in ("entry", "question", "answer")} == {
        "entry": "sales",
        "question": "Who are you?",
        "answer": IDK,
    }


def test_a_talk_without_an_answer_is_said_to_be_maybe_counted_and_not_sent_again(
    cli: Cli, bot: FakeChatbot
) -> None:
    bot.talk_error = APIError(
        "POST /talk answered 504: Gateway Timeout", status=504, method="POST", url=TALK, detail=""
    )

    result = cli("ask", "support", "Hello?")

    assert result.status == 1
    assert result.err == (
        "error: the question may have been answered, and counted against the plan's message "
        "limit, though no answer came back (POST /talk answered 504: Gateway Timeout); it was "
        "not sent again\n"
    )
    assert len(bot.talks()) == 1


def test_ask_names_an_entry_that_manages_no_chatbot(cli: Cli) -> None:
    result = cli("ask", "billing", "Hello?")

    assert result.status == 1
    assert result.err.startswith(
        "error: no chatbot of this account is managed by entry 'billing' (stack 'dev')"
    )


# --- conversations --------------------------------------------------------------------------------


def records(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines()]


def test_the_export_streams_each_conversation_then_its_messages_as_of_t(
    cli: Cli, bot: FakeChatbot
) -> None:
    fill(bot, 3)
    bot.talk("c-000", "and another thing")
    bot.talk(f"{UID_PREFIX}abc", "How many days?", NICKNAME)

    result = cli("conversations", "support")

    assert result.status == 0, result.err
    lines = records(result.out)
    head, *body, end = lines
    assert head["record"] == "export" and head["entry"] == "support"
    assert head["chatbot_id"] == SUPPORT_ID and head["checks_included"] is False
    assert f"conversations of 'support' as of {head['as_of']}" in result.err
    assert [(r["record"], r["uid"]) for r in body] == [
        ("conversation", "c-000"),
        ("message", "c-000"),
        ("message", "c-000"),
        ("conversation", "c-002"),
        ("message", "c-002"),
        ("conversation", "c-001"),
        ("message", "c-001"),
    ]
    assert [r["receive"] for r in body if r["record"] == "message"][:2] == [
        "question 0",
        "and another thing",
    ]
    assert end == {"record": "end", "conversations": 3, "messages": 4}
    assert result.err.endswith(
        f"exported 3 conversations and 4 messages as of {head['as_of']}; 1 conversation of the "
        "checks left out\n"
    )


def test_the_checks_conversations_are_kept_when_asked(cli: Cli, bot: FakeChatbot) -> None:
    fill(bot, 2)
    bot.talk(f"{UID_PREFIX}abc", "How many days?", NICKNAME)
    bot.talk("by-nickname", "Hi", NICKNAME)

    result = cli("conversations", "support", "--include-checks")

    assert result.status == 0, result.err
    uids = [r["uid"] for r in records(result.out) if r["record"] == "conversation"]
    assert uids == ["by-nickname", f"{UID_PREFIX}abc", "c-001", "c-000"]


def test_the_csv_export_says_t_in_a_comment_then_one_row_a_message(
    cli: Cli, bot: FakeChatbot
) -> None:
    bot.talk("t-1", 'Say "hi",\nplease', "Ann")

    result = cli("conversations", "support", "--csv")

    assert result.status == 0, result.err
    comment, header, row = result.out.split("\n", 2)
    assert comment.startswith(f"# conversations of support (chatbot {SUPPORT_ID}) as of ")
    assert header == ("uid,nickname,source,message_id,created_at,type,log_type,receive,send,kwargs")
    assert row.startswith("t-1,Ann,api,m-00001,") and '"Say ""hi"",\nplease"' in row
    assert row.endswith(',text,talk,"Say ""hi"",\nplease",I don\'t know.,{}\n')


def test_since_and_until_bound_the_lists_and_until_is_t(cli: Cli, bot: FakeChatbot) -> None:
    result = cli(
        "conversations", "support", "--since", "2025-06-01", "--until", "2025-07-01T12:00:00"
    )

    assert result.status == 0, result.err
    assert records(result.out)[0]["as_of"] == "2025-07-01T12:00:00.000Z"
    first = next(sent for sent in bot.sent if sent.path == UIDS)
    assert first.params["start_at"] == "2025-06-01T00:00:00.000Z"
    assert first.params["end_at"] == "2025-07-01T12:00:00.000Z"


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (
            ["--since", "June"],
            "argument --since: not a date YYYY-MM-DD or an ISO 8601 time: 'June'",
        ),
        (["--since", "2025-02-01", "--until", "2025-01-01"], "--since is later than --until"),
        (["--csv", "--jsonl"], "argument --jsonl: not allowed with argument --csv"),
    ],
)
def test_a_wrong_export_command_line_exits_2(cli: Cli, args: list[str], complaint: str) -> None:
    result = cli("conversations", "support", *args)

    assert result.status == 2
    assert complaint in result.err


# --- checks export --------------------------------------------------------------------------------


def test_checks_export_writes_a_promptfoo_config_without_a_secret(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "promptfooconfig.yaml"

    result = cli("checks", "export", "support", "--promptfoo", str(target))

    assert result.status == 0, result.err
    text = target.read_text(encoding="utf-8")
    assert SUPPORT_KEY not in text and TOKEN not in text
    config = yaml.safe_load(text)
    [provider] = config["providers"]
    assert provider["id"] == "https"
    assert provider["config"]["url"] == f"{API_URL}{TALK}?nickname={NICKNAME}"
    assert provider["config"]["method"] == "POST"
    assert provider["config"]["headers"] == {
        "api-key": "{{env.CAIGUNN_API_KEY}}",
        "caigunn-access-token": "{{env.CAIGUNN_ACCESS_TOKEN}}",
        "uid": "{{uid}}",
        "Content-Type": "application/json",
    }
    assert provider["config"]["body"] == {"text": "{{prompt}}"}
    assert provider["config"]["transformResponse"] == "json.text"
    assert config["prompts"] == ["{{question}}"]
    assert config["defaultTest"]["options"]["transformVars"] == (
        '{ ...vars, uid: "caigunn-check-" + context.uuid }'
    )
    assert config["evaluateOptions"] == {"maxConcurrency": 4, "cache": False}
    returns, acme = config["tests"]
    assert returns == {
        "description": "support: How many days do I have for returns? (stacks/dev.yaml:7)",
        "vars": {"question": "How many days do I have for returns?"},
        "assert": [{"type": "icontains", "value": "30 days"}],
    }
    assert acme["assert"] == [
        {"type": "not-icontains", "value": "acme"},
        {"type": "javascript", "value": "[...output].length <= 600"},
    ]
    assert (
        "  # `check` asks this 3 times and passes it when 2 of the answers pass;\n"
        "  # promptfoo asks it once unless run with --repeat 3" in text
    )
    assert f"Wrote 2 checks of 'support' to {target}" in result.err


def test_every_assertion_has_its_promptfoo_form() -> None:
    from caigunn_provider.cli.promptfoo import promptfoo_config
    from caigunn_provider.kinds.checks.spec import CheckSpec

    expect = {
        "equals": " Yes. ",
        "starts_with": "I am",
        "contains": "30 days",
        "contains_any": ["a", "b"],
        "icontains_all": ["c", "d"],
        "not_contains": "sorry",
        "regex": "(?i)^yes\\b",
        "not_regex": "\\d{3}",
    }
    checks = [CheckSpec("Q?", expect, repeat=2, min_pass=1), CheckSpec("R?", {"contains": "x"}, 2)]

    config = yaml.safe_load(promptfoo_config("support", "stacks/dev.yaml", API_URL, checks))

    assert config["evaluateOptions"]["repeat"] == 2
    assert config["tests"][0]["assert"] == [
        {"type": "javascript", "value": 'output.trim() === "Yes."'},
        {"type": "javascript", "value": 'output.trim().startsWith("I am")'},
        {"type": "contains", "value": "30 days"},
        {"type": "contains-any", "value": ["a", "b"]},
        {"type": "icontains-all", "value": ["c", "d"]},
        {"type": "not-contains", "value": "sorry"},
        {"type": "javascript", "value": 'new RegExp("^yes\\\\b", "i").test(output)'},
        {"type": "not-regex", "value": "\\d{3}"},
    ]


def test_checks_export_to_stdout(cli: Cli) -> None:
    result = cli("checks", "export", "sales", "--promptfoo", "-")

    assert result.status == 0, result.err
    config = yaml.safe_load(result.out)
    assert config["tests"][0]["assert"] == [
        {"type": "javascript", "value": 'output.trim().startsWith("I am")'}
    ]


# --- the command line -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "example"),
    [
        ("check", "check"),
        ("ask", "ask support"),
        ("conversations", "conversations support"),
        ("checks", "checks export support"),
    ],
)
def test_every_new_command_has_help_with_an_example_and_the_exit_codes(
    cli: Cli, command: str, example: str
) -> None:
    result = cli(command, "--help", stack=False)

    assert result.status == 0
    assert f"example:\n  python -m caigunn_provider {example}" in result.out
    assert "exit status:\n  0  " in result.out and "  2  the command line is wrong" in result.out
    if command == "check":
        assert "  3  a check failed" in result.out


def test_the_command_list_names_the_new_commands(cli: Cli) -> None:
    result = cli("--help", stack=False)

    for name in ("check", "ask", "conversations", "checks"):
        assert f"\n  {name} " in result.out


def test_history_reads_the_messages_of_many_conversations_side_by_side(bot: FakeChatbot) -> None:
    fill(bot, 30)
    bot.clamp = 3
    history = History(TalkAPI(bot, SUPPORT_KEY), "support")  # type: ignore[arg-type]
    as_of = as_of_now()
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            found = list(pool.map(lambda n: history.messages(f"c-{n:03d}", None, as_of), range(30)))
    finally:
        history.close()
    assert [[m.fields["receive"] for m in messages] for messages in found] == [
        [f"question {n}"] for n in range(30)
    ]
