"""The FastAPI application factory: wires backend, routes, the ASGI layers and the request log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from starlette.responses import JSONResponse

from caigunn_provider.emulator.admin import AdminResponses
from caigunn_provider.emulator.answers import (
    AnswersMiddleware,
    InFlightCreates,
    quiet_deliberate_drops,
)
from caigunn_provider.emulator.exceptions import EmulatorError
from caigunn_provider.emulator.faults import FaultInjector, FaultsMiddleware, error_response
from caigunn_provider.emulator.guard import GuardMiddleware
from caigunn_provider.emulator.models import ChatbotBackend
from caigunn_provider.emulator.request_log import RequestLog, RequestLogMiddleware
from caigunn_provider.emulator.responses import ChatbotResponses
from caigunn_provider.emulator.startup import EmulatorSettings
from caigunn_provider.emulator.urls import RouteTable, admin_routes, caigunn_routes


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, EmulatorError)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # Keep the service's {"detail": ...} shape even for a bug in the emulator itself.
    return error_response(500)


def create_app(settings: EmulatorSettings) -> FastAPI:
    """A ready-to-serve emulator for these settings (opens the store, preloads, opens the log)."""
    backend = ChatbotBackend(settings.db, api_key_prefix=settings.api_key_prefix)
    backend.preload(settings.preload)
    faults = FaultInjector(settings.knobs, seed=settings.seed)
    request_log = RequestLog(settings.request_log)
    in_flight = InFlightCreates()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        request_log.close()
        backend.close()

    # No /docs or /openapi.json: the emulator offers exactly the CaiGunn routes and its hooks.
    app = FastAPI(
        title="CaiGunn emulator", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.backend = backend
    app.state.faults = faults

    responses = ChatbotResponses(backend, faults, level=settings.level, token=settings.token)
    admin = AdminResponses(backend, faults, request_log, in_flight)
    routes = caigunn_routes(responses, settings.level) + admin_routes(admin)
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
    app.add_middleware(GuardMiddleware, settings.token, table.has_path)
    app.add_middleware(RequestLogMiddleware, request_log)
    quiet_deliberate_drops()
    return app
