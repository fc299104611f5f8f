"""The chatbot's Opentalk binding: `PUT` and `DELETE /api/external/chatbot/opentalk`, and the
device each chatbot is bound to. The API has no call that reads a binding back: only the admin
view shows it."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints

from caigunn_provider.emulator.chatbot_module import (
    JSON_BODY,
    Caller,
    ChatbotColumn,
    ChatbotModule,
    ChatbotRoute,
)
from caigunn_provider.emulator.models import ChatbotBackend

DEVICE_ID = "opentalk_device_id"
# Not blank (the pattern is searched for: some character that is not a space), 255 at most.
DeviceId = Annotated[str, StringConstraints(pattern=r"\S", max_length=255)]


class OpentalkBody(BaseModel):
    """PUT /opentalk JSON body."""

    model_config = ConfigDict(extra="ignore")

    device_id: DeviceId


class OpentalkResponses:
    """Handlers of the Opentalk routes."""

    def __init__(self, chatbots: ChatbotBackend) -> None:
        self._chatbots = chatbots

    def bind_opentalk(self, chatbot: Caller, body: OpentalkBody) -> dict[str, Any]:
        """PUT /opentalk: bind the chatbot to this device (a binding already there is replaced)."""
        self._chatbots.set_extras(chatbot.id, {DEVICE_ID: body.device_id})
        return {"detail": "Bind Opentalk successfully"}

    def unbind_opentalk(self, chatbot: Caller) -> dict[str, Any]:
        """DELETE /opentalk (a chatbot bound to none is fine)."""
        self._chatbots.set_extras(chatbot.id, {DEVICE_ID: None})
        return {"detail": "Unbind Opentalk successfully"}


MODULE = ChatbotModule(
    name="opentalk",
    handlers=OpentalkResponses,
    routes=(
        ChatbotRoute(
            "PUT",
            "/opentalk",
            "bind_opentalk",
            "bind the chatbot to an Opentalk device",
            (("", JSON_BODY + """-d '{"device_id": "desk-phone-1"}'"""),),
        ),
        ChatbotRoute("DELETE", "/opentalk", "unbind_opentalk", "unbind the chatbot's device"),
    ),
    columns=(ChatbotColumn(DEVICE_ID, DeviceId),),
)
