"""A chatbot's api_key in the provider process (chatbot_level/keys.py), on the emulator: the kinds
inside an entry hold no key in their state, and find it without a request where the Chatbot's
own step came first, or read it once per chatbot and run with the token where none did."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from caigunn_provider.chatbot_level.keys import ApiKeys, keys_of, knowable, remember
from caigunn_provider.dynamic.base import UNKNOWN, BaseProvider
from caigunn_provider.dynamic.runtime import Context, Runtime
from caigunn_provider.kinds.chatbot.provider import ChatbotProvider
from caigunn_provider.kinds.knowledge.provider import KnowledgeItemProvider
from caigunn_provider.kinds.knowledge.rows import KnowledgeRowsProvider
from caigunn_provider.kinds.webhook.provider import WebhookProvider
from tests.support import BASIC, Admin
from tests.unit.test_knowledge_providers import text_item

CURRENT = pytest.mark.parametrize("level", ["current"])

USER_CHATBOT = "/api/external/user/chatbot"


def configured(provider: BaseProvider, admin: Admin) -> Any:
    values = {"caigunn:accessToken": admin.token, "caigunn:apiUrl": admin.base_url}
    provider.configure(ConfigureRequest(Config(values, "caigunn-chatbots")))
    return provider


def keyless(chatbot_id: str, text: str) -> dict[str, Any]:
    """An item's props as a program declares them now: no api_key."""
    props = text_item(chatbot_id, "unused", text)
    del props["api_key"]
    return props


def info_reads(admin: Admin, chatbot_id: str) -> int:
    return len([e for e in admin.requests("GET") if e["path"] == f"{USER_CHATBOT}/{chatbot_id}"])


@CURRENT
def test_items_without_a_key_read_it_once_per_chatbot_with_the_token(admin: Admin) -> None:
    chatbot_id = admin.create("Support")
    items = configured(KnowledgeItemProvider(Runtime()), admin)
    admin.clear_requests()
    with ThreadPoolExecutor(4) as pool:
        made = list(pool.map(lambda n: items.create(keyless(chatbot_id, f"Fact {n}")), range(4)))
    assert all(result.outs["ids"] for result in made)
    assert "api_key" not in made[0].outs
    # Four items, one read of the chatbot's info for its key (the others waited for it).
    assert info_reads(admin, chatbot_id) == 1


@CURRENT
def test_a_key_the_chatbots_own_step_told_costs_no_request_and_wins_over_a_recorded_one(
    admin: Admin,
) -> None:
    chatbot_id = admin.create("Support")
    key = admin.chatbots()[chatbot_id]["api_key"]
    runtime = Runtime()
    chatbots = configured(ChatbotProvider(runtime), admin)
    items = configured(KnowledgeItemProvider(runtime), admin)
    olds = {"title": "Support", "plan_id": BASIC, "api_key": key}
    assert not chatbots.diff(chatbot_id, olds, {"title": "Support", "plan_id": BASIC}).changes
    admin.clear_requests()
    # An older state's record of a key that no longer works: the told key is the one sent.
    stale = {**keyless(chatbot_id, "Hello"), "api_key": "stale-key-0123456789abcdef"}
    made = items.create(stale)
    assert made.outs["ids"]
    assert info_reads(admin, chatbot_id) == 0
    sent = [e for e in admin.requests("POST") if "/api/external/chatbot" in e["path"]]
    assert sent, "the item was posted with the told key"


@CURRENT
def test_deletes_under_a_deleted_chatbot_need_no_key_and_succeed(admin: Admin) -> None:
    chatbot_id = admin.create("Support")
    runtime = Runtime()
    items = configured(KnowledgeItemProvider(runtime), admin)
    made = items.create(keyless(chatbot_id, "Hello"))
    hooks = configured(WebhookProvider(runtime), admin)
    hook = hooks.create(
        {"chatbot_id": chatbot_id, "url": "https://hooks.example.com/a", "__name": "support"}
    ).outs
    admin.delete_out_of_band(chatbot_id)
    # A fresh run (a destroy): nothing told it the key, and the chatbot is gone.
    later = Runtime()
    configured(KnowledgeItemProvider(later), admin).delete(made.id, made.outs)
    configured(WebhookProvider(later), admin).delete(chatbot_id, hook)
    rows = {"chatbot_id": chatbot_id, "event_id": "e", "ids": ["r"], "kind": "file"}
    configured(KnowledgeRowsProvider(later), admin).delete("e", rows)
    assert configured(KnowledgeItemProvider(later), admin).read(made.id, made.outs).id is None


def test_one_read_serves_every_waiting_caller_and_a_failed_read_is_tried_again() -> None:
    keys = ApiKeys()
    reads: list[int] = []
    gate = threading.Event()

    def read() -> str:
        reads.append(1)
        gate.wait(5)
        return "key-1"

    with ThreadPoolExecutor(4) as pool:
        found = [pool.submit(keys.key, "bot", read) for _ in range(4)]
        gate.set()
        assert {future.result() for future in found} == {"key-1"}
    assert len(reads) == 1

    def failing() -> str:
        raise RuntimeError("lost")

    with pytest.raises(RuntimeError):
        keys.key("other", failing)
    assert keys.key("other", lambda: "key-2") == "key-2"


def test_only_a_real_key_of_a_known_chatbot_is_remembered() -> None:
    ctx = Context(client=cast(Any, None))
    for chatbot_id, key in [(UNKNOWN, "k"), ("bot", UNKNOWN), ("bot", ""), ("bot", None)]:
        remember(ctx, chatbot_id, key)
    assert keys_of(ctx).known("bot") is None and keys_of(ctx).known(UNKNOWN) is None
    remember(ctx, "bot", "k")
    assert keys_of(ctx).known("bot") == "k"
    assert not knowable({"chatbot_id": UNKNOWN}) and not knowable({"chatbot_id": "Bot"})
    assert knowable({"chatbot_id": "0b8e0a54-3a0f-4a55-9d4a-4b1b0c9f6a10"})
