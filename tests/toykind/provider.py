"""The Toy dynamic provider: create, read, update (relabel) and delete, on the generic base."""

from __future__ import annotations

import contextlib
from typing import Any

from pulumi.dynamic import CreateResult, DiffResult, ReadResult, UpdateResult

from caigunn_provider.dynamic.base import BaseProvider, reports
from caigunn_provider.errors import NotFoundError
from tests.toykind.api import ToyAPI


class ToyProvider(BaseProvider):
    """CRUD for one toy."""

    def _api(self) -> ToyAPI:
        return ToyAPI(self.context().client.transport)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return DiffResult(changes=olds.get("label") != news.get("label"), replaces=[])

    @reports("create this toy")
    def create(self, props: dict[str, Any]) -> CreateResult:
        made = self._api().create(props["label"])
        return CreateResult(made["id"], {"label": made["label"]})

    @reports("read this toy")
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            live = self._api().get(id_)
        except NotFoundError:
            return ReadResult(None, {})
        return ReadResult(id_, {"label": live["label"]}, {"label": live["label"]})

    @reports("update this toy")
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult({"label": self._api().relabel(id_, news["label"])["label"]})

    @reports("delete this toy")
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFoundError):  # a 404 proves it gone
            self._api().delete(id_)
