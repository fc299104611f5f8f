"""The KnowledgeItem resource programs declare (pulumi-python:dynamic/caigunn:KnowledgeItem)."""

from __future__ import annotations

import pulumi
from pulumi.dynamic import Resource

from caigunn_provider.chatbot_level.provider import NAME
from caigunn_provider.dynamic import serialization
from caigunn_provider.kinds.knowledge.provider import KnowledgeItemProvider

# Every resource of this kind shares one pickle of its provider (dynamic/serialization.py).
serialization.install(KnowledgeItemProvider)


class KnowledgeItem(Resource, module="caigunn", name="KnowledgeItem"):
    """One item of a chatbot's training data; `ids` are its rows (a crawl may make several)."""

    chatbot_id: pulumi.Output[str]
    kind: pulumi.Output[str]
    digest: pulumi.Output[str]
    ids: pulumi.Output[list[str]]
    titles: pulumi.Output[list[str] | None]
    event_id: pulumi.Output[str | None]

    def __init__(
        self,
        resource_name: str,
        *,
        chatbot_id: pulumi.Input[str],
        api_key: pulumi.Input[str],
        kind: str,
        digest: str,
        path: str | None = None,
        text: str | None = None,
        website: str | None = None,
        single_page: bool | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare an item: kind is text, text_file, file or website; digest from digest.py.

        path (text_file, file) is relative to the provider's working directory (the project's);
        text is the inline text; api_key is the chatbot's (the Chatbot resource's output).
        """
        props = {
            "chatbot_id": chatbot_id,
            "api_key": api_key,
            "kind": kind,
            "digest": digest,
            "path": path,
            "text": text,
            "website": website,
            "single_page": single_page,
            NAME: resource_name,
            # Outputs are declared as None so that they become attributes of the resource.
            "ids": None,
            "titles": None,
            "event_id": None,
        }
        secret = pulumi.ResourceOptions(additional_secret_outputs=["api_key"])
        super().__init__(
            KnowledgeItemProvider(),
            resource_name,
            props,
            pulumi.ResourceOptions.merge(secret, opts),
        )
