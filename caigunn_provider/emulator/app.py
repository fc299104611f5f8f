"""The FastAPI application factory: wires backend, routes, the ASGI layers and the request log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from fastapi import FastAPI, Request
from starlette.responses import JSONResponse

from caigunn_provider.emulator.admin import AdminResponses
from caigunn_provider.emulator.answers import (
    AnswersMiddleware,
    InFlightCreates,
    quiet_deliberate_drops,
)
from caigunn_provider.emulator.chatbot_routes import COLUMNS, MODULES
from caigunn_provider.emulator.exceptions import EmulatorError
from caigunn_provider.emulator.faults import FaultInjector, FaultsMiddleware, error_response
from caigunn_provider.emulator.guard import GuardMiddleware
from caigunn_provider.emulator.knowledge_models import KnowledgeBackend
from caigunn_provider.emulator.knowledge_responses import KnowledgeResponses
from caigunn_provider.emulator.models import ChatbotBackend
from caigunn_provider.emulator.request_log import RequestLog, RequestLogMiddleware
from caigunn_provider.emulator.responses import ChatbotResponses
from caigunn_provider.emulator.startup import EmulatorSettings
from caigunn_provider.emulator.tokens import TokenStore
from caigunn_provider.emulator.urls import RouteTable, bind_routes
from caigunn_provider.emulator.webhooks import WebhookSender

DESCRIPTION = (
    "A local emulator of the CaiGunn chatbot-management API, for tests and demos: not CaiGunn "
    "itself. Every CaiGunn route needs the header `caigunn-access-token` (the emulator's "
    "`--token`); the chatbot-level routes also need `api-key`. The `/_emulator` routes are "
    "test hooks. This page and /openapi.json need no token. Route map: docs/emulator.md."
)


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, EmulatorError)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # Keep the service's {"detail": ...} shape even for a bug in the emulator itself.
    return error_response(500)


def create_app(settings: EmulatorSettings) -> FastAPI:
    """A ready-to-serve emulator for these settings (opens the store, preloads, opens the log)."""
    backend = ChatbotBackend(
        settings.db,
        api_key_prefix=settings.api_key_prefix,
        extra_columns=[column.name for column in COLUMNS],
    )
    backend.preload(settings.preload)
    faults = FaultInjector(settings.knobs, seed=settings.seed)
    request_log = RequestLog(settings.request_log)
    in_flight = InFlightCreates()
    sender = WebhookSender()
    knowledge = KnowledgeBackend(backend, lambda: faults.knobs, sender)

    def set_token_expiry(expires_at: datetime | None) -> None:
        faults.update({"token_expires_at": expires_at})

    tokens = TokenStore(settings.token, lambda: faults.knobs.token_expires_at, set_token_expiry)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        knowledge.close()
        sender.close()
        request_log.close()
        backend.close()

    # /docs serves FastAPI's page about the routes of this level (not a CaiGunn route: no token).
    app = FastAPI(
        title="CaiGunn emulator",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.backend = backend
    app.state.faults = faults
    app.state.knowledge = knowledge
    app.state.tokens = tokens

    responses = ChatbotResponses(backend, faults, knowledge, level=settings.level, tokens=tokens)
    admin = AdminResponses(backend, faults, request_log, in_flight, knowledge, tokens)
    handlers: dict[str, object] = {
        "user": responses,
        "chatbot": KnowledgeResponses(knowledge),
        "admin": admin,
        **{module.name: module.handlers(backend) for module in MODULES},
    }
    routes = [*bind_routes(handlers, settings.level), *settings.extra_routes]
    for route in routes:
        app.add_api_route(route.path, route.endpoint, methods=[route.method], response_model=None)
    table = RouteTable(routes)

    app.add_exception_handler(EmulatorError, _domain_error)
    app.add_exception_handler(Exception, _unexpected_error)
    # The last layer added runs first. From the outside in: the log sees every answer, refusals
    # included; the guard checks the token and caps the body before anything reads it (a path
    # the level does not offer answers 404 whatever the token, as a server without it would); then
    # latency and random failures; then scripted answers and the pause around the handlers.
    app.add_middleware(AnswersMiddleware, faults, table.operation_of, in_flight)
    app.add_middleware(FaultsMiddleware, faults)
    app.add_middleware(GuardMiddleware, tokens, table.has_path)
    app.add_middleware(RequestLogMiddleware, request_log)
    quiet_deliberate_drops()
    return app
