"""Client retries and error mapping: what a user reads when CaiGunn (or the network) says no."""

from __future__ import annotations

import pickle
import socket
import time
from collections.abc import Iterator

import pytest

from caigunn_provider.client import CaiGunnClient
from caigunn_provider.errors import (
    APIConnectionError,
    APIError,
    AuthError,
    CaiGunnError,
    ConfigError,
    NotFoundError,
    ValidationError,
)

from .conftest import MakeClient
from .fakeapi import BASIC_PLAN, CHATBOT_PATH, TOKEN, FakeCaiGunn, Scripted

OTHER_PLAN = "0c9d8e7f-6a5b-4c3d-9e2f-1a0b9c8d7e6f"


def texts(exc: BaseException) -> Iterator[str]:
    """Every text an exception shows or carries, down its chain."""
    seen: BaseException | None = exc
    while seen is not None:
        yield str(seen)
        yield repr(seen)
        yield repr(seen.args)
        yield repr(vars(seen))
        seen = seen.__cause__ or seen.__context__


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_a_list_is_retried_on_503_until_it_succeeds(
    fake: FakeCaiGunn, client: CaiGunnClient
) -> None:
    fake.script("GET", Scripted(503, {"detail": "busy"}), Scripted(503, {"detail": "busy"}))
    assert client.list_chatbots() == []
    assert len(fake.requests("GET")) == 3


def test_a_list_that_keeps_failing_raises_a_server_error_after_the_retries(
    fake: FakeCaiGunn, make_client: MakeClient
) -> None:
    fake.script("GET", *[Scripted(503, {"detail": "Service Unavailable"})] * 3)
    with pytest.raises(APIError) as caught:
        make_client(fake.url, retries=2).list_chatbots()
    assert caught.value.status == 503
    assert str(caught.value) == (
        f"CaiGunn server error 503 (GET {fake.url}{CHATBOT_PATH} answered 503: "
        "Service Unavailable, after 2 retries); try again"
    )
    assert len(fake.requests("GET")) == 3


def test_a_list_that_times_out_is_retried(fake: FakeCaiGunn, make_client: MakeClient) -> None:
    fake.delay_next(1.0)
    assert make_client(fake.url, timeout=0.3).list_chatbots() == []
    assert len(fake.requests("GET")) == 2


def test_a_create_is_not_retried_on_500_because_it_may_have_committed(
    fake: FakeCaiGunn, client: CaiGunnClient
) -> None:
    fake.script("POST", Scripted(500, {"detail": "Internal Server Error"}))
    with pytest.raises(APIError) as caught:
        client.create_chatbot("Support", BASIC_PLAN)
    assert str(caught.value) == (
        f"CaiGunn server error 500 (POST {fake.url}{CHATBOT_PATH} answered 500: "
        "Internal Server Error); the request may still have taken effect; try again"
    )
    assert caught.value.may_have_taken_effect is True
    assert len(fake.requests("POST")) == 1


def test_a_create_that_times_out_is_not_sent_again(
    fake: FakeCaiGunn, make_client: MakeClient
) -> None:
    fake.delay_next(1.0)
    with pytest.raises(APIConnectionError) as caught:
        make_client(fake.url, timeout=0.3).create_chatbot("Support", BASIC_PLAN)
    assert str(caught.value) == (
        f"the CaiGunn API at {fake.url} did not answer POST {fake.url}{CHATBOT_PATH} within "
        "0.3s; the request may still have taken effect; try again"
    )
    assert caught.value.may_have_taken_effect is True
    assert len(fake.requests("POST")) == 1


def test_a_create_is_retried_on_429_after_waiting_for_retry_after(
    fake: FakeCaiGunn, client: CaiGunnClient
) -> None:
    fake.script("POST", Scripted(429, {"detail": "Too Many Requests"}, {"Retry-After": "1"}))
    created = client.create_chatbot("Support", BASIC_PLAN)
    first, second = fake.requests("POST")
    assert second.at - first.at >= 0.95
    assert created.api_key == fake.rows[0]["api_key"]
    assert len(fake.rows) == 1


def test_a_fractional_retry_after_is_honoured_too(fake: FakeCaiGunn, client: CaiGunnClient) -> None:
    fake.script("GET", Scripted(429, {"detail": "slow down"}, {"Retry-After": "0.3"}))
    client.list_chatbots()
    first, second = fake.requests("GET")[:2]
    assert 0.25 <= second.at - first.at < 2


def test_a_garbled_retry_after_falls_back_to_backoff(
    fake: FakeCaiGunn, client: CaiGunnClient
) -> None:
    fake.script("GET", Scripted(503, {"detail": "busy"}, {"Retry-After": "soon-ish"}))
    assert client.list_chatbots() == []
    assert len(fake.requests("GET")) == 2


def test_rate_limiting_that_never_ends_says_so(fake: FakeCaiGunn, make_client: MakeClient) -> None:
    fake.script("GET", *[Scripted(429, {"detail": "Too Many Requests"})] * 2)
    with pytest.raises(APIError) as caught:
        make_client(fake.url, retries=1).list_chatbots()
    assert str(caught.value) == (
        f"CaiGunn is rate-limiting requests (GET {fake.url}{CHATBOT_PATH} answered 429: "
        "Too Many Requests, after 1 retries); try again later"
    )


def test_a_refused_token_names_the_config_key_and_not_the_token(
    fake: FakeCaiGunn, make_client: MakeClient
) -> None:
    client = make_client(fake.url, token="wrong-token-123456")
    with pytest.raises(AuthError) as caught:
        client.list_chatbots()
    assert caught.value.status == 401
    assert str(caught.value) == (
        f"CaiGunn refused the access token (GET {fake.url}{CHATBOT_PATH} answered 401: "
        "Could not validate credentials); set it with "
        "`pulumi config set --secret caigunn:accessToken <token>` or CAIGUNN_ACCESS_TOKEN"
    )
    assert not any("wrong-token-123456" in text for text in texts(caught.value))
    assert len(fake.requests()) == 1


def test_a_server_that_echoes_the_token_has_it_redacted(
    fake: FakeCaiGunn, client: CaiGunnClient
) -> None:
    fake.script("GET", Scripted(403, {"detail": f"token {TOKEN} has no access"}))
    with pytest.raises(AuthError) as caught:
        client.list_chatbots()
    assert caught.value.detail == "token <redacted> has no access"
    assert "token <redacted> has no access" in str(caught.value)
    assert not any(TOKEN in text for text in texts(caught.value))


def test_connection_refused_names_the_url_and_the_config_key(make_client: MakeClient) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(APIConnectionError) as caught:
        make_client(url).list_chatbots()
    assert str(caught.value) == (
        f"could not connect to the CaiGunn API at {url}: connection refused "
        f"(GET {url}{CHATBOT_PATH}); is caigunn:apiUrl right?"
    )
    assert caught.value.url == f"{url}{CHATBOT_PATH}"
    assert caught.value.may_have_taken_effect is False  # nothing reached a server
    assert isinstance(caught.value.__cause__, Exception)


def test_validation_details_are_listed_as_path_and_message(
    fake: FakeCaiGunn, client: CaiGunnClient
) -> None:
    detail = [
        {"type": "missing", "loc": ["query", "title"], "msg": "Field required"},
        {"type": "uuid_parsing", "loc": ["body", "plan_id"], "msg": "Input should be a UUID"},
    ]
    fake.script("POST", Scripted(422, {"detail": detail}))
    with pytest.raises(ValidationError) as caught:
        client.create_chatbot("", "nope")
    assert str(caught.value) == (
        f"CaiGunn rejected the values sent (POST {fake.url}{CHATBOT_PATH} answered 422: "
        "query.title: Field required; body.plan_id: Input should be a UUID)"
    )
    assert caught.value.detail == detail
    assert isinstance(caught.value, ValueError)


def test_an_unknown_plan_is_named_as_not_a_plan_of_this_account(
    fake: FakeCaiGunn, client: CaiGunnClient
) -> None:
    with pytest.raises(ValidationError) as caught:
        client.create_chatbot("Support", OTHER_PLAN)
    assert str(caught.value) == (
        f"CaiGunn rejected the request (POST {fake.url}{CHATBOT_PATH} answered 400: Plan not "
        f"found): plan_id '{OTHER_PLAN}' is not a plan of this account; use the id of one of "
        "the account's plans"
    )


def test_a_non_json_error_body_is_quoted_in_the_message(
    fake: FakeCaiGunn, client: CaiGunnClient
) -> None:
    fake.script("POST", Scripted(502, "<html><body>Bad Gateway</body></html>"))
    with pytest.raises(APIError) as caught:
        client.create_chatbot("Support", BASIC_PLAN)
    assert caught.value.status == 502
    assert caught.value.detail == "<html><body>Bad Gateway</body></html>"
    assert "answered 502: <html><body>Bad Gateway</body></html>" in str(caught.value)


def test_a_non_json_success_body_suggests_checking_the_api_url(
    fake: FakeCaiGunn, client: CaiGunnClient
) -> None:
    fake.script("GET", Scripted(200, "<html>Welcome to nginx</html>"))
    with pytest.raises(APIError) as caught:
        client.list_chatbots()
    assert str(caught.value) == (
        f"CaiGunn answered GET {fake.url}{CHATBOT_PATH} with 200 and a body that is not JSON: "
        "'<html>Welcome to nginx</html>'; is caigunn:apiUrl right?"
    )


def test_an_answer_of_the_wrong_shape_is_an_api_error(
    fake: FakeCaiGunn, client: CaiGunnClient
) -> None:
    fake.script("GET", Scripted(200, {"bots": []}))
    with pytest.raises(APIError) as caught:
        client.list_chatbots()
    assert str(caught.value) == (
        f"unexpected answer from CaiGunn to GET {fake.url}{CHATBOT_PATH} (200): expected a "
        "'chatbots' list; is caigunn:apiUrl a CaiGunn API?"
    )


def test_a_redirect_is_not_followed_so_the_token_stays_put(
    fake: FakeCaiGunn, client: CaiGunnClient
) -> None:
    fake.script("GET", Scripted(301, {}, {"Location": "https://elsewhere.example/"}))
    with pytest.raises(APIError) as caught:
        client.list_chatbots()
    assert str(caught.value) == (
        f"CaiGunn redirected GET {fake.url}{CHATBOT_PATH} (301) to https://elsewhere.example/; "
        "redirects are not followed so the access token stays put; is caigunn:apiUrl right "
        "(https?)"
    )
    assert len(fake.requests()) == 1


def test_the_token_never_appears_in_the_client_repr_or_any_error(
    fake: FakeCaiGunn, make_client: MakeClient
) -> None:
    client = make_client(fake.url, retries=0)
    assert repr(client) == f"CaiGunnClient(base_url='{fake.url}')"
    assert TOKEN not in repr(vars(client).get("_retry"))
    fake.script("GET", Scripted(500, f"crash while handling caigunn-access-token: {TOKEN}"))
    fake.script("POST", Scripted(422, {"detail": [{"loc": ["header", TOKEN], "msg": TOKEN}]}))
    failures: list[CaiGunnError] = []
    for call in (client.list_chatbots, lambda: client.create_chatbot("t", BASIC_PLAN)):
        with pytest.raises(CaiGunnError) as caught:
            call()
        failures.append(caught.value)
    with pytest.raises(CaiGunnError) as refused:
        make_client(f"http://127.0.0.1:{closed_port()}", retries=0).list_chatbots()
    failures.append(refused.value)
    for failure in failures:
        assert not any(TOKEN in text for text in texts(failure)), failure


def test_a_token_with_a_line_break_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as caught:
        CaiGunnClient("http://127.0.0.1:1", "abc-secret\n")
    assert "abc-secret" not in str(caught.value)
    assert "caigunn:accessToken" in str(caught.value)


def test_an_empty_token_is_a_config_error_naming_both_settings() -> None:
    with pytest.raises(ConfigError) as caught:
        CaiGunnClient("http://127.0.0.1:1", "")
    assert str(caught.value) == (
        "no CaiGunn access token; set it with "
        "`pulumi config set --secret caigunn:accessToken <token>` or CAIGUNN_ACCESS_TOKEN"
    )


def test_an_api_url_without_a_scheme_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        CaiGunnClient("caigunn-api.ap-mic.com", TOKEN)
    assert str(caught.value) == (
        "caigunn:apiUrl must be a URL starting with http:// or https://, such as "
        "https://caigunn-api.ap-mic.com; set it with `pulumi config set caigunn:apiUrl <url>` "
        "or CAIGUNN_API_URL"
    )


def test_the_client_refuses_to_be_pickled_into_state() -> None:
    client = CaiGunnClient("http://127.0.0.1:1", TOKEN)
    with pytest.raises(TypeError, match="must not be pickled"):
        pickle.dumps(client)


def test_a_connect_error_on_create_is_retried_because_nothing_was_sent(
    make_client: MakeClient,
) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    client = make_client(url, retries=3, backoff_factor=0.05)
    started = time.monotonic()
    with pytest.raises(APIConnectionError):
        client.create_chatbot("Support", BASIC_PLAN)
    # The backoff between the retries (0.1 s + 0.2 s, plus jitter) shows that they happened.
    assert time.monotonic() - started >= 0.3


def test_a_404_on_the_chatbot_list_suggests_checking_the_api_url(
    fake: FakeCaiGunn, client: CaiGunnClient
) -> None:
    fake.script("GET", Scripted(404, {"detail": "Not Found"}))
    with pytest.raises(NotFoundError) as caught:
        client.list_chatbots()
    assert str(caught.value) == (
        f"CaiGunn found no such resource (GET {fake.url}{CHATBOT_PATH} answered 404: "
        "Not Found); is caigunn:apiUrl right?"
    )
