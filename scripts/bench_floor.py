"""The engine floor of scripts/bench.py: `bench:count` resources of a no-op dynamic provider.

The bench copies this file into the project folder as `bench_floor.py` beside a `__main__.py`
that calls main(): the provider class then lives in an importable module (the provider process
runs in the project folder), so the SDK pickles it by reference, about 200 bytes per resource
like the Chatbot's own, not by value (4 KB). A fatter floor state would make the engine's
checkpoint writes, which grow with the state, slower for the floor than for the provider it is
a floor to.
"""

from __future__ import annotations

import importlib
import time
import uuid
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, ResourceProvider

from caigunn_provider.dynamic import serialization
from caigunn_provider.program import stack_traces


# The same provider server as the Chatbot's: more than four calls at once.
def _widen_server() -> None:
    importlib.import_module("caigunn_provider.dynamic.workers").install()


class NoOpProvider(ResourceProvider):
    """Create invents an id, read echoes the state: only the engine's own cost is left.

    With a `wait_ms` input (the bench's ideal provider), each create and read first waits that
    long: one round trip per resource and nothing else. Its state is as lean as ours: its
    pickle is stored plain, and resources record the program's frames only.
    """

    serialize_as_secret_always = False

    def create(self, props: Any) -> CreateResult:
        _widen_server()
        time.sleep(float(props.get("wait_ms") or 0) / 1000)
        # The ideal's model: background work that began with its training ends at ready_at.
        time.sleep(max(0.0, float(props.get("ready_at") or 0) - time.time()))
        outs = {**props, "created_at": time.time()}
        if props.get("keyed"):  # the keyed floor: a new key, as a chatbot's create answers one
            outs["api_key"] = str(uuid.uuid4())
        return CreateResult(id_=str(uuid.uuid4()), outs=outs)

    def read(self, id_: str, props: Any) -> ReadResult:
        _widen_server()
        time.sleep(float(props.get("wait_ms") or 0) / 1000)
        return ReadResult(id_=id_, outs=dict(props))


class NoOp(Resource, module="bench", name="NoOp"):
    """One resource of the floor, shaped like a chatbot entry (a title and a plan)."""

    created_at: pulumi.Output[float]

    def __init__(
        self,
        name: str,
        title: pulumi.Input[str],
        plan_id: str,
        wait_ms: float = 0,
        ready_at: pulumi.Input[float] | None = None,
        *,
        keyed: bool = False,
    ) -> None:
        props: dict[str, Any] = {"title": title, "plan_id": plan_id, "created_at": None}
        if wait_ms:
            props["wait_ms"] = wait_ms
        if ready_at is not None:
            props["ready_at"] = ready_at
        opts = None
        if keyed:
            # The Chatbot's one secret: its api_key, an output the engine keeps encrypted.
            props["keyed"] = True
            props["api_key"] = None  # declared, so that the output is known to be one
            opts = pulumi.ResourceOptions(additional_secret_outputs=["api_key"])
        super().__init__(NoOpProvider(), name, props, opts)


def main() -> None:
    """Declare `bench:count` no-op resources (waiting `bench:waitMs` per create and read; each
    with a secret api_key output under `bench:keyed`); with `bench:items`, each of them is a
    chatbot with its knowledge (knowledge_shape)."""
    config = pulumi.Config("bench")
    count = int(config.require("count"))
    wait_ms = float(config.get("waitMs") or 0)
    keyed = config.get_bool("keyed") or False
    # The same serialization guard as the Chatbot's: without it the SDK's pickle patches pile up
    # and past about 480 resources the floor itself dies with RecursionError.
    serialization.install(NoOpProvider)
    stack_traces.install()
    if config.get("items"):
        knowledge_shape(
            count,
            int(config.require("items")),
            float(config.get("workMs") or 0),
            serving=config.get_bool("serving") or False,
        )
        return
    for index in range(1, count + 1):
        NoOp(
            f"bot-{index:04d}",
            f"bench-{index:04d}",
            "3fa85f64-5717-4562-b3fc-2c963f66afa6",
            wait_ms,
            keyed=keyed,
        )


def knowledge_shape(chatbots: int, items: int, work_ms: float, *, serving: bool = False) -> None:
    """The ideal of the knowledge benchmark: the resources of a knowledge stack, in the same
    order of dependence (a chatbot, its items, a training on them, the model that waits for it,
    and with `serving` the step that asks the checks after it), each a no-op, and the model
    waiting until `work_ms` after its training was started, as CaiGunn's training runs from its
    start whatever the engine does meanwhile."""
    plan = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    for bot in range(1, chatbots + 1):
        chatbot = NoOp(f"kbot-{bot:04d}", f"kbench-{bot:04d}", plan)
        made = [NoOp(f"kbot-{bot:04d}/item-{i}", chatbot.id, plan) for i in range(1, items + 1)]
        rows = pulumi.Output.all(*(item.id for item in made)).apply(",".join)
        training = NoOp(f"kbot-{bot:04d}/training", rows, plan)
        ready = training.created_at.apply(lambda started: started + work_ms / 1000)
        model = NoOp(f"kbot-{bot:04d}/model", training.id, plan, ready_at=ready)
        if serving:
            NoOp(f"kbot-{bot:04d}/serving", model.id, plan)
