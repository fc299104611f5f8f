"""The stack's own checkpoint, read by the program before it declares anything.

Runs in the program process. The engine tells a program nothing about the state; `pulumi stack
export` does (any backend, no lock taken: `diyBackend.ExportDeployment`). Resources are keyed by
their type token and logical name, so that kinds may share names (a Webhook `support` beside the
Chatbot `support`).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from caigunn_provider.errors import CaiGunnError


class CheckpointError(CaiGunnError):
    """The stack's checkpoint could not be read."""


@dataclass(frozen=True)
class Recorded:
    """One resource the state holds: its id, inputs and outputs (secrets stay encrypted)."""

    id: str
    inputs: Mapping[str, Any]
    outputs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PendingCreate:
    """A create the engine began and never saw finish (the run was killed meanwhile)."""

    type: str
    name: str
    inputs: Mapping[str, Any]


@dataclass(frozen=True)
class Checkpoint:
    """What the program needs of the stack's state."""

    # (type token, logical name) -> the resource the state holds
    resources: Mapping[tuple[str, str], Recorded]
    pending_creates: tuple[PendingCreate, ...] = ()

    def of_type(self, type_: str) -> dict[str, Recorded]:
        """{logical name: record} of one kind's resources."""
        return {name: rec for (kind, name), rec in self.resources.items() if kind == type_}


def dynamic_type(module: str, name: str) -> str:
    """The type token the Python SDK gives a dynamic resource class (module=, name=)."""
    return f"pulumi-python:dynamic/{module}:{name}"


_ahead: dict[str, Future[Checkpoint]] = {}
_ahead_lock = threading.Lock()


def read_ahead(stack: str) -> Future[Checkpoint]:
    """The stack's checkpoint, read in the background: started once per process and stack, so
    that the program's entry point can start it before its imports, and the pipeline then
    takes the same reading instead of waiting for a second `pulumi stack export`."""
    with _ahead_lock:
        if stack not in _ahead:
            pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="caigunn-checkpoint")
            _ahead[stack] = pool.submit(_timed_read, stack)
            pool.shutdown(wait=False)
        return _ahead[stack]


def _timed_read(stack: str) -> Checkpoint:
    from caigunn_provider import timings

    with timings.phase("checkpoint"):
        return read_checkpoint(stack)


def this_stack() -> str:
    """This program's stack as `pulumi stack export` takes it, qualified where the engine told
    the program its organization (the SDK is loaded: the language host imported it first)."""
    import pulumi

    stack, organization = pulumi.get_stack(), pulumi.get_organization()
    if organization and organization != "organization":
        return f"{organization}/{pulumi.get_project()}/{stack}"
    return stack


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
    """The parts of an exported deployment that the program uses."""
    resources = {}
    for res in deployment.get("resources") or []:
        if res.get("id") and not res.get("delete") and res.get("urn"):
            resources[(str(res.get("type")), name_of(res["urn"]))] = Recorded(
                str(res["id"]), res.get("inputs") or {}, res.get("outputs") or {}
            )
    pending = []
    for op in deployment.get("pending_operations") or []:
        res = op.get("resource") or {}
        if op.get("type") == "creating" and res.get("urn"):
            pending.append(
                PendingCreate(str(res.get("type")), name_of(res["urn"]), res.get("inputs") or {})
            )
    return Checkpoint(resources, tuple(pending))


def name_of(urn: str) -> str:
    """A URN's logical name (the part after the last `::`)."""
    return urn.rsplit("::", 1)[-1]
