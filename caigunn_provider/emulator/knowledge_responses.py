"""Chatbot-level route handlers (training data, models, events): parse and serialise."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, StringConstraints
from starlette.datastructures import UploadFile

from caigunn_provider.emulator.chatbot_module import Caller, WebUrl
from caigunn_provider.emulator.chatbot_routes import COLUMNS
from caigunn_provider.emulator.forms import RequestFields, parse_fields, read_query_and_form
from caigunn_provider.emulator.knowledge_models import (
    DEFAULT_MODEL_NAME,
    EMBEDDING_NAME,
    EventLog,
    KnowledgeBackend,
    ModelName,
    TrainedModel,
    UploadedFile,
    plan_limits,
)
from caigunn_provider.emulator.models import Chatbot

# The chatbot-level modules' values the chatbot info shows.
_INFO_COLUMNS = tuple(column.name for column in COLUMNS if column.in_info)


class TextFields(BaseModel):
    """POST /training_data?type=text form."""

    model_config = ConfigDict(extra="ignore")

    text: Annotated[str, StringConstraints(min_length=1)]


class CrawlerFields(BaseModel):
    """POST /training_data?type=crawler form."""

    model_config = ConfigDict(extra="ignore")

    website: WebUrl
    is_single_page: bool = False


class ModelBody(BaseModel):
    """POST /model JSON body."""

    model_config = ConfigDict(extra="ignore")

    title: Annotated[str, StringConstraints(min_length=1)]
    model_name: ModelName = DEFAULT_MODEL_NAME


def model_summary(model: TrainedModel) -> dict[str, Any]:
    """One entry of the model list."""
    return {
        "title": model.title,
        "id": model.id,
        "created_at": model.created_at,
        "updated_at": model.updated_at,
        "model_name": model.model_name,
    }


def log_view(log: EventLog) -> dict[str, Any]:
    """One webhook log of an event."""
    return {
        "created_at": log.created_at,
        "event_id": log.event_id,
        "event": log.event,
        "status": log.status,
        "data": log.data,
        "broadcast_status": log.broadcast_status,
    }


def knowledge_info(
    chatbot: Chatbot, knowledge: KnowledgeBackend, extras: dict[str, Any]
) -> dict[str, Any]:
    """What the chatbot info adds at the current level: period, plan limits, the values of
    chatbot-level modules it shows (the webhook), model."""
    model = knowledge.model_in_use(chatbot)
    limits = plan_limits(chatbot.plan_id)
    return {
        "period_start_at": chatbot.created_at,
        "period_end_at": chatbot.expired_at,
        "next_plan_id": extras["next_plan_id"],
        "character_limit": limits.character_limit,
        "crawler_limit": limits.crawler_limit,
        "training_limit": limits.training_limit,
        "total_file_size_limit": limits.total_file_size_limit,
        **{name: extras[name] for name in _INFO_COLUMNS},
        "model": None
        if model is None
        else {"id": model.id, "model_name": model.model_name, "embedding_name": EMBEDDING_NAME},
    }


def _uploads(fields: RequestFields) -> list[UploadedFile]:
    files = [value for value in fields.form.getlist("files") if isinstance(value, UploadFile)]
    if not files:
        raise RequestValidationError(
            [{"loc": ("body", "files"), "msg": "Field required", "type": "missing", "input": None}]
        )
    return [UploadedFile(upload.filename or "", upload.size or 0) for upload in files]


class KnowledgeResponses:
    """Handlers for the chatbot-level API; method names follow its operation names."""

    def __init__(self, backend: KnowledgeBackend) -> None:
        self._backend = backend

    def create_training_data(
        self,
        chatbot: Caller,
        data_type: Annotated[Literal["text", "file", "crawler"], Query(alias="type")],
        fields: Annotated[RequestFields, Depends(read_query_and_form)],
    ) -> dict[str, Any]:
        """POST /training_data: text is stored at once; file and crawler start an event."""
        body = {"body": fields.form}
        if data_type == "text":
            text = parse_fields(TextFields, body).text
            return {"id": self._backend.create_text(chatbot, text).id, "event_id": None}
        if data_type == "file":
            event_id = self._backend.create_upload(chatbot, _uploads(fields))
        else:
            crawl = parse_fields(CrawlerFields, body)
            event_id = self._backend.create_crawl(chatbot, crawl.website, crawl.is_single_page)
        return {"id": None, "event_id": event_id}

    def get_all_training_data(self, chatbot: Caller) -> dict[str, Any]:
        """GET /training_data: the rows the next training uses."""
        rows = self._backend.get_all_training_data(chatbot.id)
        return {
            "training_data": [{"title": row.title, "id": row.id, "type": row.type} for row in rows]
        }

    def delete_training_data(self, training_data_id: str, chatbot: Caller) -> dict[str, Any]:
        """DELETE /training_data/{id}."""
        self._backend.delete_training_data(chatbot.id, training_data_id)
        return {"detail": "Delete training data successfully"}

    def create_model(self, chatbot: Caller, body: ModelBody) -> dict[str, Any]:
        """POST /model: train on all current training data, in the background."""
        return {"event_id": self._backend.create_model(chatbot, body.title, body.model_name)}

    def get_all_models(self, chatbot: Caller) -> dict[str, Any]:
        """GET /model: the chatbot's trained models."""
        return {"models": [model_summary(m) for m in self._backend.get_all_models(chatbot.id)]}

    def get_model(self, model_id: str, chatbot: Caller) -> dict[str, Any]:
        """GET /model/{id}: one model and the rows it was trained on."""
        model = self._backend.get_model(chatbot.id, model_id)
        return {**model_summary(model), "training_data": model.training_data}

    def get_event(self, event_id: str, chatbot: Caller) -> dict[str, Any]:
        """GET /event/{id}: one log per status change, oldest first."""
        return {
            "webhook_logs": [log_view(log) for log in self._backend.get_event(chatbot.id, event_id)]
        }
