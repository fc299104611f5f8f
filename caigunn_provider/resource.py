"""The Chatbot resource that programs declare (type token pulumi-python:dynamic/caigunn:Chatbot)."""

from __future__ import annotations

import pulumi
from pulumi.dynamic import Resource

from caigunn_provider.provider import ChatbotProvider


class Chatbot(Resource, module="caigunn", name="Chatbot"):
    """A CaiGunn chatbot; its api_key is always a secret output."""

    title: pulumi.Output[str]
    plan_id: pulumi.Output[str]
    api_key: pulumi.Output[str]
    expired_at: pulumi.Output[str | None]
    adopt_id: pulumi.Output[str | None]

    def __init__(
        self,
        resource_name: str,
        *,
        title: pulumi.Input[str],
        plan_id: pulumi.Input[str],
        import_id: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare a chatbot; with import_id, adopt that existing chatbot instead of creating one.

        Pulumi's own `import_` option cannot be used: the engine's import read of a dynamic
        resource carries no serialized provider (pulumi/pulumi#16175), so the provider adopts.
        """
        props = {
            "title": title,
            "plan_id": plan_id,
            "adopt_id": import_id,
            # Outputs are declared as None so they become attributes of the resource.
            "api_key": None,
            "expired_at": None,
        }
        secret = pulumi.ResourceOptions(additional_secret_outputs=["api_key"])
        super().__init__(
            ChatbotProvider(), resource_name, props, pulumi.ResourceOptions.merge(secret, opts)
        )
