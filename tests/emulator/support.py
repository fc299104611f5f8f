"""Helpers shared by the emulator tests: an HTTP client bound to one emulator, and constants."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests

TOKEN = "test-token"
USER_API = "/api/external/user"
BASIC = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
PRO = "6b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
ENTERPRISE = "0c9d8e7f-6a5b-4c3d-9e2f-1a0b9c8d7e6f"
UNKNOWN_PLAN = "11111111-2222-4333-8444-555555555555"
DEFAULT_KNOBS: dict[str, Any] = {
    "latency_ms": 0.0,
    "fail_rate": 0.0,
    "fail_statuses": [429, 500, 503],
    "retry_after": 1,
    "create_commits_then_500": 0,
    "max_limit": None,
    "newest_first": False,
}


@dataclass
class Api:
    """Calls one emulator with the right token unless a test says otherwise."""

    base_url: str
    token: str = TOKEN
    session: requests.Session = field(default_factory=requests.Session)

    def call(
        self, method: str, path: str, *, token: str | None = None, **kwargs: Any
    ) -> requests.Response:
        """Any request; `token=""` sends no token header at all."""
        sent = self.token if token is None else token
        headers = {"caigunn-access-token": sent} if sent else {}
        return self.session.request(
            method, self.base_url + path, headers=headers, timeout=30, **kwargs
        )

    def create(self, title: str, plan_id: str = BASIC, **fields: Any) -> dict[str, Any]:
        """Create a chatbot with form fields (current level) and return the answer body."""
        response = self.call(
            "POST", f"{USER_API}/chatbot", data={"title": title, "plan_id": plan_id, **fields}
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def create_by_query(self, title: str, plan_id: str = BASIC) -> dict[str, Any]:
        """Create a chatbot the seed way (query string) and return the answer body."""
        response = self.call(
            "POST", f"{USER_API}/chatbot", params={"title": title, "plan_id": plan_id}
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def list_chatbots(self, **params: Any) -> list[dict[str, Any]]:
        """One page of the chatbot list."""
        response = self.call("GET", f"{USER_API}/chatbot", params=params)
        assert response.status_code == 200, response.text
        chatbots: list[dict[str, Any]] = response.json()["chatbots"]
        return chatbots

    def all_rows(self) -> list[dict[str, Any]]:
        """Every stored chatbot, deleted too, through the admin hook."""
        response = self.call("GET", "/_emulator/chatbots")
        assert response.status_code == 200, response.text
        rows: list[dict[str, Any]] = response.json()["chatbots"]
        return rows

    def row_by_api_key(self, api_key: str) -> dict[str, Any]:
        """The stored chatbot with this api_key."""
        (row,) = [row for row in self.all_rows() if row["api_key"] == api_key]
        return row

    def set_knobs(self, **changes: Any) -> dict[str, Any]:
        """Change knobs at run time; the full new set."""
        response = self.call("PUT", "/_emulator/knobs", json=changes)
        assert response.status_code == 200, response.text
        knobs: dict[str, Any] = response.json()
        return knobs
