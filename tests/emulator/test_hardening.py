"""A safe emulator: token before body, capped bodies, finite knobs in range, no blank token."""

from __future__ import annotations

import json
import socket
from typing import Any
from urllib.parse import urlsplit

import pytest

from caigunn_provider.emulator.guard import ADMIN_BODY_LIMIT, API_BODY_LIMIT
from caigunn_provider.emulator.startup import EmulatorSettings
from tests.support import BASIC, CHATBOT_PATH, TOKEN, Admin

from .api_calls import send

TEN_MB = 10 * 1024 * 1024
FORM = "application/x-www-form-urlencoded"


def _exchange(admin: Admin, head: str, body: bytes) -> tuple[int, Any]:
    """Send a request head and (part of) a body on a raw socket, read one answer; its status and
    JSON body. A server that waited for the rest of a declared body would time out here."""
    url = urlsplit(admin.base_url)
    with socket.create_connection((url.hostname, url.port), timeout=5) as sock:
        sock.sendall(head.encode() + b"\r\n" + body)
        received = b""
        while b"\r\n\r\n" not in received:
            received += sock.recv(65536)
        header_block, payload = received.split(b"\r\n\r\n", 1)
        lines = header_block.decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in lines[1:])
        while len(payload) < int(headers["content-length"]):
            payload += sock.recv(65536)
    return int(lines[0].split()[1]), json.loads(payload)


def _head(method: str, path: str, token: str, **headers: str) -> str:
    lines = [f"{method} {path} HTTP/1.1", "Host: emulator", f"caigunn-access-token: {token}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return "\r\n".join(lines) + "\r\n"


def _chunks(total: int, size: int = 64 * 1024) -> bytes:
    """`total` bytes of a form in chunked encoding, without the closing chunk."""
    out = b""
    for start in range(0, total, size):
        piece = b"a=" + b"x" * (min(size, total - start) - 2)
        out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    return out


@pytest.mark.parametrize(
    ("method", "path", "content_type"),
    [("POST", CHATBOT_PATH, FORM), ("PUT", "/_emulator/knobs", "application/json")],
)
def test_a_wrong_token_is_refused_before_a_declared_10_mb_body_arrives(
    admin: Admin, method: str, path: str, content_type: str
) -> None:
    head = _head(method, path, "wrong", content_type=content_type, content_length=str(TEN_MB))

    status, body = _exchange(admin, head, b"{" * 1024)

    assert (status, body) == (401, {"detail": "Invalid caigunn-access-token"})


def test_a_whole_10_mb_body_with_a_wrong_token_gets_401(admin: Admin) -> None:
    response = admin.call("POST", CHATBOT_PATH, token="wrong", data=b"x" * TEN_MB)

    assert (response.status_code, response.json()) == (
        401,
        {"detail": "Invalid caigunn-access-token"},
    )
    assert admin.rows() == []


@pytest.mark.parametrize(
    ("path", "limit"), [(CHATBOT_PATH, API_BODY_LIMIT), ("/_emulator/knobs", ADMIN_BODY_LIMIT)]
)
def test_a_declared_length_over_the_cap_is_refused_at_once(
    admin: Admin, path: str, limit: int
) -> None:
    head = _head("PUT" if "knobs" in path else "POST", path, TOKEN, content_length=str(limit + 1))

    status, body = _exchange(admin, head, b"")

    assert status == 413
    assert body == {"detail": f"Request body too large: the limit is {limit} bytes"}


@pytest.mark.parametrize(
    ("method", "path", "limit"),
    [("POST", CHATBOT_PATH, API_BODY_LIMIT), ("PUT", "/_emulator/knobs", ADMIN_BODY_LIMIT)],
)
def test_a_streamed_body_is_refused_as_soon_as_it_passes_the_cap(
    admin: Admin, method: str, path: str, limit: int
) -> None:
    head = _head(method, path, TOKEN, content_type=FORM, transfer_encoding="chunked")

    # The body never ends (no closing chunk): only a cap enforced while reading can answer.
    status, body = _exchange(admin, head, _chunks(limit + 128 * 1024))

    assert status == 413
    assert body == {"detail": f"Request body too large: the limit is {limit} bytes"}
    assert admin.rows() == []


@pytest.mark.parametrize("level", ["current"])
def test_a_body_under_the_cap_is_served(admin: Admin) -> None:
    prompt = "p" * (API_BODY_LIMIT - 1024)

    response = admin.call(
        "POST", CHATBOT_PATH, data={"title": "long", "plan_id": BASIC, "prompt": prompt}
    )

    assert response.status_code == 200
    assert admin.rows()[0]["prompt"] == prompt


@pytest.mark.parametrize("literal", ["Infinity", "-Infinity", "NaN"])
@pytest.mark.parametrize("knob", ["latency_ms", "pause_after_create_ms", "fail_rate"])
def test_a_knob_that_is_not_finite_answers_422_and_changes_nothing(
    admin: Admin, knob: str, literal: str
) -> None:
    before = admin.knobs()

    response = send(
        admin,
        "PUT",
        "/_emulator/knobs",
        headers={"content-type": "application/json"},
        data=f'{{"{knob}": {literal}}}',
    )

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"], error["type"]) == (["body", knob], "finite_number")
    assert admin.knobs() == before


@pytest.mark.parametrize(
    ("changes", "loc"),
    [
        ({"latency_ms": 600_001}, ["body", "latency_ms"]),
        ({"latency_ms": -1}, ["body", "latency_ms"]),
        ({"pause_after_create_ms": 600_001}, ["body", "pause_after_create_ms"]),
        ({"retry_after": 3601}, ["body", "retry_after"]),
        ({"fail_statuses": [200, 503]}, ["body", "fail_statuses", 0]),
        ({"fail_statuses": []}, ["body", "fail_statuses"]),
        ({"max_limit": 0}, ["body", "max_limit"]),
        ({"churn_every": 0}, ["body", "churn_every"]),
        ({"churn": "shuffle"}, ["body", "churn"]),
        ({"churn_prefix": ""}, ["body", "churn_prefix"]),
        ({"endless": "sometimes"}, ["body", "endless"]),
    ],
)
def test_a_knob_out_of_range_answers_422(
    admin: Admin, changes: dict[str, Any], loc: list[Any]
) -> None:
    response = admin.call("PUT", "/_emulator/knobs", json=changes)

    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [loc]


@pytest.mark.parametrize("token", ["", "   ", "\t"])
def test_an_empty_or_blank_token_is_refused(token: str) -> None:
    with pytest.raises(ValueError, match="token: must not be empty or blank"):
        EmulatorSettings(token=token)


def test_the_default_host_is_loopback() -> None:
    assert EmulatorSettings().host == "127.0.0.1"
