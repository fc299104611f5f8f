"""The routing table: every method and path, the handler serving it, its levels and an example.

The user API, the knowledge routes and the test hooks are listed here; each chatbot-level module
(caigunn_provider/emulator/chatbot_routes/) adds its own routes."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from starlette.routing import compile_path

from caigunn_provider.capabilities import LEVELS, Level
from caigunn_provider.emulator.chatbot_module import JSON_BODY, ChatbotModule, ChatbotRoute
from caigunn_provider.emulator.chatbot_routes import COLUMNS, MODULES

USER_API = "/api/external/user"
CHATBOT_API = "/api/external/chatbot"
ADMIN_PREFIX = "/_emulator"
# Which part of the API a route belongs to (its section of the route map, and the handler object
# serving it unless a chatbot-level module does): the user API, the chatbot-level API, the hooks.
Service = Literal["user", "chatbot", "admin"]
CURRENT: tuple[Level, ...] = ("current",)
BASIC_PLAN = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


@dataclass(frozen=True)
class RouteSpec:
    """One route as data: method, path, the operation (handler name) serving it, the levels that
    offer it, a one-line summary, curl examples as (query string, extra curl arguments), and the
    handler object serving it: its service's, or the chatbot-level module's it names (`module`
    for the module's CaiGunn routes, `hook_of` for its test hooks)."""

    method: str
    path: str
    operation: str
    service: Service
    summary: str
    levels: tuple[Level, ...] = LEVELS
    examples: tuple[tuple[str, str], ...] = (("", ""),)
    module: str | None = None
    hook_of: str | None = None

    @property
    def handler(self) -> str:
        """The key of the handler object serving it."""
        return self.module or self.hook_of or self.service


def module_route(module: ChatbotModule, route: ChatbotRoute) -> RouteSpec:
    """A chatbot-level module's route as a row of the table."""
    return RouteSpec(
        route.method,
        CHATBOT_API + route.path,
        route.operation,
        "chatbot",
        route.summary,
        CURRENT,
        route.examples,
        module.name,
    )


def module_hook(module: ChatbotModule, hook: ChatbotRoute) -> RouteSpec:
    """A chatbot-level module's test hook as a row of the table."""
    return RouteSpec(
        hook.method,
        ADMIN_PREFIX + hook.path,
        hook.operation,
        "admin",
        hook.summary,
        examples=hook.examples,
        hook_of=module.name,
    )


# What the admin edit route changes beyond the modules' columns.
ADMIN_EDITS = ("title", "period_end_at", "next_plan_id", "model_id")

_USER_ROUTES: tuple[RouteSpec, ...] = (
    RouteSpec(
        "GET",
        f"{USER_API}/chatbot",
        "get_all_chatbots",
        "user",
        "a page of chatbots: {chatbots: [{id, title, api_key}]}",
        examples=(("?offset=0&limit=30", ""),),
    ),
    RouteSpec(
        "POST",
        f"{USER_API}/chatbot",
        "create_chatbot",
        "user",
        "create a chatbot (seed: title and plan_id in the query string; current: form data, "
        "the query string too)",
        examples=(
            (f"?title=Made%20by%20hand&plan_id={BASIC_PLAN}", ""),
            ("", f"-F 'title=Made by hand' -F plan_id={BASIC_PLAN} -F 'prompt=Be brief.'"),
        ),
    ),
    RouteSpec(
        "GET",
        f"{USER_API}/chatbot/{{chatbot_id}}",
        "get_chatbot_info",
        "user",
        ", ".join(
            [
                "one chatbot: identity, prompt, period, plan limits, model",
                *(column.name for column in COLUMNS if column.in_info),
            ]
        ),
        CURRENT,
    ),
    RouteSpec(
        "PUT",
        f"{USER_API}/chatbot/{{chatbot_id}}",
        "update_chatbot",
        "user",
        "change the title and settings (form data; model_id picks the model it answers with)",
        CURRENT,
        (("", "-F 'title=Renamed by hand' -F 'prompt=Answer in English.'"),),
    ),
    RouteSpec(
        "DELETE",
        f"{USER_API}/chatbot/{{chatbot_id}}",
        "delete_chatbot",
        "user",
        "delete a chatbot",
        CURRENT,
    ),
    RouteSpec("GET", f"{USER_API}/plan", "get_all_plans", "user", "the plan catalogue", CURRENT),
    RouteSpec(
        "GET",
        f"{USER_API}/token/refresh",
        "refresh_token",
        "user",
        "a new access token valid until expired_date (default 30 days on); the old one is "
        "refused from then on",
        CURRENT,
        (("?expired_date=2030-01-01", ""),),
    ),
)
_KNOWLEDGE_ROUTES: tuple[RouteSpec, ...] = (
    RouteSpec(
        "POST",
        f"{CHATBOT_API}/training_data",
        "create_training_data",
        "chatbot",
        "add training data: text at once ({id}), a file upload or a crawl as an event ({event_id})",
        CURRENT,
        (
            ("?type=text", "-F 'text=Opening hours: Mon-Fri 9:00-18:00'"),
            ("?type=file", "-F files=@manual.pdf"),
            ("?type=crawler", "-F website=https://www.example.com/help -F is_single_page=true"),
        ),
    ),
    RouteSpec(
        "GET",
        f"{CHATBOT_API}/training_data",
        "get_all_training_data",
        "chatbot",
        "the chatbot's training data: {training_data: [{title, id, type}]}",
        CURRENT,
    ),
    RouteSpec(
        "DELETE",
        f"{CHATBOT_API}/training_data/{{training_data_id}}",
        "delete_training_data",
        "chatbot",
        "delete one training-data row",
        CURRENT,
    ),
    RouteSpec(
        "POST",
        f"{CHATBOT_API}/model",
        "create_model",
        "chatbot",
        "train a model on all current training data, as an event ({event_id})",
        CURRENT,
        (("", JSON_BODY + """-d '{"title": "v1", "model_name": "gpt-4"}'"""),),
    ),
    RouteSpec(
        "GET",
        f"{CHATBOT_API}/model",
        "get_all_models",
        "chatbot",
        "the chatbot's trained models",
        CURRENT,
    ),
    RouteSpec(
        "GET",
        f"{CHATBOT_API}/model/{{model_id}}",
        "get_model",
        "chatbot",
        "one model with the training data it was trained on",
        CURRENT,
    ),
    RouteSpec(
        "GET",
        f"{CHATBOT_API}/event/{{event_id}}",
        "get_event",
        "chatbot",
        "an event's logs: initial, then completed or failed",
        CURRENT,
    ),
)
_ADMIN_ROUTES: tuple[RouteSpec, ...] = (
    RouteSpec("GET", f"{ADMIN_PREFIX}/chatbots", "list_chatbots", "admin", "every stored chatbot"),
    RouteSpec(
        "PATCH",
        f"{ADMIN_PREFIX}/chatbots/{{chatbot_id}}",
        "edit_chatbot",
        "admin",
        "out-of-band edit: " + ", ".join([*ADMIN_EDITS, *(column.name for column in COLUMNS)]),
        examples=(("", JSON_BODY + """-d '{"period_end_at": "2030-01-01T00:00:00.000Z"}'"""),),
    ),
    RouteSpec(
        "DELETE",
        f"{ADMIN_PREFIX}/chatbots/{{chatbot_id}}",
        "delete_chatbot",
        "admin",
        "out-of-band delete",
    ),
    RouteSpec(
        "GET",
        f"{ADMIN_PREFIX}/chatbots/{{chatbot_id}}/extras",
        "get_extras",
        "admin",
        ", ".join(
            [
                "what a chatbot keeps beside its row: next_plan_id",
                *(column.name for column in COLUMNS),
            ]
        ),
    ),
    RouteSpec(
        "GET",
        f"{ADMIN_PREFIX}/chatbots/{{chatbot_id}}/knowledge",
        "get_knowledge",
        "admin",
        "a chatbot's training data, models and events with their logs",
    ),
    RouteSpec(
        "DELETE",
        f"{ADMIN_PREFIX}/chatbots/{{chatbot_id}}/training_data/{{training_data_id}}",
        "delete_training_data",
        "admin",
        "out-of-band delete of one training-data row",
    ),
    RouteSpec("GET", f"{ADMIN_PREFIX}/knobs", "get_knobs", "admin", "the current knobs"),
    RouteSpec(
        "PUT",
        f"{ADMIN_PREFIX}/knobs",
        "put_knobs",
        "admin",
        "change knobs at run time",
        examples=(("", JSON_BODY + """-d '{"work_ms": 1000, "fail_crawl": "Crawl failed"}'"""),),
    ),
    RouteSpec("GET", f"{ADMIN_PREFIX}/requests", "get_requests", "admin", "the request log"),
    RouteSpec(
        "DELETE", f"{ADMIN_PREFIX}/requests", "clear_requests", "admin", "forget the request log"
    ),
    RouteSpec(
        "GET",
        f"{ADMIN_PREFIX}/in-flight",
        "get_in_flight",
        "admin",
        "creates committed and not yet answered; CaiGunn requests in flight, most at once, "
        "refused as busy",
    ),
    RouteSpec(
        "GET",
        f"{ADMIN_PREFIX}/token",
        "get_token",
        "admin",
        "the access token accepted now, its expiry and how many refreshes retired one",
    ),
)
ROUTES: tuple[RouteSpec, ...] = (
    *_USER_ROUTES,
    *_KNOWLEDGE_ROUTES,
    *(module_route(module, route) for module in MODULES for route in module.routes),
    *_ADMIN_ROUTES,
    *(module_hook(module, hook) for module in MODULES for hook in module.hooks),
)
# The CaiGunn operations, in the table's order: what a scripted answer can target.
OPERATIONS: tuple[str, ...] = tuple(spec.operation for spec in ROUTES if spec.service != "admin")
if len(set(OPERATIONS)) != len(OPERATIONS):
    raise ValueError(f"two CaiGunn routes have the same operation: {OPERATIONS}")


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


def bind_routes(handlers: Mapping[str, object], level: Level) -> list[Route]:
    """The routes the level offers, each bound to its handler (the handler objects by service
    and by module name); any other path answers 404 like an unknown route."""
    return [
        Route(spec.method, spec.path, getattr(handlers[spec.handler], spec.operation))
        for spec in ROUTES
        if level in spec.levels
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
