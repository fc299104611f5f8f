"""Emulator-only test hooks under /_emulator: inspect rows, edit out of band, turn knobs."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Body
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    StringConstraints,
    create_model,
    model_validator,
)
from pydantic import ValidationError as PydanticValidationError

from caigunn_provider.emulator.answers import InFlightCreates
from caigunn_provider.emulator.chatbot_routes import COLUMNS
from caigunn_provider.emulator.faults import FaultInjector
from caigunn_provider.emulator.forms import request_validation_error
from caigunn_provider.emulator.knowledge_models import KnowledgeBackend
from caigunn_provider.emulator.knowledge_responses import log_view, model_summary
from caigunn_provider.emulator.models import Chatbot, ChatbotBackend, find_plan, iso_time
from caigunn_provider.emulator.request_log import RequestLog
from caigunn_provider.emulator.responses import chatbot_row
from caigunn_provider.emulator.tokens import TokenStore


class CoreEdit(BaseModel):
    """PATCH /_emulator/chatbots/{id} body: any of these and of the chatbot-level modules'
    columns (EditBody), at least one; null clears any but the first two."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, StringConstraints(min_length=1)] | None = None
    period_end_at: AwareDatetime | None = None
    next_plan_id: uuid.UUID | None = None
    model_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _something(self) -> CoreEdit:
        if not self.model_fields_set:
            raise ValueError("name at least one field to change")
        for name in ("title", "period_end_at"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


# The whole edit body: the fields above, and each module column (a value it accepts, or null).
_COLUMN_FIELDS: dict[str, Any] = {column.name: (column.accepts | None, None) for column in COLUMNS}
EditBody = create_model("EditBody", __base__=CoreEdit, **_COLUMN_FIELDS)


def parse_edit(body: dict[str, Any]) -> CoreEdit:
    """The edit body validated; 422 located in the body, as FastAPI's own."""
    try:
        return EditBody.model_validate(body)
    except PydanticValidationError as exc:
        raise request_validation_error(exc, {}, default="body") from exc


class AdminResponses:
    """Handlers of the admin routes; never subject to latency, failures or the request log."""

    def __init__(
        self,
        backend: ChatbotBackend,
        faults: FaultInjector,
        request_log: RequestLog,
        in_flight: InFlightCreates,
        knowledge: KnowledgeBackend,
        tokens: TokenStore,
    ) -> None:
        self._backend = backend
        self._faults = faults
        self._request_log = request_log
        self._in_flight = in_flight
        self._knowledge = knowledge
        self._tokens = tokens

    def list_chatbots(self) -> dict[str, Any]:
        """Every row, deleted ones too, with all fields, every stored setting and the extras."""
        return {"chatbots": [self._row(c) for c in self._backend.all_chatbots()]}

    def edit_chatbot(
        self, chatbot_id: str, fields: Annotated[dict[str, Any], Body()]
    ) -> dict[str, Any]:
        """Change behind the provider's back (drift), at either level: the title and period of
        any stored chatbot; model_id (a setting) of a live one; next_plan_id and the modules'
        columns (webhook_url...)."""
        body = parse_edit(fields)
        given = body.model_fields_set
        if body.next_plan_id is not None:
            find_plan(str(body.next_plan_id))  # 400 for a plan the catalogue lacks
        chatbot = self._backend.get_any(chatbot_id)
        if body.title is not None:
            chatbot = self._backend.rename_chatbot(chatbot_id, body.title)
        if body.period_end_at is not None:
            chatbot = self._backend.set_period_end(chatbot_id, iso_time(body.period_end_at))
        if "model_id" in given:
            model_id = None if body.model_id is None else str(body.model_id)
            chatbot = self._backend.update_chatbot(chatbot_id, settings={"model_id": model_id})
        extras: dict[str, Any] = {
            name: None if getattr(body, name) is None else str(getattr(body, name))
            for name in ("next_plan_id", *(column.name for column in COLUMNS))
            if name in given
        }
        if extras:
            self._backend.set_extras(chatbot_id, extras)
        return self._row(chatbot)

    def delete_chatbot(self, chatbot_id: str) -> dict[str, Any]:
        """Delete behind the provider's back (drift), at either level."""
        return self._row(self._backend.delete_chatbot(chatbot_id))

    def get_extras(self, chatbot_id: str) -> dict[str, Any]:
        """What a chatbot, deleted or not, keeps beside its row: next_plan_id and the values of
        the chatbot-level modules (those the API never reads back too, as an Opentalk device)."""
        self._backend.get_any(chatbot_id)
        return self._backend.extras(chatbot_id)

    def get_knowledge(self, chatbot_id: str) -> dict[str, Any]:
        """A chatbot's training data (every column), models and events with their logs."""
        self._backend.get_any(chatbot_id)
        rows = self._knowledge.get_all_training_data(chatbot_id)
        models = self._knowledge.get_all_models(chatbot_id)
        events = self._knowledge.all_events(chatbot_id)
        return {
            "training_data": [vars(row) for row in rows],
            "models": [{**model_summary(m), "training_data": m.training_data} for m in models],
            "events": [
                {"event_id": event_id, "webhook_logs": [log_view(log) for log in logs]}
                for event_id, logs in events.items()
            ],
        }

    def delete_training_data(self, chatbot_id: str, training_data_id: str) -> dict[str, Any]:
        """Delete a training-data row behind the provider's back (drift)."""
        self._knowledge.delete_training_data(chatbot_id, training_data_id)
        return {"detail": "Delete training data successfully"}

    def get_token(self) -> dict[str, Any]:
        """The token accepted now (a test that refreshed needs it), its expiry, refreshes."""
        return {
            "token": self._tokens.current,
            "expires_at": self._faults.knobs.token_expires_at,
            "retired": self._tokens.retired,
        }

    def _row(self, chatbot: Chatbot) -> dict[str, Any]:
        return {**chatbot_row(chatbot), **self._backend.extras(chatbot.id)}

    def get_knobs(self) -> dict[str, Any]:
        """The current knobs (the script shows the rules not yet used up)."""
        return self._faults.knobs.model_dump()

    def put_knobs(self, changes: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        """Change any knobs; answers the full set."""
        try:
            return self._faults.update(changes).model_dump()
        except PydanticValidationError as exc:
            raise request_validation_error(exc, {}, default="body") from exc

    def get_requests(self) -> dict[str, Any]:
        """The CaiGunn requests served so far (admin calls are never recorded)."""
        return {"requests": self._request_log.entries()}

    def clear_requests(self) -> dict[str, Any]:
        """Forget the recorded requests."""
        self._request_log.clear()
        return {"requests": []}

    def get_in_flight(self) -> dict[str, Any]:
        """How many creates have committed and not yet been answered (pause_after_create_ms);
        the CaiGunn requests in flight now, the most served at once so far, and how many were
        refused with 429 because max_in_flight were already in flight."""
        load = self._faults.load()
        return {
            "committed_unanswered_creates": self._in_flight.count,
            "in_flight": load.in_flight,
            "most_at_once": load.most_at_once,
            "refused_busy": load.refused_busy,
        }
