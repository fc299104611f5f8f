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

import json
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from caigunn_provider.client import ChatbotRow
from caigunn_provider.errors import CaiGunnError
from caigunn_provider.provider import PRIOR_IDS

CHATBOT_TYPE = "pulumi-python:dynamic/caigunn:Chatbot"


class CheckpointError(CaiGunnError):
    """The stack's checkpoint could not be read."""


@dataclass(frozen=True)
class Interrupted:
    """An interrupted create of one entry, as the checkpoint recorded it."""

    name: str
    title: str
    plan_id: str
    prior_ids: frozenset[str] | None


@dataclass(frozen=True)
class Checkpoint:
    """What the program needs of the stack's state: owned ids, their inputs, interrupted creates."""

    owned: Mapping[str, str]  # logical name -> chatbot id
    recorded: Mapping[str, Mapping[str, Any]]  # logical name -> the inputs the state holds
    interrupted: tuple[Interrupted, ...]


@dataclass(frozen=True)
class Unresolved:
    """Interrupted creates whose chatbot cannot be told apart from others."""

    names: tuple[str, ...]
    title: str
    candidates: tuple[ChatbotRow, ...]


def read_checkpoint(stack: str, *, cwd: str | None = None, timeout: float = 120) -> Checkpoint:
    """The stack's checkpoint through `pulumi stack export` (any backend; no lock is taken)."""
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        raise CheckpointError("the pulumi command is not on PATH")
    done = subprocess.run(
        [pulumi, "stack", "export", "--stack", stack, "--non-interactive"],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise CheckpointError(f"`pulumi stack export` failed: {last[:300]}")
    try:
        deployment = json.loads(done.stdout).get("deployment") or {}
    except (ValueError, AttributeError) as exc:
        raise CheckpointError("`pulumi stack export` printed something that is not JSON") from exc
    return parse_checkpoint(deployment)


def parse_checkpoint(deployment: Mapping[str, Any]) -> Checkpoint:
    """The parts of an exported deployment that recovery uses."""
    owned, recorded = {}, {}
    for res in deployment.get("resources") or []:
        if res.get("type") == CHATBOT_TYPE and res.get("id") and not res.get("delete"):
            name = _name(res["urn"])
            owned[name] = str(res["id"])
            recorded[name] = res.get("inputs") or {}
    interrupted = []
    for op in deployment.get("pending_operations") or []:
        res = op.get("resource") or {}
        if op.get("type") != "creating" or res.get("type") != CHATBOT_TYPE:
            continue
        inputs = res.get("inputs") or {}
        prior = inputs.get(PRIOR_IDS)
        interrupted.append(
            Interrupted(
                name=_name(res["urn"]),
                title=str(inputs.get("title")),
                plan_id=str(inputs.get("plan_id")),
                prior_ids=frozenset(prior) if isinstance(prior, list) else None,
            )
        )
    return Checkpoint(owned, recorded, tuple(interrupted))


def still_open(checkpoint: Checkpoint, declared: Iterable[str]) -> list[Interrupted]:
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


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]
