"""The toy routes of one chatbot (its api-key), over the chatbot-level API's plumbing."""

from __future__ import annotations

from typing import Any

from caigunn_provider.chatbot_level.api import CHATBOT_API, ChatbotAPI
from caigunn_provider.client import parsers
from caigunn_provider.client.transport import Malformed
from tests.toychild.kind import is_label

TOY_PATH = f"{CHATBOT_API}/toy"


def _toy(payload: Any) -> dict[str, str]:
    if not (
        isinstance(payload, dict)
        and isinstance(payload.get("label"), str)
        and isinstance(payload.get("note"), str)
    ):
        raise Malformed("a toy answer without a label and a note")
    return {"label": str(payload["label"]), "note": str(payload["note"])}


def _path(label: str) -> str:
    # Only a checked label goes into a path: nothing else can reach another route.
    if not is_label(label):
        raise ValueError(f"not a toy label: {label!r}")
    return f"{TOY_PATH}/{label}"


class ToyChildAPI(ChatbotAPI):
    """PUT (create or replace), GET and DELETE /toy/{label} of one chatbot."""

    def put(self, label: str, note: str) -> dict[str, str]:
        toy: dict[str, str] = self.send_json("PUT", _path(label), {"note": note}, parse=_toy)
        return toy

    def get(self, label: str) -> dict[str, str]:
        """GET /toy/{label}; NotFoundError when the chatbot has no such toy."""
        toy: dict[str, str] = self.send("GET", _path(label), parse=_toy)
        return toy

    def delete(self, label: str) -> None:
        """DELETE /toy/{label}; NotFoundError when the chatbot has no such toy."""
        self.send("DELETE", _path(label), parse=parsers.ignore)
