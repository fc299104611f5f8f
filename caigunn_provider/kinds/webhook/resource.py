"""The Webhook resource that programs declare (pulumi-python:dynamic/caigunn:Webhook)."""

from __future__ import annotations

import pulumi
from pulumi.dynamic import Resource

from caigunn_provider.chatbot_level.provider import NAME
from caigunn_provider.dynamic import serialization
from caigunn_provider.kinds.webhook.provider import WebhookProvider

# Every resource of this kind shares one pickle of its provider (dynamic/serialization.py).
serialization.install(WebhookProvider)


class Webhook(Resource, module="caigunn", name="Webhook"):
    """The URL CaiGunn posts one chatbot's events to; id = the chatbot's id."""

    chatbot_id: pulumi.Output[str]
    url: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        chatbot_id: pulumi.Input[str],
        url: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare the chatbot's webhook: https://, or http:// to localhost for tests."""
        # A webhook URL often carries a token of its own: a secret in the state, diffs and outputs.
        props = {
            "chatbot_id": chatbot_id,
            "url": pulumi.Output.secret(url),
            NAME: resource_name,
        }
        secret = pulumi.ResourceOptions(additional_secret_outputs=["api_key", "url", "url_before"])
        super().__init__(
            WebhookProvider(), resource_name, props, pulumi.ResourceOptions.merge(secret, opts)
        )
