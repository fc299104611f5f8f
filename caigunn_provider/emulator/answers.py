"""Answer delivery: scripted answers, the pause after a create, creates in flight."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from http import HTTPStatus

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from caigunn_provider.emulator.faults import FaultInjector, error_response, is_admin_path
from caigunn_provider.emulator.knobs import Operation, ScriptRule
from caigunn_provider.emulator.urls import OPERATIONS

_OPERATIONS: frozenset[str] = frozenset(OPERATIONS)
# What create_commit_fail_rate makes of a create it picks.
_COMMIT_THEN_500 = ScriptRule(operation="create_chatbot", answer="status", commit=True)
CHATBOT_LEVEL_PREFIX = "/api/external/chatbot/"
_INCOMPLETE_RESPONSE = "ASGI callable returned without completing response."

# Set in the task of a request whose connection is dropped on purpose (a scripted "drop").
_dropping: ContextVar[bool] = ContextVar("caigunn_emulator_dropping", default=False)


class _DeliberateDropFilter(logging.Filter):
    """Hides uvicorn's error line for a response left incomplete on purpose, and only that."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (_dropping.get() and record.getMessage() == _INCOMPLETE_RESPONSE)


def quiet_deliberate_drops() -> None:
    """Install the filter on uvicorn's error logger (once per process)."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(known, _DeliberateDropFilter) for known in logger.filters):
        logger.addFilter(_DeliberateDropFilter())


class InFlightCreates:
    """How many creates have committed and not yet been answered (GET /_emulator/in-flight)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0

    @property
    def count(self) -> int:
        """The number right now."""
        with self._lock:
            return self._count

    def add(self, delta: int) -> None:
        """One more (1) or one fewer (-1)."""
        with self._lock:
            self._count += delta


@dataclass
class CapturedAnswer:
    """A complete answer held back instead of sent."""

    status: int = 500
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytes = b""

    @property
    def ok(self) -> bool:
        """Whether the operation succeeded (a 2xx)."""
        return 200 <= self.status < 300

    async def record(self, message: Message) -> None:
        """An ASGI `send` that keeps the messages."""
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")

    def with_headers(self, extra: Mapping[str, str]) -> CapturedAnswer:
        """A copy with these headers set (replacing any of the same name)."""
        names = {name.lower().encode() for name in extra}
        kept = [(name, value) for name, value in self.headers if name.lower() not in names]
        added = [(name.lower().encode(), value.encode()) for name, value in extra.items()]
        return CapturedAnswer(self.status, kept + added, self.body)

    async def replay(self, send: Send) -> None:
        """Send it now, as it was."""
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})

    async def drop(self, send: Send) -> None:
        """Send the head and half the body, then leave the response incomplete: the server closes
        the connection and the client sees a broken read rather than any status."""
        _dropping.set(True)
        headers = [(name, value) for name, value in self.headers if name != b"content-length"]
        headers.append((b"content-length", str(len(self.body)).encode()))
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        cut = self.body[: len(self.body) // 2]
        await send({"type": "http.response.body", "body": cut, "more_body": True})


async def capture(app: ASGIApp, scope: Scope, receive: Receive) -> CapturedAnswer:
    """Run the app (performing the operation) and hold back its answer."""
    answer = CapturedAnswer()
    await app(scope, receive, answer.record)
    return answer


def scripted_answer(rule: ScriptRule, retry_after: int) -> CapturedAnswer:
    """What a status or non_json rule answers (and what a drop without commit cuts short): the
    rule's body, else the service's error shape or an HTML page, plus the rule's headers."""
    if rule.answer == "non_json":
        text = rule.body if isinstance(rule.body, str) else _html_page(rule.status)
        html = [(b"content-type", b"text/html; charset=utf-8")]
        answer = CapturedAnswer(rule.status, html, text.encode())
    else:
        response = error_response(rule.status, retry_after)
        if rule.body is not None:
            retry = {"Retry-After": value} if (value := response.headers.get("retry-after")) else {}
            response = JSONResponse(rule.body, rule.status, headers=retry)
        answer = CapturedAnswer(rule.status, list(response.raw_headers), bytes(response.body))
    return answer.with_headers(rule.headers)


def _html_page(status: int) -> str:
    """An HTML page such as a proxy in front of the service answers."""
    try:
        title = f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        title = str(status)
    return f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>\n"


async def buffered(receive: Receive) -> Receive:
    """Read the whole request body now; a `receive` that hands it over later in one piece."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    pending: Message | None = {"type": "http.request", "body": b"".join(chunks)}

    async def replay() -> Message:
        nonlocal pending
        if pending is None:
            return await receive()
        message, pending = pending, None
        return message

    return replay


class AnswersMiddleware:
    """ASGI layer (innermost) that gives scripted answers, pauses after a committed create, and
    counts creates committed but not yet answered."""

    def __init__(
        self,
        app: ASGIApp,
        injector: FaultInjector,
        operation_of: Callable[[str, str], str | None],
        in_flight: InFlightCreates,
    ) -> None:
        self._app = app
        self._injector = injector
        self._operation_of = operation_of
        self._in_flight = in_flight

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        operation = None
        if scope["type"] == "http" and not is_admin_path(scope["path"]):
            operation = _as_operation(self._operation_of(scope["method"], scope["path"]))
        if operation is None:
            await self._app(scope, receive, send)
            return
        rule = self._injector.take_rule(operation)
        creating = operation == "create_chatbot"
        if rule is None and creating and self._injector.draw_create_commit_failure():
            rule = _COMMIT_THEN_500
        elif (
            rule is None
            and _chatbot_level_write(scope)
            and self._injector.draw_write_commit_failure()
        ):
            rule = _COMMIT_THEN_500.model_copy(update={"operation": operation})
        try:
            await self._answer(operation, rule, scope, receive, send)
        finally:
            self._injector.note_answered(operation)

    async def _answer(
        self,
        operation: Operation,
        rule: ScriptRule | None,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        if rule is not None and rule.answer == "hang" and not rule.commit:
            # The request arrives in full, waits, then is served normally: performed even if the
            # client has given up meanwhile, as a late write on a real server would be.
            receive = await buffered(receive)
            await asyncio.sleep(rule.hang_ms / 1000)
            rule = None
        knobs = self._injector.knobs
        pause = knobs.pause_after_create_ms if operation == "create_chatbot" else 0.0
        if rule is None and pause <= 0:
            await self._app(scope, receive, send)
            return
        if rule is not None and not rule.commit:
            await _send_scripted(rule, None, send, knobs.retry_after)
            return
        answer = await capture(self._app, scope, receive)
        committed = operation == "create_chatbot" and answer.ok
        if committed:
            self._in_flight.add(1)
        try:
            if committed and pause > 0:
                await asyncio.sleep(pause / 1000)
            if rule is None:
                await answer.replay(send)
            elif rule.answer == "hang":
                await asyncio.sleep(rule.hang_ms / 1000)
                await answer.replay(send)
            else:
                await _send_scripted(rule, answer, send, knobs.retry_after)
        finally:
            if committed:
                self._in_flight.add(-1)


def _as_operation(name: str | None) -> Operation | None:
    return name if name in _OPERATIONS else None


async def _send_scripted(
    rule: ScriptRule, performed: CapturedAnswer | None, send: Send, retry_after: int
) -> None:
    """The rule's answer; a drop cuts short the operation's own answer when it was performed."""
    if rule.answer == "drop":
        dropped = performed or scripted_answer(rule, retry_after)
        await dropped.with_headers(rule.headers).drop(send)
    else:
        await scripted_answer(rule, retry_after).replay(send)


def _chatbot_level_write(scope: Scope) -> bool:
    """A write of the chatbot-level API (its api-key routes: training data, model, ...)."""
    return scope["method"] in ("POST", "PUT", "PATCH", "DELETE") and str(scope["path"]).startswith(
        CHATBOT_LEVEL_PREFIX
    )
