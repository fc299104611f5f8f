"""The OpentalkBinding resource (pulumi-python:dynamic/caigunn:OpentalkBinding)."""

from __future__ import annotations

import pulumi
from pulumi.dynamic import Resource

from caigunn_provider.chatbot_level.provider import NAME
from caigunn_provider.dynamic import serialization
from caigunn_provider.kinds.opentalk.provider import OpentalkProvider

# Every resource of this kind shares one pickle of its provider (dynamic/serialization.py).
serialization.install(OpentalkProvider)


class OpentalkBinding(Resource, module="caigunn", name="OpentalkBinding"):
    """The Opentalk device one chatbot serves; id = the chatbot's id."""

    chatbot_id: pulumi.Output[str]
    device_id: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        chatbot_id: pulumi.Input[str],
        device_id: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Bind the chatbot to the Opentalk device device_id."""
        props = {
            "chatbot_id": chatbot_id,
            "device_id": device_id,
            NAME: resource_name,
        }
        # The key is the provider's to find (chatbot_level/keys.py); a step recorded before
        # it left this state may still hold it in its outputs, which stay secret.
        secret = pulumi.ResourceOptions(additional_secret_outputs=["api_key"])
        super().__init__(
            OpentalkProvider(), resource_name, props, pulumi.ResourceOptions.merge(secret, opts)
        )
