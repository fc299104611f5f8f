"""The engine floor of scripts/bench.py: `bench:count` resources of a no-op dynamic provider."""

from __future__ import annotations

import importlib
import time
import uuid
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, ResourceProvider

from caigunn_provider.dynamic import serialization


# The same provider server as the Chatbot's: more than four calls at once. This file's classes
# are pickled by value (it runs as __main__), so nothing of ours is imported in the provider
# process until this runs. Importing by name, and a comment rather than a docstring, keep the
# pickle that the state stores once per resource small (3.7 KB with the module in it).
def _widen_server() -> None:
    importlib.import_module("caigunn_provider.dynamic.workers").install()


class NoOpProvider(ResourceProvider):
    """Create invents an id, read echoes the state: only the engine's own cost is left.

    With a `wait_ms` input (the bench's ideal provider), each create and read first waits that
    long: one round trip per resource and nothing else.
    """

    def create(self, props: Any) -> CreateResult:
        _widen_server()
        time.sleep(float(props.get("wait_ms") or 0) / 1000)
        return CreateResult(id_=str(uuid.uuid4()), outs=dict(props))

    def read(self, id_: str, props: Any) -> ReadResult:
        _widen_server()
        time.sleep(float(props.get("wait_ms") or 0) / 1000)
        return ReadResult(id_=id_, outs=dict(props))


class NoOp(Resource, module="bench", name="NoOp"):
    """One resource of the floor, shaped like a chatbot entry (a title and a plan)."""

    def __init__(self, name: str, title: str, plan_id: str, wait_ms: float = 0) -> None:
        props: dict[str, Any] = {"title": title, "plan_id": plan_id}
        if wait_ms:
            props["wait_ms"] = wait_ms
        super().__init__(NoOpProvider(), name, props)


if __name__ == "__main__":
    # Run as the project's __main__.py by the language host; the bench copies this file there.
    config = pulumi.Config("bench")
    count = int(config.require("count"))
    wait_ms = float(config.get("waitMs") or 0)
    # The same serialization guard as the Chatbot's: without it the SDK's pickle patches pile up
    # and past about 480 resources the floor itself dies with RecursionError.
    serialization.install(NoOpProvider)
    for index in range(1, count + 1):
        NoOp(
            f"bot-{index:04d}",
            f"bench-{index:04d}",
            "3fa85f64-5717-4562-b3fc-2c963f66afa6",
            wait_ms,
        )
