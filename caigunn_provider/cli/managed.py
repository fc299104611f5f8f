"""Which entry of the stack manages which chatbot: the stack's state, then the file's imports."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from caigunn_provider.cli.common import CliError
from caigunn_provider.cli.workspace import Workspace
from caigunn_provider.ids import canonical_id
from caigunn_provider.kinds.chatbot.spec import CHATBOT_TYPE
from caigunn_provider.program.checkpoint import CheckpointError, read_checkpoint

Source = Literal["state", "stack file"]


@dataclass(frozen=True)
class Manager:
    """The entry that manages a chatbot, and where that is known from."""

    name: str
    source: Source


@dataclass(frozen=True)
class Managed:
    """Who manages what in one stack: by chatbot id, and every name the stack already uses."""

    by_id: Mapping[str, Manager]
    state_names: frozenset[str]


def managed(workspace: Workspace, *, strict: bool) -> Managed:
    """The stack's managers: its state (what `pulumi up` did), then `import:` keys not yet up.

    An unreadable state is an error when strict (adopt must not give a managed chatbot a second
    entry); otherwise a warning, and only the stack file's imports are used.
    """
    owned = _owned(workspace, strict=strict)
    by_id: dict[str, Manager] = {}
    path = workspace.stack_file
    if path is not None:
        for name, chatbot_id in file_imports(path).items():
            by_id[chatbot_id] = Manager(name, "stack file")
    for name, chatbot_id in owned.items():
        by_id[chatbot_id] = Manager(name, "state")
    return Managed(by_id, frozenset(owned))


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
