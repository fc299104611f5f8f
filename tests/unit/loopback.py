"""A hand-written HTTP server on loopback (port 0, in a thread) for answers no emulator gives."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# (method, path with query, handler) -> None; the handler writes the whole answer itself.
Answer = Callable[[BaseHTTPRequestHandler], None]


@contextmanager
def loopback(answer: Answer) -> Iterator[str]:
    """Serve every request with answer; yields the base URL."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _any(self) -> None:
            answer(self)

        do_GET = do_POST = do_PUT = do_DELETE = _any

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes, **headers: str) -> None:
    """A complete answer with Content-Length (unless headers give their own framing)."""
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    if "Transfer-Encoding" not in headers:
        handler.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.end_headers()
    handler.wfile.write(body)


def drain(handler: BaseHTTPRequestHandler) -> bytes:
    """The request body (so that keep-alive connections stay in step)."""
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""
