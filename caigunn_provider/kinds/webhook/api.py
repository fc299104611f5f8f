"""The webhook calls of one chatbot (its api-key): subscribe a URL, unsubscribe."""

from __future__ import annotations

from caigunn_provider.client import parsers
from caigunn_provider.kinds.knowledge.api import CHATBOT_API, ChatbotAPI


class WebhookAPI(ChatbotAPI):
    """PUT and DELETE /webhook, beside the chatbot-level calls (links() reads the URL back)."""

    def subscribe(self, url: str) -> None:
        """PUT /webhook: CaiGunn's events for this chatbot go to url."""
        self.send_json("PUT", f"{CHATBOT_API}/webhook", {"webhook_url": url}, parse=parsers.ignore)

    def unsubscribe(self) -> None:
        """DELETE /webhook; NotFoundError where none is set (on some servers)."""
        self.send("DELETE", f"{CHATBOT_API}/webhook", parse=parsers.ignore)
