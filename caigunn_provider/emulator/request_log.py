"""The request log: one JSON line per CaiGunn request (never admin routes, headers or the token)."""

from __future__ import annotations

import json
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TextIO

from starlette.requests import Request
from starlette.responses import Response

from caigunn_provider.emulator.faults import is_admin_path
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


def request_log_middleware(
    log: RequestLog,
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    """HTTP middleware logging every non-admin request with the status it was answered."""

    async def log_request(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if is_admin_path(request.url.path):
            return await call_next(request)
        status = 500  # what the client sees if the handler raises
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            log.record(request.method, request.url.path, dict(request.query_params), status)

    return log_request
