"""The webhook calls of one chatbot (its api-key): subscribe a URL, unsubscribe."""

from __future__ import annotations

from caigunn_provider.chatbot_level.api import CHATBOT_API, ChatbotAPI
from caigunn_provider.client import parsers


class WebhookAPI(ChatbotAPI):
    """PUT and DELETE /webhook (the chatbot's info, a user-level GET, reads the URL back)."""

    def subscribe(self, url: str) -> None:
        """PUT /webhook: CaiGunn's events for this chatbot go to url."""
        self.send_json("PUT", f"{CHATBOT_API}/webhook", {"webhook_url": url}, parse=parsers.ignore)

    def unsubscribe(self) -> None:
        """DELETE /webhook; NotFoundError where none is set (on some servers)."""
        self.send("DELETE", f"{CHATBOT_API}/webhook", parse=parsers.ignore)
