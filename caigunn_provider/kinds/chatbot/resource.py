"""The Chatbot resource that programs declare (type token pulumi-python:dynamic/caigunn:Chatbot)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from caigunn_provider.dynamic import serialization
from caigunn_provider.kinds.chatbot import prescan
from caigunn_provider.kinds.chatbot.provider import ChatbotProvider
from caigunn_provider.kinds.chatbot.spec import CHATBOT_TYPE

__all__ = ["CHATBOT_TYPE", "Chatbot"]

# Every Chatbot shares one pickle of its provider, and the SDK's pickle patches do not pile up.
serialization.install(ChatbotProvider)


class Chatbot(Resource, module="caigunn", name="Chatbot"):
    """A CaiGunn chatbot; its api_key is always a secret output."""

    title: pulumi.Output[str]
    plan_id: pulumi.Output[str]
    plan_verified: pulumi.Output[bool]
    api_key: pulumi.Output[str]
    # When the chatbot's plan period ends (ISO 8601, UTC); None where no answer said it.
    expires_at: pulumi.Output[str | None]
    adopted: pulumi.Output[bool]
    # Any, not object: the SDK reads an annotation as the outputs' shape, and takes `object` for a
    # type that a list (initial_messages, allowed_domains) does not match.
    settings: pulumi.Output[dict[str, Any]]

    def __init__(
        self,
        resource_name: str,
        *,
        title: pulumi.Input[str],
        plan_id: pulumi.Input[str],
        settings: Mapping[str, object] | None = None,
        import_: pulumi.Input[str] | None = None,
        recover: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
        scan: str | None = None,
    ) -> None:
        """Declare a chatbot.

        import_ adopts that existing chatbot instead of creating one (as Pulumi's own `import_`
        option would, which cannot work for dynamic resources: pulumi/pulumi#16175); an adopted
        chatbot is never deleted. recover takes over the chatbot an interrupted run created for
        this entry (decided by kinds/chatbot/recovery.py, never by hand). scan names the file
        the program's scan for this run's creates is written to (kinds/chatbot/prescan.py).
        """
        props = {
            "title": title,
            "plan_id": plan_id,
            # Omitted when empty: every key costs state on every chatbot.
            "settings": dict(settings) if settings else None,
            "__import": import_,
            "__recover": recover,
            # Outputs are declared as None so that they become attributes of the resource.
            "plan_verified": None,
            "api_key": None,
            "expires_at": None,
            "adopted": None,
        }
        if scan:
            props[prescan.SCAN] = scan
        secret = pulumi.ResourceOptions(additional_secret_outputs=["api_key"])
        super().__init__(
            ChatbotProvider(), resource_name, props, pulumi.ResourceOptions.merge(secret, opts)
        )
