"""Which entry of which stack manages which chatbot: each stack's state, then its file's imports.

The workspace's own stack is read as before; with `others=True` every other stack of the project
too (caigunn_provider/cli/stacks.py), so that a chatbot `prod` manages is not offered to `dev`.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from caigunn_provider.cli import stacks
from caigunn_provider.cli.common import CliError
from caigunn_provider.cli.stacks import OtherStates, Unread
from caigunn_provider.cli.workspace import Workspace
from caigunn_provider.ids import canonical_id
from caigunn_provider.kinds.chatbot.spec import CHATBOT_TYPE
from caigunn_provider.program.checkpoint import CheckpointError, parse_checkpoint, read_checkpoint

Source = Literal["state", "stack file"]


@dataclass(frozen=True)
class Manager:
    """The entry that manages a chatbot, where that is known from, and its stack when that is
    another stack of the project (None: the workspace's own stack)."""

    name: str
    source: Source
    stack: str | None = None

    def label(self) -> str:
        """`support` for the own stack's entry, `prod: support` for another stack's."""
        return self.name if self.stack is None else f"{self.stack}: {self.name}"


@dataclass(frozen=True)
class Managed:
    """Who manages what: the own stack's entries by chatbot id, every name its state already
    uses, and (when asked for) the other stacks' entries, their states and those unread."""

    by_id: Mapping[str, Manager]
    state_names: frozenset[str]
    # chatbot id -> the other stacks' entries that manage it, by stack name
    elsewhere: Mapping[str, tuple[Manager, ...]] = field(default_factory=dict)
    others: OtherStates = field(default_factory=OtherStates)

    @property
    def unread(self) -> tuple[Unread, ...]:
        """The other stacks whose state could not be read: "unmanaged" is then uncertain."""
        return self.others.unread

    def managers(self, chatbot_id: str) -> tuple[Manager, ...]:
        """Every entry that manages the chatbot: the own stack's first, then other stacks'."""
        own = self.by_id.get(chatbot_id)
        return (*([own] if own else []), *self.elsewhere.get(chatbot_id, ()))

    def first(self, chatbot_id: str) -> Manager | None:
        """The entry shown for the chatbot: the own stack's, else the first other stack's."""
        found = self.managers(chatbot_id)
        return found[0] if found else None


def managed(workspace: Workspace, *, strict: bool, others: bool = False) -> Managed:
    """The stack's managers: its state (what `pulumi up` did), then `import:` keys not yet up;
    with others, the same of every other stack of the project, read at the same time.

    An unreadable own state is an error when strict (adopt must not give a managed chatbot a
    second entry); otherwise a warning, and only the stack file's imports are used. Another
    stack that cannot be read is in `unread`, for the command to say.
    """
    with ThreadPoolExecutor(max_workers=stacks.WORKERS) as pool:
        own = pool.submit(_owned, workspace, strict=strict)
        states = stacks.other_states(workspace, pool) if others else OtherStates()
        owned = own.result()
    by_id = _managers(workspace.stack_file, owned, None)
    return Managed(by_id, frozenset(owned), _elsewhere(workspace, states), states)


def _managers(path: Path | None, owned: Mapping[str, str], stack: str | None) -> dict[str, Manager]:
    """{chatbot id: entry} of one stack: its stack file's imports, then its state over them."""
    by_id: dict[str, Manager] = {}
    if path is not None:
        for name, chatbot_id in file_imports(path).items():
            by_id[chatbot_id] = Manager(name, "stack file", stack)
    for name, chatbot_id in owned.items():
        by_id[chatbot_id] = Manager(name, "state", stack)
    return by_id


def _elsewhere(workspace: Workspace, states: OtherStates) -> dict[str, tuple[Manager, ...]]:
    """The other stacks' managers by chatbot id; their stack files only where the program reads
    stack files (a Python program's stacks/ folder is nobody's)."""
    files = workspace.has_project and workspace.declaring_program() is None
    found: dict[str, tuple[Manager, ...]] = {}
    for stack, deployment in states.deployments.items():
        path = workspace.root / "stacks" / f"{stacks.short_name(stack)}.yaml" if files else None
        for chatbot_id, manager in _managers(path, chatbots_of(deployment), stack).items():
            found[chatbot_id] = (*found.get(chatbot_id, ()), manager)
    return found


def chatbots_of(deployment: Mapping[str, Any]) -> dict[str, str]:
    """{entry: chatbot id} of an exported deployment's live Chatbot resources."""
    return {
        name: canonical_id(record.id) or record.id
        for name, record in parse_checkpoint(deployment).of_type(CHATBOT_TYPE).items()
    }


def file_imports(path: Path) -> dict[str, str]:
    """{entry: chatbot id} of the file's `import:` keys, read leniently (no file: none)."""
    try:
        root = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        # The loader reports what is wrong where it matters (adopt, pulumi up); a listing goes on.
        print(f"warning: {path} could not be read for its import: keys", file=sys.stderr)
        return {}
    chatbots = root.get("chatbots") if isinstance(root, dict) else None
    if not isinstance(chatbots, dict):
        return {}
    found: dict[str, str] = {}
    for name, entry in chatbots.items():
        chatbot_id = canonical_id(entry.get("import")) if isinstance(entry, dict) else None
        if isinstance(name, str) and chatbot_id is not None:
            found[name] = chatbot_id
    return found


def _owned(workspace: Workspace, *, strict: bool) -> dict[str, str]:
    if not workspace.has_project or workspace.stack is None:
        return {}
    try:
        checkpoint = read_checkpoint(workspace.stack, cwd=str(workspace.root))
    except (CheckpointError, OSError) as exc:
        if strict:
            raise CliError(
                f"the state of stack {workspace.stack!r} could not be read ({exc}), so which "
                "chatbots it already manages is unknown.\nCheck `pulumi stack export` works."
            ) from exc
        print(
            f"warning: the state of stack {workspace.stack!r} could not be read ({exc}); "
            "entries are named from the stack file's import: keys only",
            file=sys.stderr,
        )
        return {}
    return {
        name: canonical_id(record.id) or record.id
        for name, record in checkpoint.of_type(CHATBOT_TYPE).items()
    }
