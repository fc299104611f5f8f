"""The emulator's test-only toy routes: each chatbot's toys kept in memory, served beside the
CaiGunn routes, behind the same token check, api-key check and request log."""

from __future__ import annotations

import threading
from typing import Any

from pydantic import BaseModel, ConfigDict

from caigunn_provider.emulator.chatbot_module import Caller
from caigunn_provider.emulator.exceptions import EmulatorError
from caigunn_provider.emulator.urls import Route
from tests.toychild.api import TOY_PATH
from tests.toychild.kind import MAX_NOTE, is_label


class ToyNotFound(EmulatorError):
    status_code = 404
    detail = "Toy not found"


class BadToy(EmulatorError):
    status_code = 422
    detail = "Not a toy label"


class ToyBody(BaseModel):
    """PUT /toy/{label} JSON body."""

    model_config = ConfigDict(extra="ignore")

    note: str


class ToyChildStore:
    """{chatbot id: {label: note}}, and every write served, safe under the server's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.toys: dict[str, dict[str, str]] = {}
        # (method, chatbot id, label) of every PUT and DELETE served, in order.
        self.writes: list[tuple[str, str, str]] = []

    def put_toy(self, label: str, chatbot: Caller, body: ToyBody) -> dict[str, Any]:
        """PUT /toy/{label}: create the chatbot's toy, or replace its note."""
        _checked(label)
        if len(body.note) > MAX_NOTE:
            raise BadToy("Note too long")
        with self._lock:
            self.toys.setdefault(chatbot.id, {})[label] = body.note
            self.writes.append(("PUT", chatbot.id, label))
        return {"label": label, "note": body.note}

    def get_toy(self, label: str, chatbot: Caller) -> dict[str, Any]:
        _checked(label)
        with self._lock:
            note = self.toys.get(chatbot.id, {}).get(label)
        if note is None:
            raise ToyNotFound()
        return {"label": label, "note": note}

    def delete_toy(self, label: str, chatbot: Caller) -> dict[str, Any]:
        _checked(label)
        with self._lock:
            self.writes.append(("DELETE", chatbot.id, label))
            toys = self.toys.get(chatbot.id, {})
            if toys.pop(label, None) is None:
                raise ToyNotFound()
            if not toys:
                del self.toys[chatbot.id]
        return {"detail": "Delete toy successfully"}

    def snapshot(self) -> dict[str, dict[str, str]]:
        """A copy of every chatbot's toys (no empty chatbot)."""
        with self._lock:
            return {bot: dict(toys) for bot, toys in self.toys.items() if toys}

    def count(self) -> int:
        with self._lock:
            return sum(len(toys) for toys in self.toys.values())

    def routes(self) -> list[Route]:
        path = f"{TOY_PATH}/{{label}}"
        return [
            Route("PUT", path, self.put_toy),
            Route("GET", path, self.get_toy),
            Route("DELETE", path, self.delete_toy),
        ]


def _checked(label: str) -> None:
    if not is_label(label):
        raise BadToy()
