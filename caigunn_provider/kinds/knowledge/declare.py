"""A chatbot entry's knowledge declared: one KnowledgeItem per item, then its Training (started,
never waited for) and its Model (waits for the training, then serves the model).

Runs in the program process, called through kinds/knowledge/kind.py for each entry that declares
`knowledge:` or `model:`. Items are named `<entry>/<kind>:<path or URL>`, a name that stays when
the content changes, so that an edit is a replacement of that one item; the Training and the
Model carry the entry's name (their type tokens differ from the Chatbot's, so the names do not
collide).

An inline text has neither path nor URL: it is named by its first words
(`support/text:opening-hours-mon-fri-9`), with a short digest of the text after them only where
two texts of one entry begin alike (`support/text:returns-within-30-days-3f2a9c1b`, on both:
neither name depends on the items' order). A text without a letter or digit of the Latin script
keeps the name every inline text had before (`support/text:<12 digits of its digest>`, see
legacy_name), and each text item is declared with that name as an alias, so that a stack made
before moves to the new names without a replacement.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from caigunn_provider.kinds.knowledge.attempts import ROW_TYPE, is_attempt
from caigunn_provider.kinds.knowledge.provider import ASYNC_KINDS
from caigunn_provider.kinds.knowledge.provider import unresolved as unresolved_attempt
from caigunn_provider.kinds.knowledge.resource import KnowledgeItem, KnowledgeRows
from caigunn_provider.kinds.knowledge.section import ItemSpec, KnowledgeSpec
from caigunn_provider.kinds.model.resource import Model, Training
from caigunn_provider.program.checkpoint import PendingCreate, Recorded, dynamic_type
from caigunn_provider.program.gate import StartsFirst

# How much of an inline text's digest named its item before it was named by its words.
DIGEST_IN_NAME = 12
# An inline text's name: its first words, at most this many and this long (joined by `-`).
SLUG_WORDS = 5
SLUG_LENGTH = 30
# How much of its digest follows the words of a text that begins like another of its entry.
DIGEST_IN_TIE = 8


def slug(text: str) -> str:
    """The first words of `text`, lowercase ASCII letters and digits joined by `-` ('' when it
    has none): `Opening hours: Mon-Fri 9:00-18:00` is `opening-hours-mon-fri-9`."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", folded)
    taken: list[str] = []
    for word in words[:SLUG_WORDS]:
        if len("-".join([*taken, word])) > SLUG_LENGTH:
            break
        taken.append(word)
    # A first word longer than the whole name is cut rather than lost.
    return "-".join(taken) if taken or not words else words[0][:SLUG_LENGTH]


def legacy_name(entry: str, item: ItemSpec) -> str:
    """The name every item had before inline texts were named by their words (kept as an alias:
    never change it, or stacks made before see their text items replaced)."""
    identity = f"text:{item.digest[:DIGEST_IN_NAME]}" if item.kind == "text" else item.identity
    return _resource_name(entry, identity)


def item_names(entry: str, items: Sequence[ItemSpec]) -> list[str]:
    """The resource name of each of an entry's items, in their order, unique in the entry."""
    slugs = [slug(item.text or "") if item.kind == "text" else "" for item in items]
    ties = Counter(word for word in slugs if word)
    names = []
    for item, words in zip(items, slugs, strict=True):
        if item.kind != "text" or not words:
            names.append(legacy_name(entry, item))
        elif ties[words] > 1:
            names.append(_resource_name(entry, f"text:{words}-{item.digest[:DIGEST_IN_TIE]}"))
        else:
            names.append(_resource_name(entry, f"text:{words}"))
    # A text whose words are another's words and digest (absurd, but possible) takes its old name.
    taken = Counter(names)
    return [
        legacy_name(entry, item) if taken[name] > 1 else name
        for item, name in zip(items, names, strict=True)
    ]


def _resource_name(entry: str, identity: str) -> str:
    """`::` (an IPv6 host) is kept out of a resource name: URNs use it as their separator."""
    return f"{entry}/{identity}".replace("::", ":%3A")


def _renamed_from(entry: str, item: ItemSpec, name: str) -> pulumi.ResourceOptions | None:
    """The alias that carries a text item over from its old name (None when the name is the
    same): the engine then moves it to the new name, without a replacement."""
    old = legacy_name(entry, item)
    return pulumi.ResourceOptions(aliases=[pulumi.Alias(name=old)]) if old != name else None


def declare_knowledge(
    entry: str,
    chatbot_id: pulumi.Output[str],
    spec: KnowledgeSpec,
    opts: pulumi.ResourceOptions | None = None,
    *,
    serve: bool = True,
    before: Mapping[str, Recorded] | None = None,
    starts_first: StartsFirst | None = None,
    rows_before: Mapping[str, Recorded] | None = None,
    pending_creates: Sequence[PendingCreate] = (),
) -> list[pulumi.CustomResource]:
    """Declare the entry's items, then the Training on them and the Model it makes (serve=False:
    the entry's answer checks put that model into service, not the Model step)."""
    names = item_names(entry, spec.items)
    pending = _pending_attempts(pending_creates)
    # An item whose upload or crawl lost its answer is told first: another item of its chatbot
    # and type is posted only after it (its rows must not be taken for the other's).
    unresolved = {
        name: _row_type(item)
        for item, name in zip(spec.items, names, strict=True)
        if item.kind in ASYNC_KINDS and (name in pending or _unresolved_in(before, name))
    }
    declared_items: dict[str, KnowledgeItem] = {}
    for item, name in sorted(
        zip(spec.items, names, strict=True), key=lambda pair: pair[1] not in unresolved
    ):
        after = [
            declared_items[other]
            for other, row_type in unresolved.items()
            if other != name and other in declared_items and row_type == _row_type(item)
        ]
        options = pulumi.ResourceOptions.merge(opts, _renamed_from(entry, item, name))
        if after:
            options = pulumi.ResourceOptions.merge(
                options, pulumi.ResourceOptions(depends_on=after)
            )
        held_rows = held_ids(before, rows_before, name) if item.kind in ASYNC_KINDS else None
        needs = item.kind in ASYNC_KINDS and (
            name in unresolved or _still_waited(before, held_rows, name)
        )
        declared_items[name] = KnowledgeItem(
            name,
            chatbot_id=chatbot_id,
            kind=item.kind,
            digest=item.digest,
            path=item.location,
            text=item.text,
            website=item.website,
            single_page=item.single_page if item.kind == "website" else None,
            held_ids=held_rows,
            others=others_of(entry, name, before, rows_before, pending) if needs else None,
            recover=pending.get(name) if name not in (before or {}) else None,
            opts=options,
        )
    items = [declared_items[name] for name in names]
    # A text's rows are its item's; a file's or website's, its KnowledgeRows' (declared after it).
    held: list[KnowledgeItem | KnowledgeRows] = [
        rows_of(name, item, spec_item, opts) if spec_item.kind in ASYNC_KINDS else item
        for item, spec_item, name in zip(items, spec.items, names, strict=True)
    ]
    declared: list[pulumi.CustomResource] = [*items]
    declared += [rows for rows in held if isinstance(rows, KnowledgeRows)]
    if spec.trains:
        training = Training(
            entry,
            chatbot_id=chatbot_id,
            training_data_ids=training_data_ids(held),
            model_name=spec.model,
            opts=opts,
        )
        if starts_first is not None:
            starts_first.start(training)
        declared += [
            training,
            Model(
                entry,
                training=training,
                serve=serve,
                opts=opts,
                after=starts_first.after if starts_first is not None else None,
            ),
        ]
        said = retrains(entry, spec, before)
        if said and pulumi.runtime.is_dry_run():
            pulumi.log.info(said, training)
    return declared


def held_ids(
    items: Mapping[str, Recorded] | None, rows: Mapping[str, Recorded] | None, name: str
) -> list[str] | None:
    """The rows the checkpoint's KnowledgeRows `name` holds for the event its item recorded
    (None when the checkpoint has none, or they belong to another event): the item then checks
    those rows, not its event, which CaiGunn may have forgotten since."""
    item, held = (items or {}).get(name), (rows or {}).get(name)
    if item is None or held is None:
        return None
    event_id, ids = item.outputs.get("event_id"), held.outputs.get("ids")
    if not event_id or held.outputs.get("event_id") != event_id or not isinstance(ids, list):
        return None
    return [str(row_id) for row_id in ids] or None


ITEM_TYPE = dynamic_type("caigunn", "KnowledgeItem")


def _row_type(item: ItemSpec) -> str | None:
    return ROW_TYPE.get(item.kind)


def _pending_attempts(pending: Sequence[PendingCreate]) -> dict[str, dict[str, Any]]:
    """The attempt each KnowledgeItem create a killed run left pending had recorded, by name."""
    return {
        op.name: dict(op.inputs["attempt"])
        for op in pending
        if op.type == ITEM_TYPE and is_attempt(op.inputs.get("attempt"))
    }


def _unresolved_in(items: Mapping[str, Recorded] | None, name: str) -> bool:
    record = (items or {}).get(name)
    return record is not None and unresolved_attempt(dict(record.outputs))


def _still_waited(items: Mapping[str, Recorded] | None, held: list[str] | None, name: str) -> bool:
    """Whether the item's job is recorded with no rows held for it yet (CaiGunn may forget the
    event: its rows are then looked for as a lost answer's are)."""
    record = (items or {}).get(name)
    return (
        record is not None
        and held is None
        and bool(record.outputs.get("event_id"))
        and not record.outputs.get("ids")
    )


def others_of(
    entry: str,
    name: str,
    items: Mapping[str, Recorded] | None,
    rows: Mapping[str, Recorded] | None,
    pending: Mapping[str, dict[str, Any]],
) -> dict[str, list[str]]:
    """What the checkpoint holds of the entry's other items: the rows they and their
    KnowledgeRows hold, their jobs' events, and those whose own attempt is unresolved."""
    ids: set[str] = set()
    events: set[str] = set()
    unresolved = {other for other in pending if other != name and other.startswith(f"{entry}/")}
    for group in (items or {}, rows or {}):
        for other, record in group.items():
            if not other.startswith(f"{entry}/") or (other == name and group is items):
                continue
            outputs = dict(record.outputs)
            ids.update(str(row_id) for row_id in outputs.get("ids") or [])
            if group is items and outputs.get("event_id"):
                events.add(str(outputs["event_id"]))
            if group is items and unresolved_attempt(outputs):
                unresolved.add(other)
    return {"ids": sorted(ids), "events": sorted(events), "unresolved": sorted(unresolved)}


def rows_of(
    name: str,
    item: KnowledgeItem,
    spec: ItemSpec,
    opts: pulumi.ResourceOptions | None,
) -> KnowledgeRows:
    """The KnowledgeRows of a file or website item: it waits for the job the item's step
    recorded, so that a run killed meanwhile never makes the next one post it again."""
    return KnowledgeRows(
        name,
        item=item,
        kind=spec.kind,
        path=spec.location,
        website=spec.website,
        single_page=spec.single_page if spec.kind == "website" else None,
        opts=opts,
    )


def retrains(entry: str, spec: KnowledgeSpec, before: Mapping[str, Recorded] | None) -> str | None:
    """What a preview says of a retraining, in items: `support: retrains: 1 item added, 1
    removed` (None when the entry's items are as the state has them, or nothing is known)."""
    mine = {name: rec for name, rec in (before or {}).items() if name.startswith(f"{entry}/")}
    if not mine:
        return None
    # Each item under the name the state holds it by: its own, or the one it is renamed from.
    now: dict[str, ItemSpec] = {}
    for item, name in zip(spec.items, item_names(entry, spec.items), strict=True):
        old = legacy_name(entry, item)
        now[name if name in mine or old not in mine else old] = item
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


def training_data_ids(
    items: Sequence[KnowledgeItem | KnowledgeRows],
) -> pulumi.Output[list[str]]:
    """The sorted row ids of all these items (a text's KnowledgeItem, a file's or website's
    KnowledgeRows), as one input for the Training (it then depends on them)."""
    return pulumi.Output.all(*(item.ids for item in items)).apply(
        lambda lists: sorted({row_id for ids in lists for row_id in ids or []})
    )
