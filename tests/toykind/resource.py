"""The Toy resource (type token pulumi-python:dynamic/caigunn:Toy)."""

from __future__ import annotations

import pulumi
from pulumi.dynamic import Resource

from caigunn_provider.dynamic import serialization
from caigunn_provider.program.checkpoint import dynamic_type
from tests.toykind.provider import ToyProvider

TOY_TYPE = dynamic_type("caigunn", "Toy")
# Like every real kind: one pickle of the provider for every Toy (dynamic/serialization.py).
serialization.install(ToyProvider)


class Toy(Resource, module="caigunn", name="Toy"):
    """A toy with a label."""

    label: pulumi.Output[str]

    def __init__(
        self, resource_name: str, *, label: str, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(ToyProvider(), resource_name, {"label": label}, opts)
