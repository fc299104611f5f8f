"""What a chatbot-level module of the emulator declares: its routes, per-chatbot data, handlers.

Each module of `caigunn_provider/emulator/chatbot_routes/` is one feature of the chatbot-level
API (`/api/external/chatbot/...`, current level) and names one `ChatbotModule` `MODULE`. The
emulator finds the modules itself; from a module's declaration it serves the routes (behind the
same token check, api-key check, knobs and request log as every CaiGunn route), lets scripted
answers target their operations, documents them in the route map, stores the module's columns
per chatbot, and shows and edits them in the admin view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from pydantic import StringConstraints

from caigunn_provider.emulator.exceptions import ApiKeyRefused
from caigunn_provider.emulator.models import Chatbot, ChatbotBackend

# An http(s) URL with a host; what a crawl or a webhook may name.
WebUrl = Annotated[
    str, StringConstraints(pattern=r"^https?://[^\s/?#]+([/?#]\S*)?$", max_length=2000)
]
# The curl arguments of an example that sends JSON.
JSON_BODY = "-H 'Content-Type: application/json' "


def calling_chatbot(
    request: Request, api_key: Annotated[str | None, Header(alias="api-key")] = None
) -> Chatbot:
    """Dependency: the live chatbot whose api_key the `api-key` header holds (401 otherwise)."""
    if not api_key:
        raise ApiKeyRefused("Missing api-key header")
    chatbots: ChatbotBackend = request.app.state.backend
    chatbot = chatbots.find_by_api_key(api_key)
    if chatbot is None:
        raise ApiKeyRefused()
    return chatbot


# What every chatbot-level handler takes: the chatbot the call is about.
Caller = Annotated[Chatbot, Depends(calling_chatbot)]


@dataclass(frozen=True)
class ChatbotRoute:
    """One route under /api/external/chatbot (current level only): method, the path after that
    prefix, the handler method serving it (also the operation a script rule names), a one-line
    summary and curl examples as (query string, extra curl arguments) for the route map. A test
    hook of the module is one too, its path the part after /_emulator."""

    method: str
    path: str
    operation: str
    summary: str
    examples: tuple[tuple[str, str], ...] = (("", ""),)


@dataclass(frozen=True)
class ChatbotColumn:
    """A value the module keeps per chatbot (text, or null when unset). The admin view shows it;
    the admin edit route sets it (a value of type `accepts`) or clears it (null); `in_info` also
    puts it in the public chatbot info (`GET /api/external/user/chatbot/{id}`)."""

    name: str
    accepts: Any
    in_info: bool = False

    def __post_init__(self) -> None:
        # The name becomes an SQL column and a JSON key.
        if not self.name.isidentifier():
            raise ValueError(f"column name {self.name!r}: not an identifier")


@dataclass(frozen=True)
class ChatbotModule:
    """One chatbot-level feature. `name` (its file's) keys its handler object, which `handlers`
    builds from the chatbot store (its columns are read and written through
    `ChatbotBackend.extras` and `set_extras`); each route's operation is a method of that object.
    `hooks` are its test hooks under /_emulator (served like the admin routes: at both levels,
    behind the token check, never slowed, failed or logged), methods of the same object."""

    name: str
    handlers: Callable[[ChatbotBackend], object]
    routes: tuple[ChatbotRoute, ...]
    columns: tuple[ChatbotColumn, ...] = ()
    hooks: tuple[ChatbotRoute, ...] = ()
