"""scripts/bench.py runs end to end on the real engine with tiny numbers and prints every column."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tests.e2e.pulumi_cli import ROOT

KINDS = ("list", "get", "post", "put", "delete", "plan", "other")
SECRET_SIG = "4dabf18193072939515e22adb298388d"  # the engine's mark of a secret value
STEPS = ("up", "second up", "refresh")
ROWS = [(level, step) for level in ("seed", "current") for step in STEPS]


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
    bounds = [(bound, step) for bound in ("ideal", "keyed") for step in STEPS]
    for level, step in [*ROWS, *bounds]:
        [row] = [line for line in lines if line.startswith(f"{level:<8} {step:<10} ")]
        # wall, floor, ratio, one count per kind, non-2xx, scans
        assert len(row[20:].split()) == 3 + len(KINDS) + 2, row
    assert any(line.startswith("state per chatbot") for line in lines)
    for level in ("seed", "current"):
        # "ours / the keyed floor": one line per level, a ratio per step.
        [keyed] = [line for line in lines if line.startswith(f"{level} / keyed floor")]
        assert len(re.findall(r"\d+\.\d\dx", keyed)) == 3, keyed
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
    assert report["levels"]["keyed"]["state"]["resources"] == 3
    assert set(report["levels"]["current"]["ratio_to_keyed"]) == {"up", "second up", "refresh"}
    # The floor's provider is pickled by reference (scripts/bench_floor.py): its state is no
    # larger than the Chatbot's, whose checkpoint writes it is a floor to.
    assert report["floor"]["state"]["stored"] <= report["levels"]["current"]["state"]["stored"]


def test_the_keyed_floor_holds_each_api_key_as_a_secret(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    import bench

    project = bench.floor_project(bench.Params(0, 2, 30, 0, 1), tmp_path / "keyed", keyed=True)
    project.up()
    state = json.loads(project.export_text())["deployment"]["resources"]
    keys = [res["outputs"]["api_key"] for res in state if res["type"].endswith(":NoOp")]
    assert len(keys) == 2
    # Each an encrypted secret, as a Chatbot's api_key is, and each a different key.
    assert all(SECRET_SIG in key and key["ciphertext"].startswith("v1:") for key in keys), keys
    assert len({key["ciphertext"] for key in keys}) == 2


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
