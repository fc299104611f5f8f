"""Where a run's time goes: each phase of the program and each call the provider process serves,
appended as one JSON line to the file that $CAIGUNN_TIMINGS names (nothing at all when unset).

The benchmark sets it and sums the lines per phase (scripts/bench_phases.py); a line is
{"process", "pid", "phase", "start", "end"}, wall-clock seconds, so that the two processes and
the `pulumi` command around them share one clock. Never a secret: phases are names, and a
provider call is named by its method and its resource's type.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

ENV = "CAIGUNN_TIMINGS"

_lock = threading.Lock()


def enabled() -> bool:
    return bool(os.environ.get(ENV))


def record(process: str, phase: str, start: float, end: float) -> None:
    """Append one phase; a failure to write is ignored (timings never fail a run)."""
    path = os.environ.get(ENV)
    if not path:
        return
    line = json.dumps(
        {"process": process, "pid": os.getpid(), "phase": phase, "start": start, "end": end}
    )
    try:
        with _lock, open(path, "a", encoding="utf-8") as out:
            out.write(line + "\n")
    except OSError:
        pass


@contextmanager
def phase(name: str, process: str = "program") -> Iterator[None]:
    """Time the block as one phase of this process."""
    if not enabled():
        yield
        return
    start = time.time()
    try:
        yield
    finally:
        record(process, name, start, time.time())


def process_started() -> float | None:
    """When this process started (wall clock, to 10 ms), from /proc; None where there is none."""
    try:
        with open("/proc/self/stat", encoding="ascii") as stat:
            ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
        since_boot = time.clock_gettime(time.CLOCK_BOOTTIME)
    except (OSError, ValueError, IndexError, AttributeError):
        return None
    return time.time() - (since_boot - ticks / os.sysconf("SC_CLK_TCK"))


def started(process: str) -> None:
    """Record the stretch from this process's start to now (its interpreter and imports)."""
    if enabled() and (began := process_started()) is not None:
        now = time.time()
        record(process, "start", began, now)
        atexit.register(lambda: record(process, "until exit", now, time.time()))


# The provider's operations timed, as the SDK calls them on a provider object.
OPERATIONS = ("check", "diff", "create", "read", "update", "delete")


def time_operations(cls: type) -> None:
    """Time each operation a provider class defines itself (only when timings are on): the
    phase is the operation and the class, e.g. `create ChatbotProvider`."""
    if not enabled():
        return
    for name in OPERATIONS:
        method = cls.__dict__.get(name)
        if method is not None:
            setattr(cls, name, _timed(f"{name} {cls.__name__}", method))


def _timed(phase_name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        start = time.time()
        try:
            return method(*args, **kwargs)
        finally:
            record("provider", phase_name, start, time.time())

    return call
