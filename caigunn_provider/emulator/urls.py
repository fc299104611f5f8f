"""The routing table: which handler serves which method and path, per API level."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.routing import compile_path

from caigunn_provider.capabilities import Level
from caigunn_provider.emulator.admin import AdminResponses
from caigunn_provider.emulator.faults import ADMIN_PREFIX
from caigunn_provider.emulator.responses import ChatbotResponses

USER_API = "/api/external/user"


@dataclass(frozen=True)
class Route:
    """One method and path and the handler that serves it."""

    method: str
    path: str
    endpoint: Callable[..., Any]

    @property
    def operation(self) -> str:
        """The API operation's name, which is the handler's name."""
        return str(self.endpoint.__name__)


def caigunn_routes(responses: ChatbotResponses, level: Level) -> list[Route]:
    """The CaiGunn routes the level offers; any other path answers 404 like an unknown route."""
    routes = [
        Route("GET", f"{USER_API}/chatbot", responses.get_all_chatbots),
        Route("POST", f"{USER_API}/chatbot", responses.create_chatbot),
    ]
    if level == "current":
        routes += [
            Route("GET", f"{USER_API}/chatbot/{{chatbot_id}}", responses.get_chatbot_info),
            Route("PUT", f"{USER_API}/chatbot/{{chatbot_id}}", responses.update_chatbot),
            Route("DELETE", f"{USER_API}/chatbot/{{chatbot_id}}", responses.delete_chatbot),
            Route("GET", f"{USER_API}/plan", responses.get_all_plans),
            Route("GET", f"{USER_API}/token/refresh", responses.refresh_token),
        ]
    return routes


def admin_routes(admin: AdminResponses) -> list[Route]:
    """The emulator's test hooks, the same at both levels."""
    return [
        Route("GET", f"{ADMIN_PREFIX}/chatbots", admin.list_chatbots),
        Route("PATCH", f"{ADMIN_PREFIX}/chatbots/{{chatbot_id}}", admin.rename_chatbot),
        Route("DELETE", f"{ADMIN_PREFIX}/chatbots/{{chatbot_id}}", admin.delete_chatbot),
        Route("GET", f"{ADMIN_PREFIX}/knobs", admin.get_knobs),
        Route("PUT", f"{ADMIN_PREFIX}/knobs", admin.put_knobs),
        Route("GET", f"{ADMIN_PREFIX}/requests", admin.get_requests),
        Route("DELETE", f"{ADMIN_PREFIX}/requests", admin.clear_requests),
        Route("GET", f"{ADMIN_PREFIX}/in-flight", admin.get_in_flight),
    ]


class RouteTable:
    """Which route a method and path reach, known before routing runs (for the ASGI layers)."""

    def __init__(self, routes: list[Route]) -> None:
        self._routes = [
            (route.method, compile_path(route.path)[0], route.operation) for route in routes
        ]

    def operation_of(self, method: str, path: str) -> str | None:
        """The operation (handler) name of the route, or None if none matches."""
        for route_method, pattern, operation in self._routes:
            if route_method == method and pattern.match(path):
                return operation
        return None

    def has_path(self, path: str) -> bool:
        """Whether some route, by any method, serves this path."""
        return any(pattern.match(path) for _, pattern, _ in self._routes)
