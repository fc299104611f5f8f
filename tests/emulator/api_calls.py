"""CaiGunn API calls the emulator tests make through the shared Admin client, answers checked."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.support import BASIC, CHATBOT_PATH, Admin


def ok_json(response: requests.Response) -> Any:
    """The JSON body of a 200 answer (the assertion shows the body otherwise)."""
    assert response.status_code == 200, f"{response.status_code}: {response.text}"
    return response.json()


def create_form(admin: Admin, title: str, plan_id: str = BASIC, **fields: Any) -> dict[str, Any]:
    """A current-level create with form fields; the answer body."""
    body: dict[str, Any] = ok_json(
        admin.call("POST", CHATBOT_PATH, data={"title": title, "plan_id": plan_id, **fields})
    )
    return body


def create_by_query(admin: Admin, title: str, plan_id: str = BASIC) -> dict[str, Any]:
    """A create the seed way (query string, works at both levels); the answer body."""
    body: dict[str, Any] = ok_json(
        admin.call("POST", CHATBOT_PATH, params={"title": title, "plan_id": plan_id})
    )
    return body


def create_and_give_up(admin: Admin, title: str, *, timeout: float) -> None:
    """A create (seed way) whose client stops waiting for the answer after `timeout` seconds."""
    with pytest.raises(requests.ReadTimeout):
        requests.post(
            admin.base_url + CHATBOT_PATH,
            headers={"caigunn-access-token": admin.token},
            params={"title": title, "plan_id": BASIC},
            timeout=timeout,
        )


def list_page(admin: Admin, **params: Any) -> list[dict[str, Any]]:
    """One page of the chatbot list."""
    chatbots: list[dict[str, Any]] = ok_json(admin.call("GET", CHATBOT_PATH, params=params))[
        "chatbots"
    ]
    return chatbots


def chatbot_info(admin: Admin, chatbot_id: str) -> dict[str, Any]:
    """GET /chatbot/{id}: what the current API tells about one chatbot."""
    info: dict[str, Any] = ok_json(admin.call("GET", f"{CHATBOT_PATH}/{chatbot_id}"))
    return info


def row_by_api_key(admin: Admin, api_key: str) -> dict[str, Any]:
    """The stored chatbot (admin view, every setting) with this api_key."""
    (row,) = [row for row in admin.rows() if row["api_key"] == api_key]
    return row


def send(
    admin: Admin, method: str, path: str, *, headers: dict[str, str], **kwargs: Any
) -> requests.Response:
    """A request with the right token and extra headers (Admin.call sets only the token)."""
    return admin.session.request(
        method,
        admin.base_url + path,
        headers={"caigunn-access-token": admin.token, **headers},
        timeout=30,
        **kwargs,
    )
