"""The knobs that make the emulator slow, flaky or quirky, and the middleware that applies them."""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

ADMIN_PREFIX = "/_emulator"

# Statuses a real gateway sends with Retry-After (and that urllib3's Retry honours it on).
_RETRY_AFTER_STATUSES = frozenset({429, 503})

FailStatus = Annotated[int, Field(ge=400, le=599)]


class Knobs(BaseModel):
    """Every run-time knob; the same names are the flags (dashed) and the admin JSON keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    latency_ms: float = Field(default=0.0, ge=0)
    fail_rate: float = Field(default=0.0, ge=0, le=1)
    fail_statuses: tuple[FailStatus, ...] = Field(default=(429, 500, 503), min_length=1)
    retry_after: int = Field(default=1, ge=0)
    create_commits_then_500: int = Field(default=0, ge=0)
    max_limit: int | None = Field(default=None, ge=1)
    newest_first: bool = False

    def with_changes(self, changes: Mapping[str, Any]) -> Knobs:
        """A validated copy with some knobs changed (pydantic.ValidationError if a value is bad)."""
        return Knobs.model_validate({**self.model_dump(), **changes})


def is_admin_path(path: str) -> bool:
    """Whether the path is one of the emulator's own test hooks rather than a CaiGunn route."""
    return path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")


class FaultInjector:
    """Holds the current knobs and makes the (seeded, hence repeatable) failure decisions."""

    def __init__(self, knobs: Knobs, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._knobs = knobs
        self._random = random.Random(seed)

    @property
    def knobs(self) -> Knobs:
        """The current knobs (an immutable snapshot)."""
        with self._lock:
            return self._knobs

    def update(self, changes: Mapping[str, Any]) -> Knobs:
        """Change some knobs at run time; answers the full new set."""
        with self._lock:
            self._knobs = self._knobs.with_changes(changes)
            return self._knobs

    def draw_failure(self) -> int | None:
        """The status to fail this request with, or None to serve it."""
        with self._lock:
            # Draw only when failures are on, so turning them on later replays the same sequence.
            if self._knobs.fail_rate <= 0 or self._random.random() >= self._knobs.fail_rate:
                return None
            return self._random.choice(self._knobs.fail_statuses)

    def take_create_failure(self) -> bool:
        """Whether this create must answer 500 after committing (uses up one of the counter)."""
        with self._lock:
            if self._knobs.create_commits_then_500 <= 0:
                return False
            remaining = self._knobs.create_commits_then_500 - 1
            self._knobs = self._knobs.with_changes({"create_commits_then_500": remaining})
            return True


def error_response(status: int, retry_after: int | None = None) -> JSONResponse:
    """An error answer in the service's shape, with the status's standard phrase as detail."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    try:
        detail = HTTPStatus(status).phrase
    except ValueError:  # a knob may name a status the standard library has no phrase for
        detail = "Error"
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def fault_middleware(
    injector: FaultInjector,
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    """HTTP middleware adding latency and injected failures to every non-admin request."""

    async def apply_faults(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if is_admin_path(request.url.path):
            return await call_next(request)
        knobs = injector.knobs
        if knobs.latency_ms > 0:
            await asyncio.sleep(knobs.latency_ms / 1000)
        status = injector.draw_failure()
        if status is not None:
            # Fail before the handler runs, so an injected failure never changes state.
            retry_after = knobs.retry_after if status in _RETRY_AFTER_STATUSES else None
            return error_response(status, retry_after)
        return await call_next(request)

    return apply_faults
