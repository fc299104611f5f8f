"""After an interrupted `pulumi up`: which chatbot did the interrupted create make, if any?

When `pulumi up` is killed while a chatbot is being created, CaiGunn may have made the chatbot
while the state never learnt its id. The engine keeps a record of the interrupted create in the
checkpoint (a pending "creating" operation, kept until `pulumi refresh` clears it), but tells
neither the program nor the provider about it: the next run simply creates again. So the program
reads its own checkpoint (`pulumi stack export`) before declaring anything, and for each entry
whose create was interrupted looks for the chatbot it made: one with the entry's title (and plan,
where the list shows plans) that did not exist when the create was checked (the `__prior_ids` the
provider recorded in the pending operation's inputs) and that no resource of the stack owns.

- none: the create never happened; the run creates it normally;
- as many as the interrupted creates of that title and plan, or fewer: each is taken over;
- more: the run stops before creating anything, naming the candidates and the line that resolves it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from caigunn_provider.client import ChatbotRow
from caigunn_provider.kinds.chatbot.provider import PRIOR_IDS
from caigunn_provider.kinds.chatbot.spec import AMBIGUOUS, CHATBOT_TYPE
from caigunn_provider.program.checkpoint import Checkpoint


@dataclass(frozen=True)
class Interrupted:
    """An interrupted create of one entry, as the checkpoint recorded it."""

    name: str
    title: str
    plan_id: str
    prior_ids: frozenset[str] | None


@dataclass(frozen=True)
class Chatbots:
    """The chatbots of the stack's checkpoint: owned ids, their inputs, interrupted creates."""

    owned: Mapping[str, str]  # logical name -> chatbot id
    recorded: Mapping[str, Mapping[str, object]]  # logical name -> the inputs the state holds
    interrupted: tuple[Interrupted, ...]
    # Logical name -> the candidates of a create that stopped as ambiguous (no chatbot owned).
    ambiguous: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Unresolved:
    """Interrupted creates whose chatbot cannot be told apart from others."""

    names: tuple[str, ...]
    title: str
    candidates: tuple[ChatbotRow, ...]


def chatbots_of(checkpoint: Checkpoint) -> Chatbots:
    """The Chatbot resources of a checkpoint, and their interrupted creates."""
    records = checkpoint.of_type(CHATBOT_TYPE)
    interrupted = []
    for op in checkpoint.pending_creates:
        if op.type != CHATBOT_TYPE:
            continue
        prior = op.inputs.get(PRIOR_IDS)
        interrupted.append(
            Interrupted(
                name=op.name,
                title=str(op.inputs.get("title")),
                plan_id=str(op.inputs.get("plan_id")),
                prior_ids=frozenset(prior) if isinstance(prior, list) else None,
            )
        )
    ambiguous = {
        name: tuple(str(candidate) for candidate in rec.outputs[AMBIGUOUS])
        for name, rec in records.items()
        if isinstance(rec.outputs.get(AMBIGUOUS), list)
    }
    return Chatbots(
        owned={name: rec.id for name, rec in records.items() if name not in ambiguous},
        recorded={name: rec.inputs for name, rec in records.items() if name not in ambiguous},
        interrupted=tuple(interrupted),
        ambiguous=ambiguous,
    )


def still_open(checkpoint: Chatbots, declared: Iterable[str]) -> list[Interrupted]:
    """The interrupted creates of declared entries that are not spent.

    A record whose entry owns a chatbot on the same plan is spent: the engine keeps such records
    until `pulumi refresh` clears them, long after the create was recovered or redone.
    """
    names = set(declared)
    return [
        op
        for op in checkpoint.interrupted
        if op.name in names
        and str(checkpoint.recorded.get(op.name, {}).get("plan_id")) != op.plan_id
    ]


def match(
    interrupted: Iterable[Interrupted],
    rows: Iterable[ChatbotRow],
    owned: Iterable[str],
    declared: Mapping[str, tuple[str, str]],
) -> tuple[dict[str, str], list[Unresolved]]:
    """Which chatbot each interrupted create made: {name: chatbot id}, and what stays unsure.

    `declared` maps each entry to its (title, plan_id) now: an entry edited since its create
    was interrupted cannot take over that create's chatbot silently, so any candidate is unsure.
    """
    taken = set(owned)
    live = list(rows)
    groups: dict[tuple[str, str], list[Interrupted]] = {}
    for op in interrupted:
        groups.setdefault((op.title, op.plan_id), []).append(op)
    found: dict[str, str] = {}
    unsure: list[Unresolved] = []
    for (title, plan_id), ops in sorted(groups.items()):
        ops.sort(key=lambda op: op.name)
        mine = {op.name: _candidates(live, title, plan_id, taken, op.prior_ids) for op in ops}
        union = list({row.id: row for rows_ in mine.values() for row in rows_}.values())
        provable = all(
            op.prior_ids is not None and declared.get(op.name) == (title, plan_id) for op in ops
        )
        if union and (not provable or len(union) > len(ops)):
            unsure.append(Unresolved(tuple(op.name for op in ops), title, tuple(union)))
            continue
        for op in ops:
            free = [row for row in mine[op.name] if row.id not in taken]
            if free:
                found[op.name] = free[0].id
                taken.add(free[0].id)
    return found, unsure


def _candidates(
    rows: list[ChatbotRow],
    title: str,
    plan_id: str,
    taken: set[str],
    prior: frozenset[str] | None,
) -> list[ChatbotRow]:
    return [
        row
        for row in rows
        if row.title == title
        and row.plan_id in (None, plan_id)
        and row.id not in taken
        and (prior is None or row.id not in prior)
    ]
