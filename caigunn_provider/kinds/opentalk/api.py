"""The Opentalk calls of one chatbot (its api-key): bind a device, unbind."""

from __future__ import annotations

from caigunn_provider.chatbot_level.api import CHATBOT_API, ChatbotAPI
from caigunn_provider.client import parsers

OPENTALK = f"{CHATBOT_API}/opentalk"


class OpentalkAPI(ChatbotAPI):
    """PUT and DELETE /opentalk. CaiGunn documents no way to read a binding back."""

    def bind(self, device_id: str) -> None:
        """PUT /opentalk: the chatbot serves this Opentalk device (a rebind replaces the last)."""
        self.send_json("PUT", OPENTALK, {"device_id": device_id}, parse=parsers.ignore)

    def unbind(self) -> None:
        """DELETE /opentalk; NotFoundError where nothing is bound (on some servers)."""
        self.send("DELETE", OPENTALK, parse=parsers.ignore)
