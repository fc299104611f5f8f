"""The toy routes, in the emulator's terms: one method per operation, over the shared transport."""

from __future__ import annotations

from typing import Any

from caigunn_provider.client.transport import Malformed, Transport
from caigunn_provider.ids import canonical_id, is_canonical_id

TOY_PATH = "/api/external/toy"


def _toy(payload: Any) -> dict[str, str]:
    if not (
        isinstance(payload, dict)
        and canonical_id(payload.get("id"))
        and isinstance(payload.get("label"), str)
    ):
        raise Malformed("a toy answer without an id and a label")
    return {"id": str(payload["id"]), "label": str(payload["label"])}


def _path(toy_id: str) -> str:
    if not is_canonical_id(toy_id):
        raise ValueError("a toy id must be a canonical UUID to be put into a URL")
    return f"{TOY_PATH}/{toy_id}"


class ToyAPI:
    """Create, get, relabel and delete toys."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def create(self, label: str) -> dict[str, str]:
        return self.transport.send("POST", TOY_PATH, data={"label": label}, parse=_toy)

    def get(self, toy_id: str) -> dict[str, str]:
        return self.transport.send("GET", _path(toy_id), parse=_toy)

    def relabel(self, toy_id: str, label: str) -> dict[str, str]:
        return self.transport.send("PUT", _path(toy_id), data={"label": label}, parse=_toy)

    def delete(self, toy_id: str) -> None:
        self.transport.send("DELETE", _path(toy_id), parse=lambda _payload: None)
