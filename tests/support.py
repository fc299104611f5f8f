"""What every test tier shares: plan constants, the emulator admin client, emulator starters."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Self

import requests
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

from caigunn_provider.capabilities import Level
from caigunn_provider.emulator.startup import EmulatorSettings
from caigunn_provider.emulator.threaded import ThreadedEmulator

TOKEN = "test-token-3fe1c0ffee"
USER_API = "/api/external/user"
CHATBOT_PATH = f"{USER_API}/chatbot"
# The emulator's fixed plan catalogue (docs/emulator.md).
BASIC = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
PRO = "6b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
ENTERPRISE = "0c9d8e7f-6a5b-4c3d-9e2f-1a0b9c8d7e6f"
# A well-formed UUID that is no plan of the emulator's.
UNKNOWN_PLAN = "11111111-2222-4333-8444-555555555555"
# A well-formed UUID that is no chatbot's.
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"

# A model id (the emulator accepts any UUID).
MODEL = "5d1c7c1e-8a7b-4c2d-9e3f-0a1b2c3d4e5f"
# Every chatbot setting, as a stack file declares it (prompt as read from its prompt_file) ...
EVERY_SETTING: dict[str, Any] = {
    "prompt": "You are the support desk of Example Ltd.\nAnswer in two sentences at most.\n",
    "initial_messages": ["Hello!", "How can I help?"],
    "allowed_domains": ["https://example.com", "http://localhost:8080"],
    "main_color": "#1A2B3C",
    "is_default_visible": True,
    "button_style": "image",
    "is_fixed": True,
    "show_history": False,
    "is_shared": True,
    "model_id": MODEL,
}
# ... and as the API stores it: first messages are {"type": "text", "value": ...} objects.
EVERY_SETTING_STORED: dict[str, Any] = {
    **EVERY_SETTING,
    "initial_messages": [
        {"type": "text", "value": text} for text in EVERY_SETTING["initial_messages"]
    ],
}


def form_fields(settings: Mapping[str, Any]) -> dict[str, str]:
    """Settings in the API's documented form encoding: an array as one field holding JSON, a
    boolean as true/false."""
    return {
        key: json.dumps(value) if isinstance(value, list | bool) else str(value)
        for key, value in settings.items()
    }


def admin_session() -> requests.Session:
    """A session whose idempotent requests are sent again when the emulator closed the kept-alive
    connection they were sent on just before (uvicorn closes an idle one after 5 s; a test that
    asks again after a long `pulumi up` may meet it): such a request never reached a route."""
    from requests.adapters import HTTPAdapter

    session = requests.Session()
    session.mount("http://", HTTPAdapter(max_retries=_StaleConnection()))
    return session


class _StaleConnection(Retry):
    """Twice at most, for a connection the server closed before answering, never for a read that
    timed out (the request may be at work there)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs = {
            "total": 2,
            "connect": 2,
            "read": 2,
            "status": 0,
            "redirect": 0,
            "respect_retry_after_header": False,
            **kwargs,
        }
        super().__init__(**kwargs)

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> Self:
        if isinstance(error, ReadTimeoutError):
            raise error
        return super().increment(method, url, response, error, _pool, _stacktrace)


@dataclass
class Admin:
    """One emulator seen from outside the provider: its admin routes and its request log."""

    base_url: str
    token: str = TOKEN
    session: requests.Session = field(default_factory=lambda: admin_session(), repr=False)

    def call(self, method: str, path: str, *, token: str | None = None, **kwargs: Any) -> Any:
        """Any request with the token header (`token=""` sends none); the raw response."""
        sent = self.token if token is None else token
        headers = {"caigunn-access-token": sent} if sent else {}
        return self.session.request(
            method, self.base_url + path, headers=headers, timeout=30, **kwargs
        )

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.call(method, path, **kwargs)
        assert response.status_code == 200, f"{method} {path}: {response.status_code}"
        return response.json()

    def rows(self) -> list[dict[str, Any]]:
        """Every stored chatbot, deleted ones too, oldest first, with every field."""
        rows: list[dict[str, Any]] = self._json("GET", "/_emulator/chatbots")["chatbots"]
        return rows

    def chatbots(self) -> dict[str, dict[str, Any]]:
        """The live (not deleted) chatbots by id."""
        return {row["id"]: row for row in self.rows() if not row["is_deleted"]}

    def create(self, title: str, plan_id: str = BASIC) -> str:
        """A chatbot made by hand, the seed way (so it works at both levels); its id.

        The call is made with a token-bearing API request, so it shows in the request log;
        tests that count requests take their baseline after it.
        """
        answer = self._json("POST", CHATBOT_PATH, params={"title": title, "plan_id": plan_id})
        [row] = [row for row in self.rows() if row["api_key"] == answer["api_key"]]
        return str(row["id"])

    def rename_out_of_band(self, chatbot_id: str, title: str) -> None:
        self._json("PATCH", f"/_emulator/chatbots/{chatbot_id}", json={"title": title})

    def delete_out_of_band(self, chatbot_id: str) -> None:
        self._json("DELETE", f"/_emulator/chatbots/{chatbot_id}")

    def knobs(self) -> dict[str, Any]:
        knobs: dict[str, Any] = self._json("GET", "/_emulator/knobs")
        return knobs

    def set_knobs(self, **changes: Any) -> dict[str, Any]:
        """Change knobs at run time; the full new set."""
        knobs: dict[str, Any] = self._json("PUT", "/_emulator/knobs", json=changes)
        return knobs

    def requests(self, method: str | None = None) -> list[dict[str, Any]]:
        """The CaiGunn API calls served so far (admin calls are never recorded)."""
        entries: list[dict[str, Any]] = self._json("GET", "/_emulator/requests")["requests"]
        return [entry for entry in entries if method is None or entry["method"] == method]

    def current_token(self) -> str:
        """The access token the emulator accepts now (a refresh replaces it)."""
        return str(self._json("GET", "/_emulator/token")["token"])

    def clear_requests(self) -> None:
        self._json("DELETE", "/_emulator/requests")

    def knowledge(self) -> dict[str, Any]:
        """The emulator's record of the account's one chatbot: its rows, trainings and models."""
        [chatbot_id] = self.chatbots()
        answer = self.call("GET", f"/_emulator/chatbots/{chatbot_id}/knowledge")
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    def serving_model(self) -> dict[str, Any]:
        """The model the account's one chatbot answers with, and the rows it was trained on."""
        [chatbot_id] = self.chatbots()
        info = self.call("GET", f"/api/external/user/chatbot/{chatbot_id}").json()
        [model] = [m for m in self.knowledge()["models"] if m["id"] == info["model"]["id"]]
        found: dict[str, Any] = model
        return found


@contextmanager
def emulator(
    level: Level = "current",
    *,
    token: str = TOKEN,
    preload: int = 0,
    seed: int = 0,
    request_log: str | None = None,
    api_key_prefix: str = "",
    **knobs: Any,
) -> Iterator[Admin]:
    """An in-process emulator (a real HTTP server on port 0) for the `with` block."""
    settings = EmulatorSettings(
        token=token,
        level=level,
        preload=preload,
        seed=seed,
        request_log=request_log,
        api_key_prefix=api_key_prefix,
        port=0,
    )
    with ThreadedEmulator(settings) as running:
        admin = Admin(running.base_url, token=token)
        if knobs:
            admin.set_knobs(**knobs)
        try:
            yield admin
        finally:
            admin.session.close()


def wait_for(condition: Callable[[], object], what: str, timeout: float = 120) -> None:
    """Poll condition every 50 ms until it holds; fail naming what was waited for."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def in_flight_creates(admin: Admin) -> int:
    """Creates the emulator has committed and not yet answered."""
    count: int = admin.call("GET", "/_emulator/in-flight").json()["committed_unanswered_creates"]
    return count
