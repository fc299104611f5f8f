"""The provider base of every kind inside a chatbot entry: the chatbot's API, its name, waits.

Runs in the dynamic-provider process, on the generic base (caigunn_provider/dynamic/base.py).
"""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import CheckFailure

from caigunn_provider.chatbot_level.api import ChatbotAPI
from caigunn_provider.chatbot_level.keys import keys_of, read_key
from caigunn_provider.dynamic import status
from caigunn_provider.dynamic.base import UNKNOWN, BaseProvider
from caigunn_provider.dynamic.runtime import Context
from caigunn_provider.errors import NotFoundError
from caigunn_provider.ids import canonical_id

__all__ = [
    "NAME",
    "UNKNOWN",
    "ChatbotLevelProvider",
    "check_chatbot_id",
    "name_of",
    "note",
    "progress",
    "tell",
]

# An input holding the resource's own name (the Resource classes set it), for messages: the
# dynamic provider is not told which resource it works on. Its "__" prefix keeps it out of the
# engine's diff display.
NAME = "__name"


class ChatbotLevelProvider(BaseProvider):
    """A chatbot-level kind's provider: the chatbot's api-key API and the waits' timeout."""

    credentials = "the access token or the chatbot's api_key"

    def _context(self) -> Context:
        return self.context()

    def _timeout(self) -> float:
        return self.provider_config().training_timeout

    def _api(self, props: dict[str, Any], ctx: Context | None = None) -> ChatbotAPI:
        ctx = ctx or self._context()
        return ChatbotAPI(ctx.client.transport, self._key(props, ctx))

    def _key(self, props: dict[str, Any], ctx: Context | None = None) -> str:
        """The chatbot's api_key: as its Chatbot's step told this run, else as a step recorded
        before the key left this kind's state, else read once with the token (keys.py)."""
        ctx = ctx or self._context()
        chatbot_id = str(props.get("chatbot_id"))
        told = keys_of(ctx).known(chatbot_id)
        if told is not None:
            return told
        recorded = props.get("api_key")
        if isinstance(recorded, str) and recorded and recorded != UNKNOWN:
            return recorded
        return keys_of(ctx).key(chatbot_id, lambda: read_key(ctx, chatbot_id))

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
    """A lasting message beside the resource at work (a training started, a report), kept in
    the Diagnostics. A wait's lines (`support: training: embedding (12 s)`, one per stage and a
    heartbeat) go through `progress` instead: repeated in the Diagnostics at the end, they buried
    the messages that matter there."""
    tell(message)


def progress(message: str) -> None:
    """A passing status of the resource at work: shown live, not kept in the Diagnostics."""
    status.say(message, ephemeral=True)


def tell(message: str) -> None:
    """A message kept under the resource's name in the Diagnostics (and shown live)."""
    status.say(message, ephemeral=False)
