"""The ToyChild resource (pulumi-python:dynamic/caigunn:ToyChild)."""

from __future__ import annotations

import pulumi
from pulumi.dynamic import Resource

from caigunn_provider.chatbot_level.provider import NAME
from caigunn_provider.dynamic import serialization
from caigunn_provider.program.checkpoint import dynamic_type
from tests.toychild.provider import ToyChildProvider

TOY_CHILD_TYPE = dynamic_type("caigunn", "ToyChild")

# Every resource of this kind shares one pickle of its provider (dynamic/serialization.py).
serialization.install(ToyChildProvider)


class ToyChild(Resource, module="caigunn", name="ToyChild"):
    """One toy of one chatbot; id = `<chatbot id>/<label>`."""

    chatbot_id: pulumi.Output[str]
    label: pulumi.Output[str]
    note: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        chatbot_id: pulumi.Input[str],
        label: str,
        note: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "chatbot_id": chatbot_id,
            "label": label,
            "note": note,
            NAME: resource_name,
        }
        super().__init__(ToyChildProvider(), resource_name, props, opts)
