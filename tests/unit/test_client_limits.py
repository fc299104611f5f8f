"""One concurrency limit per account: shared by every client and thread, slowed by any 429."""

from __future__ import annotations

import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler

import pytest

from caigunn_provider.client import AccountLimiter, AccountLimits, CaiGunnClient
from tests.unit.loopback import drain, loopback, send

TOKEN = "limits-token-5ca1ab1e"
PLAN = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
SERVER_CAPACITY = 8


class BusyServer:
    """Answers 429 to a request that would make more than SERVER_CAPACITY at once.

    Counts the requests at once twice: those being served (at most SERVER_CAPACITY, by
    construction), and those open from arrival to answer, refused ones included (a refusal takes
    as long as an answer), which only what the clients send at once bounds."""

    def __init__(self, retry_after: str | None) -> None:
        self.retry_after = retry_after
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0
        self.open = 0
        self.most_open = 0
        self.refused: dict[str, int] = {"POST": 0, "GET": 0}
        self.created: dict[str, str] = {}
        self.unexpected: list[str] = []

    def __call__(self, handler: BaseHTTPRequestHandler) -> None:
        drain(handler)
        with self.lock:
            self.open += 1
            self.most_open = max(self.most_open, self.open)
            busy = self.in_flight >= SERVER_CAPACITY
            if busy:
                self.refused[handler.command] += 1
            else:
                self.in_flight += 1
                self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            time.sleep(0.02)
            status, body = (429, {"detail": "Too Many Requests"}) if busy else self._answer(handler)
        finally:
            # Closed before the answer goes: a client sends its next request only after it.
            with self.lock:
                self.open -= 1
                if not busy:
                    self.in_flight -= 1
        headers = {"Retry-After": self.retry_after} if busy and self.retry_after else {}
        send(handler, status, json.dumps(body).encode(), **headers)

    def _answer(self, handler: BaseHTTPRequestHandler) -> tuple[int, object]:
        path = handler.path.split("?", 1)[0]
        if handler.command == "POST" and path == "/api/external/user/chatbot":
            chatbot_id = str(uuid.uuid4())
            with self.lock:
                self.created[chatbot_id] = f"bot-{len(self.created)}"
            return 200, {
                "api_key": f"key-{chatbot_id}",
                "expired_at": None,
                "chatbot_id": chatbot_id,
            }
        chatbot_id = path.rsplit("/", 1)[-1]
        if handler.command == "GET" and chatbot_id in self.created:
            title = self.created[chatbot_id]
            return 200, {"id": chatbot_id, "title": title, "plan_id": PLAN, "api_key": "k"}
        self.unexpected.append(f"{handler.command} {handler.path}")
        return 404, {"detail": "Not Found"}


@pytest.mark.parametrize("retry_after", ["0.05", None], ids=["with Retry-After", "without"])
def test_fifty_concurrent_creates_and_gets_finish_against_a_server_busy_above_eight(
    retry_after: str | None,
) -> None:
    server = BusyServer(retry_after)
    limits = AccountLimits()
    with loopback(server) as url:
        # Several clients of one account share its one limit through the caller's limits.
        clients = [CaiGunnClient(url, TOKEN, backoff_factor=0.0, limits=limits) for _ in range(5)]

        def create_then_get(number: int) -> str:
            client = clients[number % len(clients)]
            created = client.create_chatbot(f"bot {number}", PLAN)
            assert created.chatbot_id is not None
            return client.get_chatbot(created.chatbot_id).id

        with ThreadPoolExecutor(max_workers=50) as pool:
            got = list(pool.map(create_then_get, range(50)))

    assert server.refused["POST"] > 0, "no create was refused"
    # Each create made exactly one chatbot: a refused create was sent again, no other was.
    assert len(server.created) == 50
    assert sorted(got) == sorted(server.created)
    assert server.unexpected == []
    # The server was kept full, and the 5 clients together never sent more at once than the
    # account's one limit (with a limit each, the 50 calls could all be sent at once).
    assert server.most_in_flight == SERVER_CAPACITY
    assert SERVER_CAPACITY < server.most_open <= limits.max_concurrency
    assert limits.for_account(url, TOKEN).in_flight == 0


def test_a_429_makes_every_sender_of_the_account_wait_until_retry_after() -> None:
    limiter = AccountLimits().for_account("http://127.0.0.1:1", TOKEN)
    limiter.pause(0.3)
    started = time.monotonic()

    def other_thread() -> float:
        with limiter.slot():
            return time.monotonic() - started

    with ThreadPoolExecutor(max_workers=3) as pool:
        waited = list(pool.map(lambda _: other_thread(), range(3)))

    assert min(waited) >= 0.28


def test_a_429_halves_the_limit_once_per_pause_and_answers_grow_it_back() -> None:
    now = [100.0]
    limiter = AccountLimiter(16, clock=lambda: now[0])
    limiter.pause(1.0)
    limiter.pause(1.0)  # the same burst of refusals
    assert limiter.limit == 8
    now[0] += 2.0
    for _ in range(8):
        limiter.answered()
    assert limiter.limit == 9


def test_one_account_has_one_limiter_and_another_token_another() -> None:
    limits = AccountLimits(max_concurrency=4)
    first = limits.for_account("http://127.0.0.1:1/", TOKEN)
    assert limits.for_account("http://127.0.0.1:1", TOKEN) is first
    assert limits.for_account("http://127.0.0.1:1", TOKEN + "x") is not first
    assert first.limit == 4
    assert TOKEN not in repr(limits) + repr(first)


@pytest.mark.parametrize("bad", [0, 257])
def test_a_limit_outside_1_to_256_is_refused(bad: int) -> None:
    with pytest.raises(ValueError, match=r"max_concurrency must be 1\.\.256"):
        AccountLimiter(bad)


def test_a_client_without_limits_still_limits_itself() -> None:
    client = CaiGunnClient("http://127.0.0.1:1", TOKEN, max_concurrency=3)
    assert client.transport.limiter.limit == 3
