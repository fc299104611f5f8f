"""The first gate of every request: the access token, then a cap on the body's size."""

from __future__ import annotations

from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from caigunn_provider.emulator.faults import is_admin_path
from caigunn_provider.emulator.tokens import TokenStore

TOKEN_HEADER = b"caigunn-access-token"
# Far above any chatbot form (a prompt, a few messages and domains) or knob document, far below
# what would let a careless or hostile client make the emulator buffer a lot of memory.
API_BODY_LIMIT = 1024 * 1024
ADMIN_BODY_LIMIT = 64 * 1024
# Training-data uploads carry files: the plans' total file size limits bound them further.
UPLOAD_BODY_LIMIT = 32 * 1024 * 1024
UPLOAD_PATH = "/api/external/chatbot/training_data"


class BodyTooLarge(HTTPException):
    """The request body passed its cap while it was being read (answered 413)."""

    def __init__(self, limit: int) -> None:
        # An HTTPException, so that FastAPI's body parsing re-raises it instead of calling it
        # a malformed body, and its exception layer answers it in the {"detail": ...} shape.
        super().__init__(413, f"Request body too large: the limit is {limit} bytes")


class GuardMiddleware:
    """ASGI layer ahead of routing and body parsing, for every path a route serves: 401 on a
    missing or wrong token before any byte of the body is read, 413 on a body over its cap
    (declared or while it streams in)."""

    def __init__(
        self,
        app: ASGIApp,
        tokens: TokenStore,
        served: Callable[[str], bool],
        *,
        api_limit: int = API_BODY_LIMIT,
        admin_limit: int = ADMIN_BODY_LIMIT,
        upload_limit: int = UPLOAD_BODY_LIMIT,
    ) -> None:
        self._app = app
        self._tokens = tokens
        self._served = served
        self._api_limit = api_limit
        self._admin_limit = admin_limit
        self._upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Routing answers a path no route serves with 404, never reading its body.
        if scope["type"] != "http" or not self._served(scope["path"]):
            await self._app(scope, receive, send)
            return
        admin = is_admin_path(scope["path"])
        sent = next((value for name, value in scope["headers"] if name == TOKEN_HEADER), None)
        refusal = self._tokens.admin_refusal(sent) if admin else self._tokens.refusal(sent)
        if refusal is not None:
            await JSONResponse({"detail": refusal}, status_code=401)(scope, receive, send)
            return
        limit = self._limit(scope["path"], admin)
        if _declared_length(scope) > limit:
            await _too_large(limit)(scope, receive, send)
            return
        started = False

        async def watch_start(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._app(scope, _capped(receive, limit), watch_start)
        except BodyTooLarge:
            # Raised outside FastAPI's own exception layer (a layer that buffers the body).
            if started:
                raise
            await _too_large(limit)(scope, receive, send)

    def _limit(self, path: str, admin: bool) -> int:
        if admin:
            return self._admin_limit
        return self._upload_limit if path == UPLOAD_PATH else self._api_limit


def _declared_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:  # the HTTP layer refuses a malformed one before we run
                return 0
    return 0


def _too_large(limit: int) -> JSONResponse:
    return JSONResponse({"detail": BodyTooLarge(limit).detail}, status_code=413)


def _capped(receive: Receive, limit: int) -> Receive:
    """`receive` counting body bytes as they arrive; BodyTooLarge once they pass `limit`."""
    received = 0

    async def capped_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
        return message

    return capped_receive
