"""The client alone: retries, what each failure reports, parsing and redaction, on the emulator."""

from __future__ import annotations

import contextlib
import json
import pickle
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from caigunn_provider.client import CaiGunnClient
from caigunn_provider.client.transport import MAX_ANSWER_BYTES, MAX_ANSWER_DEPTH, redact
from caigunn_provider.errors import (
    APIConnectionError,
    APIError,
    AuthError,
    MalformedAnswerError,
    NotFoundError,
    UnsupportedError,
    ValidationError,
)
from caigunn_provider.messages import may_have_taken_effect
from tests.support import BASIC, CHATBOT_PATH, TOKEN, UNKNOWN_ID, UNKNOWN_PLAN, Admin, emulator
from tests.unit.loopback import loopback, send


@pytest.fixture
def admin() -> Iterator[Admin]:
    with emulator("current") as running:
        yield running


def client_of(admin: Admin, **options: Any) -> CaiGunnClient:
    return CaiGunnClient(admin.base_url, admin.token, **{"backoff_factor": 0.0, **options})


def script(admin: Admin, operation: str, answer: str = "status", **rule: Any) -> None:
    admin.set_knobs(script=[{"operation": operation, "answer": answer, **rule}])
    admin.clear_requests()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def texts(exc: BaseException) -> str:
    """Everything an exception shows or carries, down its chain."""
    parts = []
    seen: BaseException | None = exc
    while seen is not None:
        parts += [str(seen), repr(seen), repr(seen.args), repr(vars(seen))]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


# --- retries -----------------------------------------------------------------------------------


def test_a_list_is_retried_on_503_until_it_succeeds(admin: Admin) -> None:
    script(admin, "get_all_chatbots", status=503, times=2, headers={"Retry-After": "0"})
    assert client_of(admin).list_chatbots_page(0, 10) == []
    assert len(admin.requests("GET")) == 3


def test_a_list_that_keeps_failing_reports_the_last_answer_and_the_retries(admin: Admin) -> None:
    script(admin, "get_all_chatbots", status=503, times=3, headers={"Retry-After": "0"})
    with pytest.raises(APIError) as caught:
        client_of(admin, retries=2).list_chatbots_page(0, 10)
    assert caught.value.status == 503
    assert str(caught.value) == (
        f"GET {admin.base_url}{CHATBOT_PATH} answered 503: Service Unavailable (after 2 retries)"
    )


def test_a_list_that_times_out_is_retried(admin: Admin) -> None:
    script(admin, "get_all_chatbots", "hang", hang_ms=1500)
    assert client_of(admin, timeout=0.5).list_chatbots_page(0, 10) == []
    # The emulator logs a request when it answers: the hung one shows once its 1.5 s are over.
    deadline = time.monotonic() + 10
    while len(admin.requests("GET")) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [entry["query"] for entry in admin.requests("GET")] == [
        {"offset": "0", "limit": "10"}
    ] * 2  # the one that timed out, and one retry


def test_a_create_is_not_sent_again_after_a_500_and_may_have_happened(admin: Admin) -> None:
    script(admin, "create_chatbot", commit=True)
    with pytest.raises(APIError) as caught:
        client_of(admin).create_chatbot("Support", BASIC)
    assert str(caught.value) == (
        f"POST {admin.base_url}{CHATBOT_PATH} answered 500: Internal Server Error"
    )
    assert may_have_taken_effect(caught.value) is True
    assert len(admin.requests("POST")) == 1


def test_a_create_that_times_out_is_not_sent_again(admin: Admin) -> None:
    script(admin, "create_chatbot", "hang", hang_ms=1500)
    with pytest.raises(APIConnectionError) as caught:
        client_of(admin, timeout=0.4).create_chatbot("Support", BASIC)
    assert str(caught.value) == f"POST {admin.base_url}{CHATBOT_PATH}: no answer within 0.4 s"
    assert caught.value.reached is True
    time.sleep(1.5)  # the emulator performs the late create: exactly one
    assert len(admin.requests("POST")) == 1


def test_a_create_whose_connection_drops_may_have_happened(admin: Admin) -> None:
    script(admin, "create_chatbot", "drop", commit=True)
    with pytest.raises(APIConnectionError) as caught:
        client_of(admin).create_chatbot("Support", BASIC)
    assert str(caught.value) == (
        f"POST {admin.base_url}{CHATBOT_PATH}: the connection dropped before a complete answer came"
    )
    assert may_have_taken_effect(caught.value) is True
    assert len(admin.chatbots()) == 1


def test_a_2xx_that_is_not_json_is_a_malformed_answer(admin: Admin) -> None:
    script(admin, "create_chatbot", "non_json", commit=True, body="<html>OK</html>")
    with pytest.raises(MalformedAnswerError) as caught:
        client_of(admin).create_chatbot("Support", BASIC)
    assert str(caught.value) == (
        f"POST {admin.base_url}{CHATBOT_PATH} answered 200 with a body that is not JSON: "
        "'<html>OK</html>'"
    )
    assert may_have_taken_effect(caught.value) is True


def test_a_create_is_retried_on_429_after_waiting_for_retry_after(admin: Admin) -> None:
    script(admin, "create_chatbot", status=429, headers={"Retry-After": "1"})
    client_of(admin).create_chatbot("Support", BASIC)
    first, second = admin.requests("POST")
    assert len(admin.chatbots()) == 1
    assert first["status"] == 429 and second["status"] == 200


def test_a_fractional_retry_after_is_honoured(admin: Admin) -> None:
    script(admin, "get_all_chatbots", status=429, headers={"Retry-After": "0.3"})
    started = time.monotonic()
    client_of(admin).list_chatbots_page(0, 10)
    assert 0.25 <= time.monotonic() - started < 3


# --- what each failure reports -------------------------------------------------------------------


def test_a_refused_connection_never_reached_the_server() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(APIConnectionError) as caught:
        CaiGunnClient(url, TOKEN, retries=0).list_chatbots_page(0, 1)
    assert str(caught.value) == f"GET {url}{CHATBOT_PATH}: connection refused"
    assert caught.value.reached is False
    assert may_have_taken_effect(caught.value) is False


def test_an_unresolvable_host_never_reached_the_server() -> None:
    url = "https://caigunn-nowhere.invalid"
    with pytest.raises(APIConnectionError) as caught:
        CaiGunnClient(url, TOKEN, retries=0).list_chatbots_page(0, 1)
    assert str(caught.value) == (
        f"GET {url}{CHATBOT_PATH}: host name 'caigunn-nowhere.invalid' could not be resolved"
    )
    assert caught.value.reached is False


def test_statuses_map_to_the_exception_tree(admin: Admin) -> None:
    client = client_of(admin)
    with pytest.raises(ValidationError) as unknown_plan:
        client.create_chatbot("Support", UNKNOWN_PLAN)
    assert str(unknown_plan.value) == (
        f"POST {admin.base_url}{CHATBOT_PATH} answered 400: Plan not found"
    )
    with pytest.raises(NotFoundError):
        client.get_chatbot(UNKNOWN_ID)
    with pytest.raises(AuthError) as refused:
        CaiGunnClient(admin.base_url, "wrong-token-5d1e").list_chatbots_page(0, 1)
    assert str(refused.value) == (
        f"GET {admin.base_url}{CHATBOT_PATH} answered 401: Invalid caigunn-access-token"
    )
    assert "wrong-token-5d1e" not in texts(refused.value)


def test_a_seed_server_has_no_plan_route_and_is_seed_level() -> None:
    with emulator("seed") as admin:
        client = client_of(admin)
        with pytest.raises(UnsupportedError):
            client.list_plans_page(0, 1)
        assert client.capabilities().level == "seed"


def test_a_redirect_is_not_followed_so_the_token_stays_put(admin: Admin) -> None:
    script(
        admin,
        "get_all_chatbots",
        status=301,
        headers={"Location": "https://elsewhere.example/steal?token=1"},
        times=1,
    )
    with pytest.raises(APIError) as caught:
        client_of(admin).list_chatbots_page(0, 1)
    assert str(caught.value) == (
        f"GET {admin.base_url}{CHATBOT_PATH} answered 301: a redirect to "
        "https://elsewhere.example/steal, which is not followed so that the token stays put"
    )
    assert len(admin.requests()) == 1


def test_a_token_echoed_far_into_an_error_body_is_redacted_before_it_is_clipped(
    admin: Admin,
) -> None:
    script(admin, "get_all_chatbots", status=400, body={"detail": "x" * 290 + f" {TOKEN} y"})
    with pytest.raises(ValidationError) as caught:
        client_of(admin).list_chatbots_page(0, 1)
    assert TOKEN[:8] not in texts(caught.value)
    assert "<redact" in str(caught.value)  # clipped after redaction, never before


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"chatbot": []}, "no 'chatbots' list in the answer"),
        (
            {"chatbots": [{"title": "T", "api_key": "LEAKED-KEY"}]},
            "'id' is missing or null, not a UUID string",
        ),
        (
            {"chatbots": [{"id": "../plan", "api_key": "LEAKED-KEY"}]},
            "'id' is a string of another form, not a UUID string",
        ),
        ({"chatbots": ["LEAKED-KEY"]}, "row 0 of 'chatbots' is not an object"),
    ],
)
def test_a_malformed_list_is_described_without_its_values(
    admin: Admin, body: dict[str, Any], problem: str
) -> None:
    script(admin, "get_all_chatbots", status=200, body=body)
    with pytest.raises(MalformedAnswerError) as caught:
        client_of(admin).list_chatbots_page(0, 1)
    assert str(caught.value) == f"GET {admin.base_url}{CHATBOT_PATH} answered 200 with {problem}"
    assert "LEAKED-KEY" not in texts(caught.value)


# --- ids -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad", ["..", ".", "a/../b?x", " " + UNKNOWN_ID, "ABCDEF00-0000-4000-8000-000000000000", ""]
)
def test_only_a_canonical_id_is_put_into_a_url(admin: Admin, bad: str) -> None:
    with pytest.raises(ValueError, match="canonical lower-case UUID"):
        client_of(admin).get_chatbot(bad)
    assert admin.requests() == []


def test_an_answer_about_another_chatbot_is_an_error(admin: Admin) -> None:
    other = admin.create("Other")
    script(admin, "get_chatbot_info", status=200, body={"id": other, "title": "Other"})
    with pytest.raises(MalformedAnswerError) as caught:
        client_of(admin).get_chatbot(UNKNOWN_ID)
    assert str(caught.value).endswith(
        "answered 200 with an answer about another chatbot than the one asked for"
    )


# --- the object itself --------------------------------------------------------------------------


def test_the_client_never_pickles_and_never_shows_its_token(admin: Admin) -> None:
    client = client_of(admin)
    assert TOKEN not in repr(client) and TOKEN not in repr(client.transport)
    with pytest.raises(TypeError):
        pickle.dumps(client)


def test_each_thread_gets_its_own_session(admin: Admin) -> None:
    client = client_of(admin)
    sessions: list[object] = []

    def call() -> None:
        client.list_chatbots_page(0, 1)
        sessions.append(client.transport._local.sessions[False])

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(session) for session in sessions}) == 4


def test_settings_travel_in_the_api_shape(admin: Admin) -> None:
    settings = {"prompt": "Be kind", "initial_messages": ["Hi!"], "is_shared": True}
    made = client_of(admin).create_chatbot("Support", BASIC, settings)
    assert made.chatbot_id is not None
    stored = admin.chatbots()[made.chatbot_id]
    assert stored["prompt"] == "Be kind" and stored["is_shared"] is True
    assert stored["initial_messages"] == [{"type": "text", "value": "Hi!"}]
    info = client_of(admin).get_chatbot(made.chatbot_id)
    assert dict(info.settings) == {"prompt": "Be kind", "is_shared": True}


# --- answers a server should never give (issue 23) ---------------------------------------------


def _no_traceback_worth(exc: BaseException) -> None:
    # One clean error: nothing chained that a report would print as "During handling of...".
    assert exc.__cause__ is None and exc.__suppress_context__


def test_an_answer_nested_200000_arrays_deep_is_one_malformed_answer() -> None:
    deep = b"[" * 200_000 + b"]" * 200_000
    with (
        loopback(lambda handler: send(handler, 200, deep)) as url,
        pytest.raises(MalformedAnswerError) as caught,
    ):
        CaiGunnClient(url, TOKEN).list_chatbots_page(0, 10)
    assert str(caught.value) == (
        f"GET {url}{CHATBOT_PATH} answered 200 with JSON nested deeper than {MAX_ANSWER_DEPTH} "
        "levels"
    )
    _no_traceback_worth(caught.value)


def test_an_error_answer_nested_deep_still_gives_its_status() -> None:
    deep = b'{"detail": ' + b"[" * 5_000 + b"]" * 5_000 + b"}"
    with (
        loopback(lambda handler: send(handler, 400, deep)) as url,
        pytest.raises(ValidationError) as caught,
    ):
        CaiGunnClient(url, TOKEN).list_chatbots_page(0, 10)
    assert str(caught.value).startswith(f"GET {url}{CHATBOT_PATH} answered 400: ")


def test_an_answer_larger_than_the_cap_is_refused_by_its_declared_length() -> None:
    def huge(handler: BaseHTTPRequestHandler) -> None:
        # Declares 30 MB and sends only the start: the client must not wait for the rest.
        handler.send_response(200)
        handler.send_header("Content-Length", str(30_000_000))
        handler.end_headers()
        with contextlib.suppress(OSError):
            handler.wfile.write(b'{"chatbots": [' + b" " * 65536)

    with loopback(huge) as url, pytest.raises(MalformedAnswerError) as caught:
        CaiGunnClient(url, TOKEN).list_chatbots_page(0, 10)
    assert str(caught.value) == (
        f"GET {url}{CHATBOT_PATH} answered 200 with a body larger than 16 MiB, the most an answer "
        "may be"
    )
    _no_traceback_worth(caught.value)


def test_an_answer_streamed_past_the_cap_is_refused_without_reading_it_whole() -> None:
    sent = [0]

    def endless(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        chunk = b" " * 65536
        with contextlib.suppress(OSError):
            while sent[0] < 64 * 1024 * 1024:
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent[0] += len(chunk)
            handler.wfile.write(b"0\r\n\r\n")

    with loopback(endless) as url, pytest.raises(MalformedAnswerError) as caught:
        CaiGunnClient(url, TOKEN).list_chatbots_page(0, 10)
    assert "with a body larger than 16 MiB" in str(caught.value)
    assert MAX_ANSWER_BYTES == 16 * 1024 * 1024
    # The client stopped reading near the cap (the socket buffers hold a little more).
    assert sent[0] < 40 * 1024 * 1024


def test_a_short_token_never_garbles_a_message() -> None:
    body = b'{"detail": "http://example.test/api/external failed for token t"}'
    with (
        loopback(lambda handler: send(handler, 500, body)) as url,
        pytest.raises(APIError) as caught,
    ):
        CaiGunnClient(url, "t", retries=0).list_chatbots_page(0, 10)
    # Every "t" inside a word stays; the token standing alone is still redacted.
    assert str(caught.value) == (
        f"GET {url}{CHATBOT_PATH} answered 500: http://example.test/api/external failed for "
        "token <redacted>"
    )


@pytest.mark.parametrize(
    ("text", "token", "expected"),
    [
        (
            "key=tok-3fe1c0ffee; again tok-3fe1c0ffee",
            "tok-3fe1c0ffee",
            "key=<redacted>; again <redacted>",
        ),
        ("h-tok-3fe1c0ffee-x", "tok-3fe1c0ffee", "h-<redacted>-x"),
        ("http://127.0.0.1/api/external", "t", "http://127.0.0.1/api/external"),
        ("token: 't' and t", "t", "token: '<redacted>' and <redacted>"),
        ("nothing here", "", "nothing here"),
    ],
)
def test_redaction_replaces_whole_tokens_only(text: str, token: str, expected: str) -> None:
    assert redact(text, token) == expected


# --- the chatbot period and the token refresh (issue 21) ---------------------------------------


def test_the_chatbot_info_gives_its_period_next_plan_webhook_and_model() -> None:
    chatbot_id, model_id = str(uuid.uuid4()), str(uuid.uuid4())
    body = {
        "id": chatbot_id,
        "title": "Support",
        "plan_id": BASIC,
        "period_start_at": "2025-01-01T00:00:00",
        "period_end_at": "2025-02-01T00:00:00+08:00",
        "next_plan_id": BASIC,
        "webhook_url": "https://hooks.example/caigunn",
        "model": {"id": model_id, "model_name": "gpt-4", "embedding_name": "x"},
    }
    with loopback(lambda handler: send(handler, 200, json.dumps(body).encode())) as url:
        info = CaiGunnClient(url, TOKEN).get_chatbot(chatbot_id)
    assert info.period_end_at == datetime(2025, 1, 31, 16, tzinfo=UTC)
    assert (info.webhook_url, info.model_id) == ("https://hooks.example/caigunn", model_id)


@pytest.mark.parametrize(
    "odd",
    [
        {"period_end_at": "next tuesday", "next_plan_id": "basic", "model": "gpt-4"},
        {"period_end_at": 1735689600, "next_plan_id": 7, "model": {"id": None}, "webhook_url": 3},
        {"period_start_at": [], "period_end_at": {}, "model": []},
    ],
)
def test_malformed_optional_fields_are_treated_as_absent(odd: dict[str, object]) -> None:
    chatbot_id = str(uuid.uuid4())
    body = {"id": chatbot_id, "title": "Support", "plan_id": BASIC, **odd}
    with loopback(lambda handler: send(handler, 200, json.dumps(body).encode())) as url:
        info = CaiGunnClient(url, TOKEN).get_chatbot(chatbot_id)
    assert info.period_end_at is None
    assert (info.webhook_url, info.model_id) == (None, None)


def test_a_token_refresh_asks_for_the_date_and_returns_the_new_token() -> None:
    asked: list[str] = []

    def refresh(handler: BaseHTTPRequestHandler) -> None:
        asked.append(handler.path)
        send(handler, 200, b'{"token": "new-token-0123456789", "expired_at": "2026-03-01"}')

    with loopback(refresh) as url:
        refreshed = CaiGunnClient(url, TOKEN).refresh_token(date(2026, 3, 1))
    assert asked == ["/api/external/user/token/refresh?expired_date=2026-03-01"]
    assert refreshed.token == "new-token-0123456789"
    assert refreshed.expires_at == datetime(2026, 3, 1, tzinfo=UTC)
    assert "new-token" not in repr(refreshed)
    with pytest.raises(TypeError):
        pickle.dumps(refreshed)


def test_a_token_refresh_whose_answer_is_lost_is_not_sent_again() -> None:
    # The old token may be retired by then: asking again with it could lose the new one.
    calls: list[str] = []

    def fail(handler: BaseHTTPRequestHandler) -> None:
        calls.append(handler.path)
        send(handler, 503, b'{"detail": "busy"}')

    with loopback(fail) as url, pytest.raises(APIError):
        CaiGunnClient(url, TOKEN, backoff_factor=0.0).refresh_token(None)
    assert calls == ["/api/external/user/token/refresh"]


def test_the_emulator_answers_a_token_refresh(admin: Admin) -> None:
    refreshed = client_of(admin).refresh_token(date(2030, 1, 1))
    assert refreshed.token
