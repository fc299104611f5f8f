"""The request log: one JSON line per CaiGunn request (never admin routes, headers or tokens)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from caigunn_provider.emulator.faults import is_emulator_path
from caigunn_provider.emulator.models import iso_now


class RequestLog:
    """Keeps every request's entry in memory (GET /_emulator/requests) and, given a path, appends
    it to that file as one JSON line."""

    def __init__(self, path: str | Path | None) -> None:
        self._lock = threading.Lock()
        self._entries: list[dict[str, Any]] = []
        # Line-buffered so a test can read the log while the emulator is still running.
        self._file: TextIO | None = (
            open(path, "a", encoding="utf-8", buffering=1) if path is not None else None  # noqa: SIM115
        )

    def record(self, method: str, path: str, query: dict[str, str], status: int) -> None:
        """Record one request."""
        entry = {"ts": iso_now(), "method": method, "path": path, "query": query, "status": status}
        with self._lock:
            self._entries.append(entry)
            if self._file is not None:
                self._file.write(json.dumps(entry) + "\n")

    def entries(self) -> list[dict[str, Any]]:
        """Every request recorded since start-up (or the last clear), oldest first."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        """Forget the in-memory entries (the file, if any, keeps its lines)."""
        with self._lock:
            self._entries.clear()

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


class RequestLogMiddleware:
    """ASGI layer (outermost) recording every non-admin request with the status it was answered,
    refusals and injected failures included."""

    def __init__(self, app: ASGIApp, log: RequestLog) -> None:
        self._app = app
        self._log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_emulator_path(scope["path"]):
            await self._app(scope, receive, send)
            return
        recorded = False

        def record(status: int) -> None:
            nonlocal recorded
            recorded = True
            query = dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))
            self._log.record(scope["method"], scope["path"], query, status)

        async def record_then_send(message: Message) -> None:
            # Recorded before the client can see the answer, so a client that reads the log
            # right after its answer always finds its request there.
            if message["type"] == "http.response.start":
                record(message["status"])
            await send(message)

        try:
            await self._app(scope, receive, record_then_send)
        finally:
            if not recorded:  # nothing answered: the server will send a 500
                record(500)
