"""A chatbot entry's knowledge declared: one KnowledgeItem per item, then its Training (started,
never waited for) and its Model (waits for the training, then serves the model).

Runs in the program process, called through kinds/knowledge/kind.py for each entry that declares
`knowledge:` or `model:`. Items are named `<entry>/<kind>:<path or URL>` (inline
text: `<entry>/text:<digest>`), a name that stays when the content changes, so that an edit is a
replacement of that one item; the Training and the Model carry the entry's name (their type
tokens differ from the Chatbot's, so the names do not collide).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi

from caigunn_provider.kinds.knowledge.resource import KnowledgeItem
from caigunn_provider.kinds.knowledge.section import ItemSpec, KnowledgeSpec
from caigunn_provider.kinds.model.resource import Model, Training
from caigunn_provider.program.checkpoint import Recorded

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
    *,
    serve: bool = True,
    before: Mapping[str, Recorded] | None = None,
) -> list[pulumi.CustomResource]:
    """Declare the entry's items, then the Training on them and the Model it makes (serve=False:
    the entry's answer checks put that model into service, not the Model step)."""
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
        training = Training(
            entry,
            chatbot_id=chatbot_id,
            api_key=api_key,
            training_data_ids=training_data_ids(items),
            model_name=spec.model,
            opts=opts,
        )
        declared += [
            training,
            Model(entry, training=training, api_key=api_key, serve=serve, opts=opts),
        ]
        said = retrains(entry, spec, before)
        if said and pulumi.runtime.is_dry_run():
            pulumi.log.info(said, training)
    return declared


def retrains(entry: str, spec: KnowledgeSpec, before: Mapping[str, Recorded] | None) -> str | None:
    """What a preview says of a retraining, in items: `support: retrains: 1 item added, 1
    removed` (None when the entry's items are as the state has them, or nothing is known)."""
    mine = {name: rec for name, rec in (before or {}).items() if name.startswith(f"{entry}/")}
    if not mine:
        return None
    now = {item_name(entry, item): item for item in spec.items}
    added = [name for name in now if name not in mine]
    removed = [name for name in mine if name not in now]
    changed = [
        name
        for name, item in now.items()
        if name in mine and mine[name].inputs.get("digest") not in (None, item.digest)
    ]
    parts = [
        f"{len(names)} item{'s' if len(names) != 1 else ''} {what}"
        for names, what in ((added, "added"), (changed, "changed"), (removed, "removed"))
        if names
    ]
    return f"{entry}: retrains: {', '.join(parts)}" if parts else None


def training_data_ids(items: Sequence[KnowledgeItem]) -> pulumi.Output[list[str]]:
    """The sorted row ids of all these items, as one input for Model (it then depends on them)."""
    return pulumi.Output.all(*(item.ids for item in items)).apply(
        lambda lists: sorted({row_id for ids in lists for row_id in ids or []})
    )
