"""Run-time state of the knobs (failures, script, churn, load) and the latency/failure layer."""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Literal

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from caigunn_provider.emulator.knobs import Knobs, Operation, ScriptRule
from caigunn_provider.emulator.urls import ADMIN_PREFIX

# FastAPI's interactive API pages: the emulator's own, served without a token, never logged.
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/openapi.json"})

# Statuses a real gateway sends with Retry-After (and that urllib3's Retry honours it on).
_RETRY_AFTER_STATUSES = frozenset({429, 503})
# Changing any of these restarts the count of list requests towards the next churn.
_CHURN_KNOBS = frozenset({"churn_every", "churn", "churn_prefix"})


@dataclass(frozen=True)
class ChurnStep:
    """One out-of-band change to make before serving a chatbot-list request."""

    kind: Literal["delete", "insert"]
    prefix: str
    number: int  # inserts so far, this one included: the n of its title <prefix>churn-<n>


@dataclass(frozen=True)
class BusyCounts:
    """How busy the emulator is and has been with CaiGunn requests (GET /_emulator/in-flight)."""

    in_flight: int
    most_at_once: int
    refused_busy: int  # answered 429 at once because max_in_flight were already in flight


def is_admin_path(path: str) -> bool:
    """Whether the path is one of the emulator's own test hooks rather than a CaiGunn route."""
    return path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")


def is_emulator_path(path: str) -> bool:
    """Whether the path is the emulator's own (test hooks, API pages), never a CaiGunn route."""
    return is_admin_path(path) or path in DOCS_PATHS


def error_response(status: int, retry_after: int | None = None) -> JSONResponse:
    """An error answer in the service's shape, with the status's standard phrase as detail."""
    headers = (
        {"Retry-After": str(retry_after)}
        if retry_after is not None and status in _RETRY_AFTER_STATUSES
        else None
    )
    try:
        detail = HTTPStatus(status).phrase
    except ValueError:  # a knob may name a status the standard library has no phrase for
        detail = "Error"
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


class FaultInjector:
    """Holds the current knobs and the state they drive; every decision is made under one lock."""

    def __init__(self, knobs: Knobs, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._knobs = knobs
        self._random = random.Random(seed)
        self._list_requests = 0  # since the churn knobs were last set
        self._churn_inserts = 0
        self._in_flight = 0  # CaiGunn requests being served now (their latency included)
        self._most_at_once = 0
        self._refused_busy = 0

    @property
    def knobs(self) -> Knobs:
        """The current knobs (an immutable snapshot)."""
        with self._lock:
            return self._knobs

    def update(self, changes: Mapping[str, Any]) -> Knobs:
        """Change some knobs at run time; answers the full new set."""
        with self._lock:
            self._knobs = self._knobs.with_changes(changes)
            if _CHURN_KNOBS & set(changes):
                self._list_requests = 0
            return self._knobs

    def start_request(self) -> bool:
        """Count one more CaiGunn request in flight; False (and counted as refused) when that
        would pass max_in_flight, so that it is answered 429 without being served."""
        with self._lock:
            limit = self._knobs.max_in_flight
            if limit is not None and self._in_flight >= limit:
                self._refused_busy += 1
                return False
            self._in_flight += 1
            self._most_at_once = max(self._most_at_once, self._in_flight)
            return True

    def end_request(self) -> None:
        """A request that start_request let in has been answered (or given up)."""
        with self._lock:
            self._in_flight -= 1

    def load(self) -> BusyCounts:
        """The CaiGunn requests in flight now, the most at once so far, and those refused."""
        with self._lock:
            return BusyCounts(self._in_flight, self._most_at_once, self._refused_busy)

    def draw_failure(self) -> int | None:
        """The status to fail this request with, or None to serve it."""
        with self._lock:
            # Draw only when failures are on, so turning them on later replays the same sequence.
            if self._knobs.fail_rate <= 0 or self._random.random() >= self._knobs.fail_rate:
                return None
            return self._random.choice(self._knobs.fail_statuses)

    def draw_create_commit_failure(self) -> bool:
        """Whether this create commits and then answers 500 (create_commit_fail_rate)."""
        with self._lock:
            rate = self._knobs.create_commit_fail_rate
            return rate > 0 and self._random.random() < rate

    def draw_write_commit_failure(self) -> bool:
        """Whether this chatbot-level write commits and then answers 500
        (write_commit_fail_rate)."""
        with self._lock:
            rate = self._knobs.write_commit_fail_rate
            return rate > 0 and self._random.random() < rate

    def draw(self, rate: float) -> bool:
        """Whether an event of this share (0..1) happens now, from the same seeded random (no
        draw at 0, so that a rate turned on later replays the same sequence)."""
        with self._lock:
            return rate > 0 and self._random.random() < rate

    def take_rule(self, operation: Operation) -> ScriptRule | None:
        """The first armed script rule for this operation, used up once; None if there is none."""
        with self._lock:
            rules = list(self._knobs.script)
            for index, rule in enumerate(rules):
                if rule.operation == operation and rule.after_operation is None:
                    if rule.times > 1:
                        rules[index] = rule.model_copy(update={"times": rule.times - 1})
                    else:
                        del rules[index]
                    self._knobs = self._knobs.model_copy(update={"script": tuple(rules)})
                    return rule
            return None

    def note_answered(self, operation: Operation) -> None:
        """A request of this operation was answered: arm the rules that waited for one."""
        with self._lock:
            script = self._knobs.script
            if any(rule.after_operation == operation for rule in script):
                armed = tuple(
                    rule.model_copy(update={"after_operation": None})
                    if rule.after_operation == operation
                    else rule
                    for rule in script
                )
                self._knobs = self._knobs.model_copy(update={"script": armed})

    def churn_due(self) -> ChurnStep | None:
        """Count one chatbot-list request; the change to make before serving it when it is the
        K-th since the churn knobs were set, else None."""
        with self._lock:
            every = self._knobs.churn_every
            if every is None:
                return None
            self._list_requests += 1
            if self._list_requests % every:
                return None
            if self._knobs.churn == "insert":
                self._churn_inserts += 1
            return ChurnStep(self._knobs.churn, self._knobs.churn_prefix, self._churn_inserts)


class FaultsMiddleware:
    """ASGI layer adding latency and injected failures to every CaiGunn (non-admin) request."""

    def __init__(self, app: ASGIApp, injector: FaultInjector) -> None:
        self._app = app
        self._injector = injector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_emulator_path(scope["path"]):
            await self._app(scope, receive, send)
            return
        knobs = self._injector.knobs
        if not self._injector.start_request():
            # Too busy: refused at once, before the handler runs, so it changes nothing.
            await error_response(429, knobs.retry_after)(scope, receive, send)
            return
        try:
            # The latency counts as in flight, as a busy server's own work would.
            if knobs.latency_ms > 0:
                await asyncio.sleep(knobs.latency_ms / 1000)
            status = self._injector.draw_failure()
            if status is not None:
                # Fail before the handler runs, so an injected failure never changes state.
                await error_response(status, knobs.retry_after)(scope, receive, send)
                return
            await self._app(scope, receive, send)
        finally:
            self._injector.end_request()
