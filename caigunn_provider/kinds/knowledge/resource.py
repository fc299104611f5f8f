"""The KnowledgeItem resource programs declare (pulumi-python:dynamic/caigunn:KnowledgeItem), and
the KnowledgeRows that waits for a file's or a website's rows (…/caigunn:KnowledgeRows)."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import Resource

from caigunn_provider.chatbot_level.provider import NAME
from caigunn_provider.dynamic import serialization
from caigunn_provider.kinds.knowledge.provider import KnowledgeItemProvider
from caigunn_provider.kinds.knowledge.rows import KnowledgeRowsProvider

# Every resource of these kinds shares one pickle of its provider (dynamic/serialization.py).
serialization.install(KnowledgeItemProvider, KnowledgeRowsProvider)


class KnowledgeItem(Resource, module="caigunn", name="KnowledgeItem"):
    """One item of a chatbot's training data; `ids` are its rows (a crawl may make several)."""

    chatbot_id: pulumi.Output[str]
    kind: pulumi.Output[str]
    digest: pulumi.Output[str]
    ids: pulumi.Output[list[str]]
    titles: pulumi.Output[list[str] | None]
    event_id: pulumi.Output[str | None]
    rows_apart: pulumi.Output[bool | None]
    attempt: pulumi.Output[dict[str, Any] | None]

    def __init__(
        self,
        resource_name: str,
        *,
        chatbot_id: pulumi.Input[str],
        kind: str,
        digest: str,
        path: str | None = None,
        text: str | None = None,
        website: str | None = None,
        single_page: bool | None = None,
        held_ids: list[str] | None = None,
        others: dict[str, list[str]] | None = None,
        recover: dict[str, Any] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare an item: kind is text, text_file, file or website; digest from digest.py.

        held_ids (a file or website) are the rows its KnowledgeRows holds for its recorded event,
        read from the stack's checkpoint: the item then checks them, not its event.

        others and recover are for an item whose upload or crawl lost its answer (attempts.py):
        what the checkpoint holds of its chatbot's other items (their rows, their jobs' events,
        those with an attempt of their own still unresolved), and the attempt a run killed
        inside the item's POST left in its pending create.

        path (text_file, file) is relative to the provider's working directory (the project's);
        text is the inline text. The chatbot's api_key is the provider's to find
        (chatbot_level/keys.py): it is not in this resource's state.
        """
        props = {
            "chatbot_id": chatbot_id,
            "kind": kind,
            "digest": digest,
            "path": path,
            "text": text,
            "website": website,
            "single_page": single_page,
            "held_ids": held_ids,
            "others": others,
            "recover": recover,
            NAME: resource_name,
            # Outputs are declared as None so that they become attributes of the resource.
            "ids": None,
            "titles": None,
            "event_id": None,
            "rows_apart": None,
            "attempt": None,
        }
        # The key is the provider's to find (chatbot_level/keys.py); a step recorded before
        # it left this state may still hold it in its outputs, which stay secret.
        secret = pulumi.ResourceOptions(additional_secret_outputs=["api_key"])
        super().__init__(
            KnowledgeItemProvider(),
            resource_name,
            props,
            pulumi.ResourceOptions.merge(secret, opts),
        )


class KnowledgeRows(Resource, module="caigunn", name="KnowledgeRows"):
    """The rows a file or website item's crawl or upload made (`ids`), waited for in a step of
    their own, after the item's step recorded the job's event (kinds/knowledge/rows.py)."""

    ids: pulumi.Output[list[str]]

    def __init__(
        self,
        resource_name: str,
        *,
        item: KnowledgeItem,
        kind: str,
        path: str | None = None,
        website: str | None = None,
        single_page: bool | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare the rows of `item` (named as the item: their type tokens differ)."""
        props = {
            "chatbot_id": item.chatbot_id,
            "event_id": item.event_id,
            "item_ids": item.ids,
            "kind": kind,
            "path": path,
            "website": website,
            "single_page": single_page,
            NAME: resource_name,
            "ids": None,
        }
        # The key is the provider's to find (chatbot_level/keys.py); a step recorded before
        # it left this state may still hold it in its outputs, which stay secret.
        secret = pulumi.ResourceOptions(additional_secret_outputs=["api_key"])
        super().__init__(
            KnowledgeRowsProvider(),
            resource_name,
            props,
            pulumi.ResourceOptions.merge(secret, opts),
        )
