"""The access-token check every CaiGunn and admin route depends on."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated

from fastapi import Header, HTTPException


def token_guard(expected: str) -> Callable[[str | None], None]:
    """A FastAPI dependency that answers 401 unless `caigunn-access-token` is `expected`."""

    def require_token(caigunn_access_token: Annotated[str | None, Header()] = None) -> None:
        # The detail never repeats the token the client sent: logs and error reports show it.
        if caigunn_access_token is None:
            raise HTTPException(status_code=401, detail="Missing caigunn-access-token header")
        if not hmac.compare_digest(caigunn_access_token.encode(), expected.encode()):
            raise HTTPException(status_code=401, detail="Invalid caigunn-access-token")

    return require_token
