"""Start the emulator as a real subprocess for tests and demos, and always stop it again."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import caigunn_provider
from caigunn_provider.emulator.exceptions import EmulatorStartError
from caigunn_provider.emulator.startup import DEFAULT_TOKEN, READY_PREFIX

_PROJECT_ROOT = Path(caigunn_provider.__file__).resolve().parent.parent


def _flag_value(flags: tuple[str, ...], name: str) -> str | None:
    """The value of `--name VALUE` or `--name=VALUE` in flags (the last one wins, as argparse)."""
    value = None
    for index, flag in enumerate(flags):
        if flag == name and index + 1 < len(flags):
            value = flags[index + 1]
        elif flag.startswith(name + "="):
            value = flag.split("=", 1)[1]
    return value


def read_request_log(path: str | Path) -> list[dict[str, Any]]:
    """The request log's entries, one dict per CaiGunn request, oldest first."""
    log = Path(path)
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line]


@dataclass
class EmulatorProcess:
    """A running emulator subprocess: where it listens and what it was started with."""

    base_url: str
    token: str
    request_log: Path | None
    process: subprocess.Popen[str]
    _stderr: IO[bytes] = field(repr=False)
    _stdout_pump: threading.Thread = field(repr=False)

    def read_request_log(self) -> list[dict[str, Any]]:
        """The entries of this emulator's --request-log (empty if it was started without one)."""
        return read_request_log(self.request_log) if self.request_log is not None else []

    def stderr_text(self) -> str:
        """What the emulator wrote to stderr so far (tracebacks, uvicorn errors)."""
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", errors="replace")

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, wait for the graceful shutdown, SIGKILL if it hangs; the exit status."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        # The pump sees EOF now that the process is gone, and closes the pipe itself.
        self._stdout_pump.join(timeout=5)
        self._stderr.close()
        return self.process.returncode


def _pump_lines(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    # Keeps reading to EOF so the emulator can never block on a full stdout pipe.
    with stream:
        for line in stream:
            lines.put(line)
    lines.put(None)


def start_emulator(*flags: str, startup_timeout: float = 20.0) -> EmulatorProcess:
    """Start `python -m caigunn_provider emulator FLAGS` (on --port 0 unless flags name a port)
    and return once it prints its ready line; EmulatorStartError if it exits or stays silent."""
    args = list(flags)
    if _flag_value(flags, "--port") is None:
        args += ["--port", "0"]
    env = dict(os.environ)
    # The package need not be installed: make the child import this very checkout.
    env["PYTHONPATH"] = os.pathsep.join(
        part for part in (str(_PROJECT_ROOT), env.get("PYTHONPATH")) if part
    )
    stderr = tempfile.TemporaryFile()  # noqa: SIM115 -- closed by EmulatorProcess.stop
    process = subprocess.Popen(
        [sys.executable, "-m", "caigunn_provider", "emulator", *args],
        stdout=subprocess.PIPE,
        stderr=stderr,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    lines: queue.Queue[str | None] = queue.Queue()
    pump = threading.Thread(target=_pump_lines, args=(process.stdout, lines), daemon=True)
    pump.start()
    log = _flag_value(flags, "--request-log")
    emulator = EmulatorProcess(
        base_url="",
        token=_flag_value(flags, "--token") or DEFAULT_TOKEN,
        request_log=Path(log) if log is not None else None,
        process=process,
        _stderr=stderr,
        _stdout_pump=pump,
    )
    try:
        emulator.base_url = _wait_for_ready_line(emulator, lines, startup_timeout)
    except BaseException:
        emulator.stop()
        raise
    return emulator


def _wait_for_ready_line(
    emulator: EmulatorProcess, lines: queue.Queue[str | None], timeout: float
) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            line = lines.get(timeout=max(deadline - time.monotonic(), 0.001))
        except queue.Empty:
            raise EmulatorStartError(
                f"emulator printed no ready line within {timeout} s:\n" + emulator.stderr_text()
            ) from None
        if line is None:
            raise EmulatorStartError(
                f"emulator exited with status {emulator.process.wait()} before it was ready:\n"
                + emulator.stderr_text()
            )
        if line.startswith(READY_PREFIX):
            return line[len(READY_PREFIX) :].strip()


@contextmanager
def emulator_process(*flags: str, startup_timeout: float = 20.0) -> Iterator[EmulatorProcess]:
    """A running emulator for the `with` block, stopped on the way out even on failure."""
    emulator = start_emulator(*flags, startup_timeout=startup_timeout)
    try:
        yield emulator
    finally:
        emulator.stop()
