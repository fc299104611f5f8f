"""A tiny fake CaiGunn list/create API on a real local HTTP server, with knobs for client tests."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

CHATBOT_PATH = "/api/external/user/chatbot"
BASIC_PLAN = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
TOKEN = "tok-3fe1c0ffee-s3cret"


@dataclass(frozen=True)
class Scripted:
    """A canned answer served before normal handling; body is JSON, or raw text if a str."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]
    at: float


class FakeCaiGunn:
    """Seed-level CaiGunn (list + create) with knobs; `current=True` makes create return ids."""

    def __init__(
        self,
        *,
        rows: int | list[dict[str, Any]] = 0,
        token: str = TOKEN,
        clamp_limit: int | None = None,
        ignore_offset: bool = False,
        endless: bool = False,
        current: bool = False,
    ) -> None:
        self.rows: list[dict[str, Any]] = (
            [_row(i) for i in range(rows)] if isinstance(rows, int) else list(rows)
        )
        self.token = token
        self.clamp_limit = clamp_limit
        self.ignore_offset = ignore_offset
        # Every page brings fresh ids: a server that never runs out, to exercise the page cap.
        self.endless = endless
        self.current = current
        self.plans = {BASIC_PLAN}
        self.seen: list[Seen] = []
        self._script: dict[str, deque[Scripted]] = {}
        self._delays: deque[float] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.fake = self  # type: ignore[attr-defined]
        # A short poll keeps stop() (and so each test) fast.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeCaiGunn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def script(self, method: str, *answers: Scripted) -> None:
        """Serve these answers, in order, to the next requests with this method."""
        with self._lock:
            self._script.setdefault(method, deque()).extend(answers)

    def delay_next(self, *seconds: float) -> None:
        """Sleep this long before answering the next requests (to provoke read timeouts)."""
        with self._lock:
            self._delays.extend(seconds)

    def requests(self, method: str | None = None) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if method is None or s.method == method]

    # --- called from handler threads ---

    def handle(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        form: dict[str, str],
        headers: dict[str, str],
    ) -> Scripted:
        with self._lock:
            self.seen.append(Seen(method, path, query, form, headers, time.monotonic()))
            delay = self._delays.popleft() if self._delays else 0.0
            queued = self._script.get(method)
            scripted = queued.popleft() if queued else None
        if delay:
            time.sleep(delay)
        if scripted is not None:
            return scripted
        if headers.get("caigunn-access-token") != self.token:
            return Scripted(401, {"detail": "Could not validate credentials"})
        if path == CHATBOT_PATH and method == "GET":
            return self._list(query)
        if path == CHATBOT_PATH and method == "POST":
            return self._create({**query, **form})
        if path == CHATBOT_PATH:
            return Scripted(405, {"detail": "Method Not Allowed"})
        return Scripted(404, {"detail": "Not Found"})

    def _list(self, query: dict[str, str]) -> Scripted:
        offset = 0 if self.ignore_offset else int(query.get("offset", "0"))
        limit = int(query.get("limit", "30"))
        if self.clamp_limit is not None:
            limit = min(limit, self.clamp_limit)
        if self.endless:
            page = [_row(offset + i) for i in range(limit)]
        else:
            with self._lock:
                page = self.rows[offset : offset + limit]
        return Scripted(200, {"chatbots": page})

    def _create(self, fields: dict[str, str]) -> Scripted:
        missing = [
            {"type": "missing", "loc": ["query", key], "msg": "Field required", "input": None}
            for key in ("title", "plan_id")
            if key not in fields
        ]
        if missing:
            return Scripted(422, {"detail": missing})
        if fields["plan_id"] not in self.plans:
            return Scripted(400, {"detail": "Plan not found"})
        chatbot_id = str(uuid.uuid4())
        api_key = f"key-{uuid.uuid4().hex}"
        with self._lock:
            self.rows.append({"id": chatbot_id, "title": fields["title"], "api_key": api_key})
        answer: dict[str, Any] = {"api_key": api_key, "expired_at": "2031-01-01T00:00:00Z"}
        if self.current:
            answer |= {"chatbot_id": chatbot_id, "webchat_id": f"web-{chatbot_id}"}
        return Scripted(201, answer)


def _row(i: int) -> dict[str, Any]:
    return {"id": f"bot-{i:05d}", "title": f"Bot {i}", "api_key": f"key-{i:05d}"}


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections alive, as a real server does; Content-Length is always sent.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; Nagle plus delayed ACK would add ~40 ms to each.
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        form = {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}
        headers = {k.lower(): v for k, v in self.headers.items()}
        fake: FakeCaiGunn = self.server.fake  # type: ignore[attr-defined]
        answer = fake.handle(self.command, parts.path, query, form, headers)
        if isinstance(answer.body, str):
            payload, ctype = answer.body.encode(), "text/html"
        else:
            payload, ctype = json.dumps(answer.body).encode(), "application/json"
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (a read-timeout test); nothing left to answer.
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""
