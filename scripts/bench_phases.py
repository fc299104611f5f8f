"""Where a step's time goes: the phases that the program and the provider process write to
$CAIGUNN_TIMINGS (caigunn_provider/timings.py), summed per phase for the benchmark's JSON.

A phase is reported as {"n": calls, "sum": seconds summed over calls, "from": its first start,
"to": its last end}, both offsets in seconds from the moment the `pulumi` command started; the
step's whole time is "total". The phases are: the program's `start` (interpreter and imports,
from the process's start), `checkpoint` (the stack's state read, in the background), `load`
(the stack file), `account` (the account check), `prepare` (the pre-flight, waiting for the
checkpoint), `declare`; the provider process's `start` (until this package is loaded in it) and
each of its operations by class (`create KnowledgeItemProvider`). What no phase covers is the
engine's own: starting, stepping and writing the state.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.e2e.pulumi_cli import PulumiProject

ENV = "CAIGUNN_TIMINGS"


def timed_phases(
    project: PulumiProject, action: Callable[[], object], scratch: Path
) -> tuple[float, dict[str, dict[str, float]]]:
    """Run the action with timings on; its seconds and its phases."""
    scratch.unlink(missing_ok=True)
    project.env[ENV] = str(scratch)
    try:
        start = time.time()
        began = time.perf_counter()
        action()
        seconds = time.perf_counter() - began
    finally:
        project.env.pop(ENV, None)
    return seconds, summarize(scratch, start, seconds)


def summarize(path: Path, start: float, total: float) -> dict[str, dict[str, float]]:
    """The phases in the file, each as {n, sum, from, to}, ordered by their first start."""
    found: dict[str, dict[str, float]] = {}
    lines = path.read_text().splitlines() if path.exists() else []
    for line in lines:
        entry: dict[str, Any] = json.loads(line)
        name = f"{entry['process']}: {entry['phase']}"
        phase = found.setdefault(name, {"n": 0, "sum": 0.0, "from": float("inf"), "to": 0.0})
        phase["n"] += 1
        phase["sum"] += entry["end"] - entry["start"]
        phase["from"] = min(phase["from"], entry["start"] - start)
        phase["to"] = max(phase["to"], entry["end"] - start)
    ordered = dict(sorted(found.items(), key=lambda item: item[1]["from"]))
    rounded = {
        name: {key: round(value, 3) for key, value in phase.items()}
        for name, phase in ordered.items()
    }
    return {"total": {"n": 1, "sum": round(total, 3), "from": 0.0, "to": round(total, 3)}} | (
        rounded
    )


def render(phases: dict[str, dict[str, float]], indent: str = "    ") -> list[str]:
    """One line a phase: when it ran (from, to) and its summed time over calls."""
    return [
        f"{indent}{name:<38} {phase['from']:6.2f} .. {phase['to']:6.2f} s"
        f"  ({int(phase['n'])} x, {phase['sum']:.2f} s summed)"
        for name, phase in phases.items()
    ]
