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

import yaml

from caigunn_provider.cli.common import CliError
from caigunn_provider.config import ProviderConfig, resolve

PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml")
PULUMI_TIMEOUT = 120.0
# A program that reads stacks/<stack>.yaml says one of these: the library's call, or this
# repository's own __main__.py. Any other Python program declares its chatbots in code.
STACK_FILE_CALLS = ("declare_stack_file", "pipeline.run(")


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

    def declaring_program(self) -> Path | None:
        """The project's program when it declares its chatbots in Python (`caigunn.declare`) and
        reads no stacks/<stack>.yaml: a stack file written there would never be read.

        The test: the file Pulumi runs (Pulumi.yaml's `main`, a folder meaning its __main__.py;
        by default the project folder's __main__.py) names neither `declare_stack_file` nor this
        repository's pipeline. None for a stack-file project, and when it cannot be told.
        """
        if not self.has_project:
            return None
        program = program_file(self.root)
        try:
            text = program.read_text(encoding="utf-8") if program else None
        except (OSError, UnicodeDecodeError):
            return None
        if text is None or any(call in text for call in STACK_FILE_CALLS):
            return None
        return program

    def settings(self, environ: Mapping[str, str] | None = None) -> ProviderConfig:
        """The provider's settings: this stack's config first, then the environment.

        Their warnings (a setting given in both places, differently) go to stderr.
        """
        settings = resolve(self.config, os.environ if environ is None else environ)
        for warning in settings.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        return settings


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


def program_file(root: Path) -> Path | None:
    """The Python file Pulumi runs for the project in root, if it exists."""
    try:
        project = next(root / name for name in PROJECT_FILES if (root / name).is_file())
        document = yaml.safe_load(project.read_text(encoding="utf-8-sig"))
    except (StopIteration, OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    main = document.get("main") if isinstance(document, dict) else None
    where = root / main if isinstance(main, str) and main.strip() else root
    program = where / "__main__.py" if where.is_dir() else where
    return program if program.is_file() else None


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


def run_pulumi(
    root: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`pulumi ARGS` in the project folder; CliError when it cannot be started.

    stdin is how a secret reaches pulumi: never as an argument, which `ps` would show.
    """
    command = pulumi_command()
    if command is None:
        raise CliError("the pulumi command is not on PATH")
    try:
        return subprocess.run(
            [command, *args, "--non-interactive"],
            cwd=root,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=PULUMI_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CliError(f"`pulumi {args[0]}` could not be run: {exc}") from exc


def set_secret_config(root: Path, stack: str, key: str, value: str) -> None:
    """`pulumi config set --secret KEY` for stack, the value on stdin; CliError on failure."""
    done = run_pulumi(root, "config", "set", "--secret", key, "--stack", stack, stdin=value)
    if done.returncode != 0:
        raise CliError(
            f"`pulumi config set --secret {key}` failed for stack {stack!r}: "
            f"{last_line(done.stderr)}"
        )


def _selected_stack(root: Path) -> str | None:
    done = run_pulumi(root, "stack", "--show-name")
    name = done.stdout.strip()
    # No stack selected (or no backend logged in): the environment alone is used.
    return name if done.returncode == 0 and name else None


def _config(root: Path, stack: str) -> dict[str, object]:
    done = run_pulumi(root, "config", "--json", "--show-secrets", "--stack", stack)
    if done.returncode != 0:
        raise CliError(
            f"could not read the config of stack {stack!r}: {last_line(done.stderr)}\n"
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


def last_line(text: str) -> str:
    """pulumi's last line of stderr, its `error: ` prefix dropped, cut at 300 characters."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    last = lines[-1] if lines else "no message"
    # pulumi starts its own messages with "error: "; ours already does.
    return last.removeprefix("error: ")[:300]
