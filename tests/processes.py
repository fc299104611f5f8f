"""The processes a test run started: read from /proc, ended on purpose, and found if left behind.

Every process the suite starts inherits MARK (set in the pytest process at configure time, so
xdist workers and everything they start carry it too); a process that outlives its test is
reparented away from pytest, but its environment still names the run. Linux only (/proc).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# The environment variable that names one test run (no CAIGUNN_/PULUMI_ prefix: the suite strips
# those from every test's environment and from every pulumi command's).
MARK = "TESTS_CAIGUNN_RUN"
PROC = Path("/proc")


@dataclass(frozen=True)
class Proc:
    """One process, named by pid and start time (a pid alone may be reused)."""

    pid: int
    started: int

    @staticmethod
    def of(pid: int) -> Proc | None:
        """The process with this pid now, or None when there is none."""
        stat = _stat(pid)
        return None if stat is None else Proc(pid, int(stat[19]))

    def alive(self) -> bool:
        """Still running: same start time and not a zombie (exited, not yet reaped)."""
        stat = _stat(self.pid)
        return stat is not None and int(stat[19]) == self.started and stat[0] != "Z"

    def group(self) -> int | None:
        stat = _stat(self.pid)
        return None if stat is None or int(stat[19]) != self.started else int(stat[2])

    def cmdline(self) -> str:
        try:
            raw = (PROC / str(self.pid) / "cmdline").read_bytes()
        except OSError:
            return "?"
        return raw.replace(b"\0", b" ").decode(errors="replace").strip()

    def cwd(self) -> str:
        try:
            return os.readlink(PROC / str(self.pid) / "cwd")
        except OSError:
            return "?"

    def describe(self) -> str:
        return f"pid {self.pid} in {self.cwd()}: {self.cmdline()[:300]}"


def _stat(pid: int) -> list[str] | None:
    """/proc/PID/stat's fields after the command name: state, ppid, pgrp, ... (field 3 on)."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def _pids() -> list[int]:
    return [int(entry.name) for entry in PROC.iterdir() if entry.name.isdigit()]


def descendants(pid: int) -> list[Proc]:
    """The live processes below pid (children, their children, ...), parents first."""
    children: dict[int, list[int]] = {}
    for each in _pids():
        stat = _stat(each)
        if stat is not None:
            children.setdefault(int(stat[1]), []).append(each)
    found: list[Proc] = []
    queue = list(children.get(pid, []))
    while queue:
        each = queue.pop(0)
        proc = Proc.of(each)
        if proc is not None and proc.alive():
            found.append(proc)
        queue += children.get(each, [])
    return found


def ancestors() -> set[int]:
    """This process and every process above it."""
    found, pid = set(), os.getpid()
    while pid > 0 and pid not in found:
        found.add(pid)
        stat = _stat(pid)
        pid = int(stat[1]) if stat is not None else 0
    return found


def marked(run: str) -> list[Proc]:
    """Live processes whose environment names this run, other than this process's ancestors."""
    needle = f"{MARK}={run}\0".encode()
    mine = ancestors()
    found = []
    for pid in _pids():
        if pid in mine:
            continue
        try:
            environ = (PROC / str(pid) / "environ").read_bytes()
        except OSError:
            continue
        proc = Proc.of(pid)
        if needle in b"\0" + environ and proc is not None and proc.alive():
            found.append(proc)
    return found


def end(procs: Iterable[Proc], timeout: float = 10.0) -> list[Proc]:
    """SIGKILL procs, each with its process group and what it started; wait until they are
    gone. The ones still alive after timeout (none, normally)."""
    own_group = os.getpgid(0)
    targets = [proc for proc in procs if proc.alive()]
    # Frozen first, so that none starts another process while the tree is read.
    for proc in targets:
        _signal(proc, signal.SIGSTOP)
    targets += [child for proc in targets for child in descendants(proc.pid)]
    groups = {proc.group() for proc in targets} - {None, own_group, 0, 1}
    for group in groups:
        with contextlib.suppress(OSError):
            os.killpg(group, signal.SIGKILL)  # type: ignore[arg-type]
    for proc in targets:
        _signal(proc, signal.SIGKILL)
    return wait_gone(targets, timeout)


def wait_gone(procs: Iterable[Proc], timeout: float) -> list[Proc]:
    """Wait up to timeout for procs to end; the ones still alive then."""
    deadline = time.monotonic() + timeout
    left = [proc for proc in procs if proc.alive()]
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = [proc for proc in left if proc.alive()]
    return left


def _signal(proc: Proc, signum: int) -> None:
    if proc.alive():
        with contextlib.suppress(OSError):
            os.kill(proc.pid, signum)
