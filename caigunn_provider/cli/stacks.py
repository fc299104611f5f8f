"""The project's other stacks in the current backend, and their states (issue 30, point 1).

Stacks of one project often share one CaiGunn account (dev and prod). A chatbot that `prod`
manages must not look unmanaged from `dev`, or `adopt` would give it a second stack. The stacks
are listed with `pulumi stack ls --json` in the project folder and each other stack's state is
read with `pulumi stack export --stack NAME` (no lock is taken, no secret decrypted), a few at a
time. A stack that cannot be read is reported, never silently taken for one that manages nothing.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

from caigunn_provider.cli.common import CliError
from caigunn_provider.cli.workspace import Workspace, last_line, run_pulumi

# Exports run side by side; each is one `pulumi` process.
WORKERS = 4
# A reason is cut here, so that the one warning line stays one readable line.
MAX_REASON = 160


@dataclass(frozen=True)
class Listed:
    """One stack as `pulumi stack ls --json` gives it."""

    name: str
    # None when the backend does not say; 0 lets its export be skipped.
    resource_count: int | None


@dataclass(frozen=True)
class Unread:
    """A stack whose state could not be read (stack None: the stacks could not even be listed)."""

    stack: str | None
    reason: str


@dataclass(frozen=True)
class OtherStates:
    """The other stacks' exported deployments by stack name, and those that could not be read."""

    deployments: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    unread: tuple[Unread, ...] = ()


def short_name(stack: str) -> str:
    """A stack's own name: `org/project/prod` and `org/prod` are `prod`."""
    return stack.rsplit("/", 1)[-1]


def parse_stack_list(text: str) -> list[Listed]:
    """The stacks of `pulumi stack ls --json`; ValueError when it is not that shape."""
    entries = json.loads(text or "[]")
    if not isinstance(entries, list):
        raise ValueError("`pulumi stack ls --json` printed JSON of an unexpected shape")
    found: list[Listed] = []
    for entry in entries:
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name:
            raise ValueError("`pulumi stack ls --json` listed a stack without a name")
        count = entry.get("resourceCount")
        found.append(Listed(name, count if isinstance(count, int) else None))
    return found


def parse_export(text: str) -> Mapping[str, Any]:
    """The deployment of `pulumi stack export`; ValueError when it is not JSON of that shape."""
    document = json.loads(text)
    if not isinstance(document, dict):
        raise ValueError("`pulumi stack export` printed JSON of an unexpected shape")
    deployment = document.get("deployment") or {}
    if not isinstance(deployment, dict):
        raise ValueError("`pulumi stack export` printed JSON of an unexpected shape")
    return deployment


def other_states(workspace: Workspace, pool: Executor) -> OtherStates:
    """Every stack of the project but the workspace's own, read on pool (empty without one).

    Stacks with no resources are not exported: they manage nothing.
    """
    if not workspace.has_project:
        return OtherStates()
    try:
        listed = _list(workspace)
    except (CliError, ValueError) as exc:
        return OtherStates(unread=(Unread(None, _short(str(exc))),))
    own = short_name(workspace.stack) if workspace.stack else None
    others = [s.name for s in listed if short_name(s.name) != own]
    # An empty stack manages nothing yet, though its stack file's import: keys still count.
    empty = {s.name for s in listed if s.resource_count == 0}
    deployments: dict[str, Mapping[str, Any]] = {name: {} for name in others if name in empty}
    exported = [name for name in others if name not in empty]
    unread: list[Unread] = []
    for name, outcome in zip(
        exported, pool.map(lambda stack: _export(workspace, stack), exported), strict=True
    ):
        if isinstance(outcome, Unread):
            unread.append(outcome)
        else:
            deployments[name] = outcome
    return OtherStates(dict(sorted(deployments.items())), tuple(unread))


def _list(workspace: Workspace) -> list[Listed]:
    done = run_pulumi(workspace.root, "stack", "ls", "--json")
    if done.returncode != 0:
        raise CliError(f"`pulumi stack ls` failed: {last_line(done.stderr)}")
    try:
        return parse_stack_list(done.stdout)
    except json.JSONDecodeError as exc:
        raise ValueError("`pulumi stack ls --json` printed something that is not JSON") from exc


def _export(workspace: Workspace, stack: str) -> Mapping[str, Any] | Unread:
    """One stack's deployment, or why it could not be had (never an exception: the others go on)."""
    try:
        done = run_pulumi(workspace.root, "stack", "export", "--stack", stack)
    except CliError as exc:
        return Unread(stack, _short(str(exc)))
    if done.returncode != 0:
        return Unread(stack, _short(f"`pulumi stack export` failed: {last_line(done.stderr)}"))
    try:
        return parse_export(done.stdout)
    except ValueError:
        return Unread(stack, "`pulumi stack export` printed something that is not its JSON")


def _short(reason: str) -> str:
    return reason if len(reason) <= MAX_REASON else reason[: MAX_REASON - 1] + "…"


def unread_text(unread: Sequence[Unread]) -> str:
    """`stack qa (why)`, `stacks qa (why) and staging (why)`, or the listing that failed."""
    for item in unread:
        if item.stack is None:
            return f"the project's other stacks could not be listed ({item.reason})"
    named = [f"{item.stack} ({item.reason})" for item in unread]
    joined = named[0] if len(named) == 1 else ", ".join(named[:-1]) + " and " + named[-1]
    return f"{'stack' if len(named) == 1 else 'stacks'} {joined} could not be read"


def unread_json(unread: Sequence[Unread]) -> list[dict[str, str | None]]:
    """The `unread_stacks` of a command's JSON: `stack` null when the list itself failed."""
    return [{"stack": item.stack, "reason": item.reason} for item in unread]


def warn_unread(unread: Sequence[Unread], consequence: str) -> None:
    """The one stderr line naming the stacks that could not be read, and what that means here."""
    if unread:
        print(f"warning: {unread_text(unread)}; {consequence}", file=sys.stderr)
