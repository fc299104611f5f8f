"""The model calls of one chatbot (its api-key): train on the current training data, list models."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from caigunn_provider.chatbot_level.api import CHATBOT_API, ChatbotAPI
from caigunn_provider.client import parsers
from caigunn_provider.client.transport import Malformed

# The model names the API documents ("PaLM2" is its default).
MODEL_NAMES = (
    "PaLM2",
    "gpt-3.5-turbo",
    "gpt-4",
    "Gemini",
    "Claude 2",
    "Claude 3",
    "CaiGunn001",
    "Gemini 1.5",
)


@dataclass(frozen=True)
class ModelRow:
    """One trained model of the chatbot."""

    id: str
    title: str
    model_name: str | None
    created_at: str


class ModelAPI(ChatbotAPI):
    """Training and models, beside the chatbot-level calls."""

    def train(self, title: str, model_name: str | None) -> str:
        """POST /model: trains on all current training data; the event to wait for."""
        body: dict[str, Any] = {"title": title}
        if model_name is not None:
            body["model_name"] = model_name
        event_id: str = self.send_json("POST", f"{CHATBOT_API}/model", body, parse=_event_id)
        return event_id

    def list_models(self) -> list[ModelRow]:
        """GET /model: every trained model of the chatbot."""
        models: list[ModelRow] = self.send(
            "GET", f"{CHATBOT_API}/model", parse=parsers.rows("models", _model_row)
        )
        return models


def _event_id(payload: Any) -> str:
    body = parsers._object(payload)
    return parsers._id(body, "event_id")


def _model_row(row: Mapping[str, Any]) -> ModelRow:
    title, name, created = row.get("title"), row.get("model_name"), row.get("created_at")
    if not isinstance(title, str):
        raise Malformed("a model's 'title' is not a string")
    return ModelRow(
        id=parsers._id(row, "id"),
        title=title,
        model_name=name if isinstance(name, str) else None,
        created_at=created if isinstance(created, str) else "",
    )
