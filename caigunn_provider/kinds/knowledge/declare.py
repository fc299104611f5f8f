"""A chatbot entry's knowledge declared: one KnowledgeItem per item, its Model, its Webhook.

Runs in the program process, called by the Chatbot kind for each entry that declares
`knowledge:`, `model:` or `webhook:`. Items are named `<entry>/<kind>:<path or URL>` (inline
text: `<entry>/text:<digest>`), a name that stays when the content changes, so that an edit is a
replacement of that one item; the Model and the Webhook carry the entry's name (their type tokens
differ from the Chatbot's, so the names do not collide).
"""

from __future__ import annotations

import pulumi

from caigunn_provider.kinds.knowledge.resource import KnowledgeItem
from caigunn_provider.kinds.knowledge.section import ItemSpec, KnowledgeSpec
from caigunn_provider.kinds.model.resource import Model, training_data_ids
from caigunn_provider.kinds.webhook.resource import Webhook

# How much of an inline text's digest names its item.
DIGEST_IN_NAME = 12


def item_name(entry: str, item: ItemSpec) -> str:
    """The item's resource name; `::` (an IPv6 host) is kept out, as URNs use it as separator."""
    identity = f"text:{item.digest[:DIGEST_IN_NAME]}" if item.kind == "text" else item.identity
    return f"{entry}/{identity}".replace("::", ":%3A")


def declare_knowledge(
    entry: str,
    chatbot_id: pulumi.Output[str],
    api_key: pulumi.Output[str],
    spec: KnowledgeSpec,
    opts: pulumi.ResourceOptions | None = None,
) -> list[pulumi.CustomResource]:
    """Declare the entry's items, then the Model trained on them, then its Webhook."""
    items = [
        KnowledgeItem(
            item_name(entry, item),
            chatbot_id=chatbot_id,
            api_key=api_key,
            kind=item.kind,
            digest=item.digest,
            path=item.location,
            text=item.text,
            website=item.website,
            single_page=item.single_page if item.kind == "website" else None,
            opts=opts,
        )
        for item in spec.items
    ]
    declared: list[pulumi.CustomResource] = list(items)
    if spec.trains:
        declared.append(
            Model(
                entry,
                chatbot_id=chatbot_id,
                api_key=api_key,
                training_data_ids=training_data_ids(items),
                model_name=spec.model,
                opts=opts,
            )
        )
    if spec.webhook is not None:
        declared.append(
            Webhook(entry, chatbot_id=chatbot_id, api_key=api_key, url=spec.webhook, opts=opts)
        )
    return declared
