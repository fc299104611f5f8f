"""Which chatbot a create whose answer was lost made, decided against rows (no server).

The create path of caigunn_provider/kinds/chatbot/ownership.py runs on an in-memory chatbot list
and a client whose POST lands (or not) and then fails with a 500; what it decides is read from
its result, from the POSTs it sent, and from the rows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from caigunn_provider.client import CaiGunnClient, ChatbotRow, CreatedChatbot
from caigunn_provider.dynamic.runtime import Context
from caigunn_provider.errors import APIError, CaiGunnError, OwnershipError
from caigunn_provider.kinds.chatbot import ownership
from caigunn_provider.kinds.chatbot.shared import run_of

BASIC, PRO = "plan-basic", "plan-pro"
URL = "https://caigunn.example/api/external/user/chatbot"


def lost_answer() -> APIError:
    return APIError(
        f"POST {URL} answered 500: Internal Server Error",
        status=500,
        method="POST",
        url=URL,
        detail=None,
    )


@dataclass
class Account:
    """The chatbot list, and a POST that may land, may have a colleague's row land beside it,
    and loses its answer while `lose` says so."""

    rows: list[ChatbotRow] = field(default_factory=list)
    posts: list[str] = field(default_factory=list)
    lands: Callable[[int], bool] = lambda attempt: True
    lose: Callable[[int], bool] = lambda attempt: True
    meanwhile: list[ChatbotRow] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def list_chatbots_page(self, offset: int, limit: int) -> list[ChatbotRow]:
        with self._lock:
            return self.rows[offset : offset + limit]

    def create_chatbot(self, title: str, plan_id: str, settings: Any = None) -> CreatedChatbot:
        with self._lock:
            attempt = len(self.posts)
            self.posts.append(title)
            made = ChatbotRow(f"made-{attempt}", title, f"key-{attempt}", plan_id)
            if self.lands(attempt):
                self.rows.append(made)
            self.rows += self.meanwhile
            self.meanwhile = []
        if self.lose(attempt):
            raise lost_answer()
        return CreatedChatbot(made.api_key or "", None, made.id)


def context(account: Account) -> Context:
    client = cast(CaiGunnClient, account)
    return Context(client)


@pytest.fixture(autouse=True)
def _no_settle_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # The pauses that give a late row time to show (0 + 1 + 3 s) add nothing against a list
    # that shows every row at once; the same number of looks is kept.
    monkeypatch.setattr(ownership, "SETTLE_DELAYS", (0.0, 0.0, 0.0))


def test_the_one_new_chatbot_with_the_title_is_taken_over_and_the_post_is_not_sent_again() -> None:
    account = Account([ChatbotRow("old", "Sales", "k", BASIC)])

    made = ownership.create(context(account), "Support", BASIC, {})

    assert made.row.id == "made-0"
    assert account.posts == ["Support"]


def test_a_lost_create_that_made_nothing_is_sent_again_once() -> None:
    account = Account(lands=lambda attempt: attempt > 0, lose=lambda attempt: attempt == 0)

    made = ownership.create(context(account), "Support", BASIC, {})

    assert made.row.id == "made-1"
    assert account.posts == ["Support", "Support"]
    assert [row.id for row in account.rows] == ["made-1"]


def test_a_create_that_never_lands_gives_up_after_the_last_post() -> None:
    account = Account(lands=lambda attempt: False)

    with pytest.raises(CaiGunnError) as caught:
        ownership.create(context(account), "Support", BASIC, {})

    assert len(account.posts) == ownership.MAX_POSTS
    assert account.rows == []
    assert str(caught.value).startswith(
        f"CaiGunn did not create the chatbot 'Support': {ownership.MAX_POSTS} attempts went "
        "without an answer"
    )


def test_a_chatbot_that_had_the_title_before_the_create_is_never_the_one() -> None:
    before = ChatbotRow("before", "Support", "k", BASIC)
    account = Account([before], lands=lambda attempt: attempt > 0, lose=lambda a: a == 0)

    made = ownership.create(context(account), "Support", BASIC, {})

    assert made.row.id == "made-1"


def test_another_new_chatbot_with_the_title_makes_the_create_unsure_and_names_both() -> None:
    colleague = ChatbotRow("colleague", "Support", "k", BASIC)
    account = Account(meanwhile=[colleague])

    with pytest.raises(OwnershipError) as caught:
        ownership.create(context(account), "Support", BASIC, {})

    assert "2 new chatbots with that title appeared meanwhile (made-0, colleague)" in str(
        caught.value
    )
    assert account.posts == ["Support"]  # never sent again


def test_a_new_chatbot_on_another_listed_plan_is_not_a_candidate() -> None:
    other_plan = ChatbotRow("other-plan", "Support", "k", PRO)
    account = Account(meanwhile=[other_plan])

    made = ownership.create(context(account), "Support", BASIC, {})

    assert made.row.id == "made-0"


def test_a_new_chatbot_another_entry_of_the_run_owns_is_not_a_candidate() -> None:
    owned = ChatbotRow("owned", "Support", "k", BASIC)
    account = Account(meanwhile=[owned])
    ctx = context(account)
    assert run_of(ctx).claims.take("owned")

    made = ownership.create(ctx, "Support", BASIC, {})

    assert made.row.id == "made-0"
