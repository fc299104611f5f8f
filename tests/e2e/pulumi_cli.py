"""Drives the real Pulumi engine (.venv/bin/pulumi) on a throwaway project with a file backend."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from tests import processes

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
PULUMI = VENV_BIN / "pulumi"
PASSPHRASE = "e2e-passphrase"


class PulumiError(AssertionError):
    """A pulumi command ended other than expected; carries its output."""


@dataclass
class Outcome:
    """What a `pulumi ... --json` run reported: its change summary and its diagnostics."""

    exit_code: int
    changes: dict[str, int] = field(default_factory=dict)
    diagnostics: list[dict[str, Any]] = field(default_factory=list)

    def messages(self, severity: str) -> list[str]:
        """The text of every diagnostic of one severity (error, warning, info), in order."""
        return [d["message"] for d in self.diagnostics if d.get("severity") == severity]


class Background:
    """A pulumi command running in the background, in a session (process group) of its own,
    its output going to a file. Used as a context manager, it ends whatever of the run is left.

    The engine starts each plugin (the language host, the provider) in a process group of its
    own, so killing the engine's group leaves them running; end() ends them too.
    """

    def __init__(self, process: subprocess.Popen[bytes], log: Path) -> None:
        self.process = process
        self.log = log
        self.plugins: list[processes.Proc] = []

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def _track(self) -> None:
        known = set(self.plugins)
        self.plugins += [p for p in processes.descendants(self.pid) if p not in known]

    def kill_engine(self) -> list[processes.Proc]:
        """SIGKILL the engine's process group alone, like a CI runner that is lost: no clean-up
        at all. The run's other processes, which live in process groups of their own, are left
        as they are; those still alive are returned (end() ends them)."""
        with suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGSTOP)  # no new plugin starts while the tree is read
        self._track()
        with suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        return [proc for proc in self.plugins if proc.alive()]

    def end(self) -> None:
        """Kill the engine's group and every process the run started; fail if one survives."""
        if self.process.poll() is None:
            self.kill_engine()
        left = processes.end(self.plugins)
        assert not left, "could not end: " + "; ".join(proc.describe() for proc in left)

    def __enter__(self) -> Background:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.end()


class PulumiProject:
    """One project folder, one stack, one local state backend, all under a temp folder."""

    def __init__(self, workdir: Path, stack: str = "e2e", *, backend_url: str = "") -> None:
        if not PULUMI.exists():
            # Never a skip: set-up (make test) installs the engine, so its absence is a failure.
            raise PulumiError(f"{PULUMI} is missing; run `make test`, whose set-up builds it")
        self.workdir = workdir
        self.stack = stack
        state, home = workdir / ".state", workdir / ".pulumi-home"
        state.mkdir(parents=True, exist_ok=True)
        home.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "CAIGUNN_"))}
        env.update(
            PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
            # Default: a file backend of its own; a shared one (postgres://...) when given.
            PULUMI_BACKEND_URL=backend_url or state.as_uri(),
            PULUMI_HOME=str(home),
            PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
            PULUMI_SKIP_UPDATE_CHECK="true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
        )
        self.env = env

    def run(self, *args: str, ok: bool | None = True) -> subprocess.CompletedProcess[str]:
        """Run `pulumi ARGS`; fail with its whole output when the exit status is not as wanted
        (ok=None: any exit status is wanted)."""
        done = subprocess.run(
            [str(PULUMI), *args, "--non-interactive"],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if ok is not None and (done.returncode == 0) != ok:
            raise PulumiError(
                f"pulumi {' '.join(args)} exited {done.returncode}\n"
                f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
            )
        return done

    def start(self, *args: str) -> Background:
        """Start `pulumi ARGS` in the background (see Background); end it with its `with`."""
        log = self.workdir / f".background-{len(list(self.workdir.glob('.background-*')))}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [str(PULUMI), *args, "--non-interactive"],
                cwd=self.workdir,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return Background(process, log)

    def init(self) -> PulumiProject:
        self.run("stack", "init", self.stack)
        return self

    def config_set(self, key: str, value: str, *, secret: bool = False) -> None:
        self.run("config", "set", *(["--secret"] if secret else []), key, value)

    def preview(self, *extra: str, ok: bool = True) -> str:
        return self.run("preview", "--diff", *extra, ok=ok).stdout

    def up(self, *extra: str, ok: bool = True) -> str:
        return self.run("up", "--yes", "--skip-preview", *extra, ok=ok).stdout

    def refresh(self, *extra: str, ok: bool = True) -> str:
        return self.run("refresh", "--yes", "--skip-preview", *extra, ok=ok).stdout

    def destroy(self, *extra: str, ok: bool = True) -> str:
        return self.run("destroy", "--yes", "--skip-preview", *extra, ok=ok).stdout

    def outcome(self, *args: str, ok: bool | None = True) -> Outcome:
        """Run an update-like command (up, refresh, destroy, preview) with --json events
        (ok=None: any exit status is wanted; Outcome.exit_code tells which came)."""
        extra = ["--yes", "--skip-preview"] if args[0] in ("up", "refresh", "destroy") else []
        done = self.run(*args, *extra, "--json", ok=ok)
        outcome = Outcome(done.returncode)
        if args[0] == "preview":
            # `preview --json` prints one document, not a stream of events; its diagnostics carry
            # their prefix ("error: ") in the message.
            document = json.loads(done.stdout)
            outcome.changes = dict(document.get("changeSummary") or {})
            for diagnostic in document.get("diagnostics") or []:
                severity = diagnostic.get("severity")
                if severity != "debug":
                    message = diagnostic["message"].removeprefix(f"{severity}: ")
                    outcome.diagnostics.append({**diagnostic, "message": message})
            return outcome
        for line in done.stdout.splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if "summaryEvent" in event:
                outcome.changes = dict(event["summaryEvent"].get("resourceChanges") or {})
            elif "diagnosticEvent" in event:
                diagnostic = event["diagnosticEvent"]
                if diagnostic.get("severity") != "debug":
                    outcome.diagnostics.append(diagnostic)
        return outcome

    def outputs(self, *, show_secrets: bool = False) -> dict[str, Any]:
        args = ["stack", "output", "--json", *(["--show-secrets"] if show_secrets else [])]
        result: dict[str, Any] = json.loads(self.run(*args).stdout)
        return result

    def resources(self, type_suffix: str = ":Chatbot") -> dict[str, dict[str, Any]]:
        """The state's resources of one type, by resource name (stack outputs lag a refresh)."""
        deployment = json.loads(self.export_text())["deployment"]
        return {
            res["urn"].rsplit("::", 1)[1]: res
            for res in deployment.get("resources") or []
            if res["type"].endswith(type_suffix)
        }

    def export_text(self) -> str:
        """The stack's state as `pulumi stack export` writes it (secrets stay encrypted)."""
        return self.run("stack", "export").stdout
