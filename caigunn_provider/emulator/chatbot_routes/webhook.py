"""The chatbot's webhook: `PUT` and `DELETE /api/external/chatbot/webhook`, and the one URL each
chatbot keeps, to which the events' logs are POSTed (caigunn_provider/emulator/webhooks.py)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from caigunn_provider.emulator.chatbot_module import (
    JSON_BODY,
    Caller,
    ChatbotColumn,
    ChatbotModule,
    ChatbotRoute,
    WebUrl,
)
from caigunn_provider.emulator.models import ChatbotBackend

WEBHOOK_URL = "webhook_url"


class WebhookBody(BaseModel):
    """PUT /webhook JSON body."""

    model_config = ConfigDict(extra="ignore")

    webhook_url: WebUrl


class WebhookResponses:
    """Handlers of the webhook routes."""

    def __init__(self, chatbots: ChatbotBackend) -> None:
        self._chatbots = chatbots

    def subscribe_webhook(self, chatbot: Caller, body: WebhookBody) -> dict[str, Any]:
        """PUT /webhook: the chatbot's one webhook URL."""
        self._chatbots.set_extras(chatbot.id, {WEBHOOK_URL: body.webhook_url})
        return {"detail": "Subscribe webhook successfully"}

    def unsubscribe_webhook(self, chatbot: Caller) -> dict[str, Any]:
        """DELETE /webhook (nothing to remove is fine)."""
        self._chatbots.set_extras(chatbot.id, {WEBHOOK_URL: None})
        return {"detail": "Unsubscribe webhook successfully"}


MODULE = ChatbotModule(
    name="webhook",
    handlers=WebhookResponses,
    routes=(
        ChatbotRoute(
            "PUT",
            "/webhook",
            "subscribe_webhook",
            "set the chatbot's webhook URL",
            (("", JSON_BODY + """-d '{"webhook_url": "http://127.0.0.1:9000/hook"}'"""),),
        ),
        ChatbotRoute(
            "DELETE", "/webhook", "unsubscribe_webhook", "remove the chatbot's webhook URL"
        ),
    ),
    columns=(ChatbotColumn(WEBHOOK_URL, WebUrl, in_info=True),),
)
