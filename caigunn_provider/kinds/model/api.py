"""The model calls of one chatbot (its api-key): train on the current training data, list models."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from caigunn_provider.chatbot_level.api import CHATBOT_API, ChatbotAPI, checked_id
from caigunn_provider.client import parsers
from caigunn_provider.client.transport import Malformed

# The model names the API documents ("PaLM2" is its default: a training that names none uses it).
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
DEFAULT_MODEL = "PaLM2"


def model_name_of(declared: str | None) -> str:
    """The model a training uses: the one declared, else the API's default (written the same)."""
    return declared or DEFAULT_MODEL


@dataclass(frozen=True)
class ModelRow:
    """One trained model of the chatbot."""

    id: str
    title: str
    model_name: str | None
    created_at: str


@dataclass(frozen=True)
class ModelDetail:
    """One model with the rows it was trained on (GET /model/{id})."""

    id: str
    model_name: str | None
    training_data_ids: frozenset[str]


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

    def get_model(self, model_id: str) -> ModelDetail:
        """GET /model/{id}: the model and its training data; NotFoundError when none."""
        detail: ModelDetail = self.send(
            "GET", f"{CHATBOT_API}/model/{checked_id(model_id)}", parse=_model_detail
        )
        return detail


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


def _model_detail(payload: Any) -> ModelDetail:
    body = parsers._object(payload)
    rows = body.get("training_data")
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise Malformed("no 'training_data' list of objects in the model")
    name = body.get("model_name")
    return ModelDetail(
        id=parsers._id(body, "id"),
        model_name=name if isinstance(name, str) else None,
        training_data_ids=frozenset(parsers._id(row, "id") for row in rows),
    )
