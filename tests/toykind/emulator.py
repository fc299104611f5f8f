"""The emulator's test-only toy routes: toys kept in memory, served beside the CaiGunn routes."""

from __future__ import annotations

import threading
import uuid

from fastapi import Form
from starlette.responses import JSONResponse

from caigunn_provider.emulator.urls import Route
from tests.toykind.api import TOY_PATH


class ToyStore:
    """Toys by id, safe under the server's threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.toys: dict[str, str] = {}

    def create_toy(self, label: str = Form(...)) -> JSONResponse:
        toy_id = str(uuid.uuid4())
        with self._lock:
            self.toys[toy_id] = label
        return JSONResponse({"id": toy_id, "label": label})

    def get_toy(self, toy_id: str) -> JSONResponse:
        with self._lock:
            label = self.toys.get(toy_id)
        if label is None:
            return JSONResponse({"detail": "Toy not found"}, status_code=404)
        return JSONResponse({"id": toy_id, "label": label})

    def update_toy(self, toy_id: str, label: str = Form(...)) -> JSONResponse:
        with self._lock:
            if toy_id not in self.toys:
                return JSONResponse({"detail": "Toy not found"}, status_code=404)
            self.toys[toy_id] = label
        return JSONResponse({"id": toy_id, "label": label})

    def delete_toy(self, toy_id: str) -> JSONResponse:
        with self._lock:
            if self.toys.pop(toy_id, None) is None:
                return JSONResponse({"detail": "Toy not found"}, status_code=404)
        return JSONResponse({"detail": "Delete toy successfully"})

    def routes(self) -> list[Route]:
        return [
            Route("POST", TOY_PATH, self.create_toy),
            Route("GET", f"{TOY_PATH}/{{toy_id}}", self.get_toy),
            Route("PUT", f"{TOY_PATH}/{{toy_id}}", self.update_toy),
            Route("DELETE", f"{TOY_PATH}/{{toy_id}}", self.delete_toy),
        ]
