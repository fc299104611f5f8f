"""What the knowledge, model and webhook providers share: settings, the run's context, the API.

Stands in until caigunn_provider/dynamic/ holds the base provider; nothing here names a kind.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from pulumi.dynamic import CheckFailure, ConfigureRequest, ResourceProvider

from caigunn_provider import tracebacks
from caigunn_provider.dynamic import partial
from caigunn_provider.errors import NotFoundError
from caigunn_provider.ids import canonical_id
from caigunn_provider.kinds.knowledge.api import ChatbotAPI
from caigunn_provider.runtime import Context, context_for
from caigunn_provider.settings import KEYS, Settings, resolve, training_timeout

# An input holding the resource's own name (the Resource classes set it), for messages: the
# dynamic provider is not told which resource it works on. Its "__" prefix keeps it out of the
# engine's diff display.
NAME = "__name"

# What the Python SDK passes for a value that is not known yet during a preview.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

# In the dynamic-provider process: expected failures without a traceback, partial failures kept.
tracebacks.install()
partial.install()


class KindProvider(ResourceProvider):
    """The provider plumbing of one chatbot-level kind: configuration and per-run pieces."""

    def __init__(self) -> None:
        super().__init__()
        self._config: dict[str, Any] = {}

    def configure(self, req: ConfigureRequest) -> None:
        # Runs in the provider process after unpickling: the token never enters the state.
        self._config = {key: req.config.get(key) for key in KEYS}

    def _settings(self) -> Settings:
        return resolve(getattr(self, "_config", {}), os.environ)

    def _context(self) -> Context:
        return context_for(self._settings())

    def _timeout(self) -> float:
        return training_timeout(getattr(self, "_config", {}), os.environ)

    def _api(self, props: dict[str, Any], ctx: Context | None = None) -> ChatbotAPI:
        return ChatbotAPI((ctx or self._context()).client.transport, str(props.get("api_key")))

    @staticmethod
    def _chatbot_gone(ctx: Context, chatbot_id: str) -> bool:
        """Whether the chatbot itself no longer exists (its api-key then means nothing)."""
        if canonical_id(chatbot_id) != chatbot_id:
            return False
        try:
            return ctx.client.get_chatbot(chatbot_id).is_deleted
        except NotFoundError:
            return True


def name_of(props: dict[str, Any]) -> str:
    """The resource's name for messages (`support` or `support/text_file:knowledge/a.md`)."""
    name = props.get(NAME)
    return name if isinstance(name, str) and name else "this resource"


def check_chatbot_id(news: dict[str, Any], failures: list[CheckFailure]) -> None:
    """chatbot_id canonical (or unknown during a preview); a CheckFailure otherwise."""
    value = news.get("chatbot_id")
    if value == UNKNOWN:
        return
    canonical = canonical_id(value)
    if canonical is None:
        failures.append(CheckFailure("chatbot_id", f"must be a UUID (got {value!r})"))
    else:
        news["chatbot_id"] = canonical


def note(message: str) -> None:
    # The engine shows what a provider writes to stderr beside the operation.
    print(message, file=sys.stderr, flush=True)
