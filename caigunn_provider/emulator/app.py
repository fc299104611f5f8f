"""The FastAPI application factory: wires backend, routes, auth, faults and the request log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from starlette.responses import JSONResponse

from caigunn_provider.emulator.admin import AdminResponses
from caigunn_provider.emulator.auth import token_guard
from caigunn_provider.emulator.exceptions import EmulatorError
from caigunn_provider.emulator.faults import FaultInjector, error_response, fault_middleware
from caigunn_provider.emulator.models import ChatbotBackend
from caigunn_provider.emulator.request_log import RequestLog, request_log_middleware
from caigunn_provider.emulator.responses import ChatbotResponses
from caigunn_provider.emulator.settings import EmulatorSettings
from caigunn_provider.emulator.urls import admin_routes, caigunn_routes


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, EmulatorError)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    # Keep the service's {"detail": ...} shape even for a bug in the emulator itself.
    return error_response(500)


def create_app(settings: EmulatorSettings) -> FastAPI:
    """A ready-to-serve emulator for these settings (opens the store, preloads, opens the log)."""
    backend = ChatbotBackend(settings.db)
    backend.preload(settings.preload)
    faults = FaultInjector(settings.knobs, seed=settings.seed)
    request_log = RequestLog(settings.request_log)

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

    auth = [Depends(token_guard(settings.token))]
    responses = ChatbotResponses(backend, faults, level=settings.level, token=settings.token)
    admin = AdminResponses(backend, faults, request_log)
    routes = caigunn_routes(responses, settings.level) + admin_routes(admin)
    for route in routes:
        app.add_api_route(
            route.path,
            route.endpoint,
            methods=[route.method],
            dependencies=auth,
            response_model=None,
        )

    app.add_exception_handler(EmulatorError, _domain_error)
    app.add_exception_handler(Exception, _unexpected_error)
    # The last middleware added runs first: the log sees injected failures too.
    app.middleware("http")(fault_middleware(faults))
    app.middleware("http")(request_log_middleware(request_log))
    return app
