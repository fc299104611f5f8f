"""Emulator-only test hooks under /_emulator: inspect rows, edit out of band, turn knobs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body
from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic import ValidationError as PydanticValidationError

from caigunn_provider.emulator.answers import InFlightCreates
from caigunn_provider.emulator.faults import FaultInjector
from caigunn_provider.emulator.forms import request_validation_error
from caigunn_provider.emulator.models import ChatbotBackend
from caigunn_provider.emulator.request_log import RequestLog
from caigunn_provider.emulator.responses import chatbot_row


class RenameBody(BaseModel):
    """PATCH /_emulator/chatbots/{id} body."""

    model_config = ConfigDict(extra="forbid")

    title: Annotated[str, StringConstraints(min_length=1)]


class AdminResponses:
    """Handlers of the admin routes; never subject to latency, failures or the request log."""

    def __init__(
        self,
        backend: ChatbotBackend,
        faults: FaultInjector,
        request_log: RequestLog,
        in_flight: InFlightCreates,
    ) -> None:
        self._backend = backend
        self._faults = faults
        self._request_log = request_log
        self._in_flight = in_flight

    def list_chatbots(self) -> dict[str, Any]:
        """Every row, deleted ones too, with all fields and every stored setting."""
        return {"chatbots": [chatbot_row(c) for c in self._backend.all_chatbots()]}

    def rename_chatbot(self, chatbot_id: str, body: RenameBody) -> dict[str, Any]:
        """Rename behind the provider's back (drift), at either level."""
        return chatbot_row(self._backend.rename_chatbot(chatbot_id, body.title))

    def delete_chatbot(self, chatbot_id: str) -> dict[str, Any]:
        """Delete behind the provider's back (drift), at either level."""
        return chatbot_row(self._backend.delete_chatbot(chatbot_id))

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
        """How many creates have committed and not yet been answered (pause_after_create_ms)."""
        return {"committed_unanswered_creates": self._in_flight.count}
