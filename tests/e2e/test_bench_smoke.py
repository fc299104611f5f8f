"""scripts/bench.py runs end to end on the real engine with tiny numbers and prints every column."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.e2e.pulumi_cli import ROOT

KINDS = ("list", "get", "post", "put", "delete", "plan", "other")
ROWS = [(level, step) for level in ("seed", "current") for step in ("up", "second up", "refresh")]


def test_bench_prints_every_column_for_every_step_and_level(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    tiny = ["--n", "20", "--m", "3", "--limit", "7", "--latency-ms", "1", "--repeat", "1"]
    tiny += ["--json-out", str(out)]
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench.py"), *tiny],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()

    [header] = [line for line in lines if line.startswith("level ")]
    for column in ("step", "wall s", "floor s", "ratio", *KINDS, "non2xx", "scans"):
        assert column in header
    for level, step in [*ROWS, *(("ideal", step) for step in ("up", "second up", "refresh"))]:
        [row] = [line for line in lines if line.startswith(f"{level:<8} {step:<10} ")]
        # wall, floor, ratio, one count per kind, non-2xx, scans
        assert len(row[20:].split()) == 3 + len(KINDS) + 2, row
    assert any(line.startswith("state per chatbot") for line in lines)
    verdicts = [line for line in lines if line.strip().startswith(("PASS ", "FAIL "))]
    assert len(verdicts) == 2 + 6 + 2 + 2

    report = json.loads(out.read_text())
    for level in ("seed", "current"):
        steps = report["levels"][level]["steps"]
        # The first up creates exactly the M declared chatbots; the second writes nothing.
        assert steps["up"]["requests"]["post"] == 3
        assert sum(steps["second up"]["requests"][kind] for kind in ("post", "put", "delete")) == 0
    assert set(report["floor"]["steps"]) == {"up", "second up", "refresh"}
    assert report["floor"]["state"]["resources"] == 3
    assert report["levels"]["ideal"]["state"]["resources"] == 3
    # The floor's provider is pickled by reference (scripts/bench_floor.py): its state is no
    # larger than the Chatbot's, whose checkpoint writes it is a floor to.
    assert report["floor"]["state"]["stored"] <= report["levels"]["current"]["state"]["stored"]


def test_bench_tables_the_programs_time_before_the_first_create() -> None:
    args = ["--program-time", "--program-ms", "2,6", "--repeat", "1"]
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench.py"), *args],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [line.split("|") for line in done.stdout.splitlines() if line.startswith("| ")]
    assert [row[1].strip() for row in rows[1:]] == ["2", "6"]
    assert all(float(row[2]) > 0 for row in rows[1:])
