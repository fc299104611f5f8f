"""Where a command stands: the Pulumi project, the selected stack, its config and its stack file.

The settings are the provider's own: the stack's `caigunn:*` config (read with the `pulumi` CLI,
secrets decrypted) with the environment as fallback. Without a Pulumi project, a selected stack
or the `pulumi` command, the environment alone is used.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from caigunn_provider.cli.common import CliError
from caigunn_provider.config import ProviderConfig, resolve

PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml")
PULUMI_TIMEOUT = 120.0


@dataclass(frozen=True)
class Workspace:
    """The project folder (or the current folder without one) and the stack, if any."""

    root: Path
    has_project: bool
    stack: str | None
    # The stack's caigunn:* config by full key; it may hold the token, so it is never shown.
    config: Mapping[str, object] = field(default_factory=dict, repr=False)

    @property
    def stack_file(self) -> Path | None:
        """stacks/<stack>.yaml in the project folder, as the Pulumi program reads it."""
        if self.stack is None:
            return None
        # A fully qualified name (org/project/stack) names the same file as its last part.
        return self.root / "stacks" / f"{self.stack.rsplit('/', 1)[-1]}.yaml"

    def shown(self, path: Path) -> str:
        """A path as the user would type it from the project folder."""
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    def settings(self, environ: Mapping[str, str] | None = None) -> ProviderConfig:
        """The provider's settings: this stack's config first, then the environment."""
        return resolve(self.config, os.environ if environ is None else environ)


def open_workspace(stack: str | None, cwd: Path | None = None) -> Workspace:
    """The workspace seen from cwd; CliError when an asked-for stack's config cannot be read."""
    here = (cwd or Path.cwd()).resolve()
    root = find_project(here)
    if root is None or pulumi_command() is None:
        return Workspace(root=root or here, has_project=root is not None, stack=stack)
    if stack is None:
        stack = _selected_stack(root)
        if stack is None:
            return Workspace(root=root, has_project=True, stack=None)
    return Workspace(root=root, has_project=True, stack=stack, config=_config(root, stack))


def find_project(start: Path) -> Path | None:
    """The nearest folder from start upwards holding Pulumi.yaml, as `pulumi` itself looks."""
    for folder in (start, *start.parents):
        if any((folder / name).is_file() for name in PROJECT_FILES):
            return folder
    return None


def pulumi_command() -> str | None:
    """The `pulumi` command: on PATH, else the engine that `make setup` put beside Python.

    The folder found is put on PATH for this process, because the checkpoint reader (and the
    engine's own plugins) look pulumi up there.
    """
    found = shutil.which("pulumi")
    if found is not None:
        return found
    beside = Path(sys.executable).parent / "pulumi"
    if not (beside.is_file() and os.access(beside, os.X_OK)):
        return None
    os.environ["PATH"] = f"{beside.parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return str(beside)


def run_pulumi(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`pulumi ARGS` in the project folder; CliError when it cannot be started."""
    command = pulumi_command()
    if command is None:
        raise CliError("the pulumi command is not on PATH")
    try:
        return subprocess.run(
            [command, *args, "--non-interactive"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=PULUMI_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CliError(f"`pulumi {args[0]}` could not be run: {exc}") from exc


def _selected_stack(root: Path) -> str | None:
    done = run_pulumi(root, "stack", "--show-name")
    name = done.stdout.strip()
    # No stack selected (or no backend logged in): the environment alone is used.
    return name if done.returncode == 0 and name else None


def _config(root: Path, stack: str) -> dict[str, object]:
    done = run_pulumi(root, "config", "--json", "--show-secrets", "--stack", stack)
    if done.returncode != 0:
        raise CliError(
            f"could not read the config of stack {stack!r}: {_last_line(done.stderr)}\n"
            "Check the stack name (`pulumi stack ls`) and, for a passphrase-protected stack, "
            "PULUMI_CONFIG_PASSPHRASE."
        )
    try:
        entries = json.loads(done.stdout or "{}")
    except ValueError as exc:
        raise CliError("`pulumi config --json` printed something that is not JSON") from exc
    if not isinstance(entries, dict):
        raise CliError("`pulumi config --json` printed JSON of an unexpected shape")
    return {
        key: entry.get("value")
        for key, entry in entries.items()
        if key.startswith("caigunn:") and isinstance(entry, dict)
    }


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    last = lines[-1] if lines else "no message"
    # pulumi starts its own messages with "error: "; ours already does.
    return last.removeprefix("error: ")[:300]
