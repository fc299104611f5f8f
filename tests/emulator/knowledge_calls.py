"""Chatbot-level API calls the emulator tests make: one chatbot, its api-key, waits on events."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import requests

from tests.support import BASIC, CHATBOT_PATH, Admin

from .api_calls import ok_json

CHATBOT_API = "/api/external/chatbot"


@dataclass
class Bot:
    """A chatbot made for a test, and calls carrying both headers."""

    admin: Admin
    id: str
    api_key: str

    def call(self, method: str, path: str, *, api_key: str | None = None, **kw: Any) -> Any:
        """A chatbot-level request (`api_key=""` sends no api-key header); the raw response."""
        key = self.api_key if api_key is None else api_key
        headers = {"caigunn-access-token": self.admin.token}
        if key:
            headers["api-key"] = key
        return self.admin.session.request(
            method, self.admin.base_url + CHATBOT_API + path, headers=headers, timeout=30, **kw
        )

    def add_text(self, text: str) -> str:
        body = ok_json(
            self.call("POST", "/training_data", params={"type": "text"}, data={"text": text})
        )
        assert body["event_id"] is None
        return str(body["id"])

    def upload(self, *files: tuple[str, bytes]) -> str:
        multipart = [("files", (name, content)) for name, content in files]
        body = ok_json(
            self.call("POST", "/training_data", params={"type": "file"}, files=multipart)
        )
        assert body["id"] is None
        return str(body["event_id"])

    def crawl(self, website: str, *, single_page: bool = False) -> str:
        form = {"website": website, "is_single_page": str(single_page).lower()}
        body = ok_json(self.call("POST", "/training_data", params={"type": "crawler"}, data=form))
        assert body["id"] is None
        return str(body["event_id"])

    def train(self, title: str = "v1", **fields: Any) -> str:
        body = ok_json(self.call("POST", "/model", json={"title": title, **fields}))
        return str(body["event_id"])

    def rows(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = ok_json(self.call("GET", "/training_data"))["training_data"]
        return rows

    def logs(self, event_id: str) -> list[dict[str, Any]]:
        logs: list[dict[str, Any]] = ok_json(self.call("GET", f"/event/{event_id}"))["webhook_logs"]
        return logs

    def wait(self, event_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """The event's final log, once it is completed or failed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            last = self.logs(event_id)[-1]
            if last["status"] != "initial":
                return last
            time.sleep(0.02)
        raise AssertionError(f"event {event_id} still initial after {timeout} s")

    def info(self) -> dict[str, Any]:
        info: dict[str, Any] = ok_json(self.admin.call("GET", f"{CHATBOT_PATH}/{self.id}"))
        return info


def make_bot(admin: Admin, title: str = "knows-things", plan_id: str = BASIC) -> Bot:
    """A chatbot made with a current-level create."""
    response: requests.Response = admin.call(
        "POST", CHATBOT_PATH, data={"title": title, "plan_id": plan_id}
    )
    body = ok_json(response)
    return Bot(admin, body["chatbot_id"], body["api_key"])
