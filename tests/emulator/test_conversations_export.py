"""The conversation commands against the emulator: `conversations` complete as of its T while
people keep talking on a server that clamps pages, `check` exiting 3 with a JUnit <failure>,
and a talk that is never sent twice, whatever comes back."""

from __future__ import annotations

import json
import random
import threading
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from caigunn_provider.kinds.checks.spec import NICKNAME, UID_PREFIX
from caigunn_provider.kinds.checks.talk import TALK
from tests.support import PRO, Admin, emulator
from tests.unit.cli_harness import Cli, cli_runner

CLAMP = 7
CONVERSATIONS = 250


def api_key(admin: Admin, chatbot_id: str) -> str:
    return str(admin.chatbots()[chatbot_id]["api_key"])


def talk(admin: Admin, key: str, uid: str, text: str, nickname: str = "Ann") -> int:
    """One talk as a user of the chatbot makes it (not through the code under test)."""
    response = admin.session.post(
        admin.base_url + TALK,
        params={"nickname": nickname},
        headers={"caigunn-access-token": admin.token, "api-key": key, "uid": uid},
        json={"text": text},
        timeout=30,
    )
    return response.status_code


def history(admin: Admin, chatbot_id: str) -> dict[str, Any]:
    """The emulator's own record of the chatbot's conversations (a test hook)."""
    view: dict[str, Any] = admin._json("GET", f"/_emulator/chatbots/{chatbot_id}/conversations")
    return view


def write_stack(tmp_path: Path, chatbot_id: str, checks: str = "") -> None:
    (tmp_path / "stacks").mkdir(exist_ok=True)
    (tmp_path / "stacks" / "dev.yaml").write_text(
        f"chatbots:\n  support:\n    title: Support Desk\n    plan: Pro\n"
        f"    import: {chatbot_id}\n{checks}",
        encoding="utf-8",
    )


@pytest.fixture
def clamped() -> Iterator[Admin]:
    """An emulator that serves every list (chatbots, uids, messages) 7 rows a page at most."""
    with emulator("current", max_limit=CLAMP) as running:
        yield running


@pytest.fixture
def cli(
    clamped: Admin,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    return cli_runner(clamped, tmp_path, monkeypatch, capsys)


def test_the_export_is_complete_as_of_its_t_while_people_keep_talking(
    clamped: Admin, cli: Cli, tmp_path: Path
) -> None:
    chatbot_id = clamped.create("Support Desk", PRO)
    key = api_key(clamped, chatbot_id)
    write_stack(tmp_path, chatbot_id)
    for number in range(CONVERSATIONS):
        assert talk(clamped, key, f"user-{number:03d}", f"question {number}") == 200
    # The checks' own conversation, which the export leaves out.
    assert talk(clamped, key, f"{UID_PREFIX}0001", "How many days?", NICKNAME) == 200

    # People keep talking while the export runs: old conversations go on (each then leaves the
    # list bounded by T and jumps to the front), new ones begin.
    stop = threading.Event()
    talked = Counter[str]()

    def keep_talking() -> None:
        pick = random.Random(29)
        while not stop.is_set():
            if pick.random() < 0.6:
                uid = f"user-{pick.randrange(CONVERSATIONS):03d}"
            else:
                uid = f"late-{talked['late']:04d}"
                talked["late"] += 1
            if talk(clamped, key, uid, "and another thing") == 200:
                talked["talks"] += 1
            stop.wait(0.003)

    talker = threading.Thread(target=keep_talking, daemon=True)
    talker.start()
    try:
        result = cli("conversations", "support", "--stack", "dev")
    finally:
        stop.set()
        talker.join(timeout=30)

    assert result.status == 0, result.err
    lines = [json.loads(line) for line in result.out.splitlines()]
    head, end = lines[0], lines[-1]
    as_of = head["as_of"]
    assert f"conversations of 'support' as of {as_of}" in result.err
    exported = [(r["uid"], r["id"]) for r in lines if r["record"] == "message"]
    # Each message once.
    assert len(exported) == len(set(exported))
    expected = {
        (conversation["uid"], message["id"])
        for conversation in history(clamped, chatbot_id)["conversations"]
        for message in conversation["messages"]
        if message["created_at"] <= as_of and not conversation["uid"].startswith(UID_PREFIX)
    }
    # Complete as of T: every message up to T, none after.
    assert set(exported) == expected
    conversations = [r["uid"] for r in lines if r["record"] == "conversation"]
    assert len(conversations) == len(set(conversations)) == len({uid for uid, _ in expected})
    assert end == {"record": "end", "conversations": len(conversations), "messages": len(expected)}
    assert {f"user-{n:03d}" for n in range(CONVERSATIONS)} <= set(conversations)
    # The proof is not empty: old conversations were talked in after T, during the export.
    moved = {
        conversation["uid"]
        for conversation in history(clamped, chatbot_id)["conversations"]
        if conversation["uid"].startswith("user-")
        and any(message["created_at"] > as_of for message in conversation["messages"])
    }
    assert len(moved) >= 5, (talked, len(moved))


def test_a_check_that_cannot_hold_exits_3_with_a_junit_failure(
    clamped: Admin, cli: Cli, tmp_path: Path
) -> None:
    chatbot_id = clamped.create("Support Desk", PRO)
    write_stack(
        tmp_path,
        chatbot_id,
        "    checks:\n"
        '      - ask: "How many days do I have for returns?"\n'
        "        expect:\n"
        '          contains: "zebra-42"\n'
        '      - ask: "Hello?"\n'
        "        expect:\n"
        "          max_chars: 600\n"
        "        repeat: 2\n",
    )
    report = tmp_path / "checks.xml"

    result = cli("check", "--stack", "dev", "--junit", str(report))

    assert result.status == 3, result.err
    assert result.out.splitlines()[0] == (
        'FAIL       support  "How many days do I have for returns?" (stacks/dev.yaml:7): '
        'expected contains "zebra-42", got "I don\'t know."'
    )
    assert result.out.endswith(
        "2 checks of 1 entry: 1 passed, 1 failed, 0 unchecked; 3 messages spent.\n"
    )
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None and suite.get("name") == "support"
    failed, passed = suite.findall("testcase")
    failure = failed.find("failure")
    assert failure is not None
    assert failed.get("name") == "How many days do I have for returns?"
    assert failed.get("classname") == "support"
    assert failure.get("message") == 'expected contains "zebra-42", got "I don\'t know."'
    assert passed.find("failure") is None
    # Every question spent a message, in a conversation of its own under the checks' nickname.
    view = history(clamped, chatbot_id)
    assert view["talks"] == 3
    assert all(
        c["uid"].startswith(UID_PREFIX) and c["nickname"] == NICKNAME for c in view["conversations"]
    )


@pytest.mark.parametrize(
    ("status", "said"),
    [
        (500, "the question may have been answered, and counted against the plan's message limit"),
        (429, "CaiGunn refused the question"),
    ],
)
def test_a_talk_is_sent_once_whatever_comes_back(
    clamped: Admin, cli: Cli, tmp_path: Path, status: int, said: str
) -> None:
    chatbot_id = clamped.create("Support Desk", PRO)
    write_stack(tmp_path, chatbot_id)
    # The talk is done and counted, then answered with an error (a 429 with Retry-After too).
    rule = {"operation": "talk", "answer": "status", "status": status, "commit": True}
    clamped.set_knobs(script=[{**rule, "times": 5, "headers": {"Retry-After": "0"}}])
    clamped.clear_requests()

    result = cli("ask", "support", "Hello?", "--stack", "dev")

    assert result.status == 1
    assert result.err.startswith(f"error: {said}")
    assert len([r for r in clamped.requests("POST") if r["path"].endswith("/talk")]) == 1
    assert history(clamped, chatbot_id)["talks"] == 1
