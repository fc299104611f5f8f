"""`scripts/bench.py --knowledge` runs end to end on the real engine with tiny numbers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.pulumi_cli import ROOT

pytestmark = pytest.mark.e2e


def test_the_knowledge_bench_trains_each_chatbot_once_and_reports_its_ratios(
    tmp_path: Path,
) -> None:
    out = tmp_path / "bench.json"
    tiny = ["--m", "2", "--k", "2", "--work-ms", "100", "--json-out", str(out)]
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench.py"), "--knowledge", *tiny],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS  one training per chatbot" in done.stdout
    assert "PASS  second up: 0 writes" in done.stdout

    report = json.loads(out.read_text())
    assert report["trainings"] == 2 and report["second_up_writes"] == 0
    assert report["up_requests"]["item POST"] == 4
    assert report["up"] > report["reference"] > 0.1
    assert report["ratio_to_reference"] == report["up"] / report["reference"]
    # The ideal (ours' shape in no-ops) waits the training too; and the up's time is told by
    # phase, from the program's start to each of the provider's operations.
    assert report["ideal_up"] > 0.1
    # The flat floor declares as many no-ops as ours has resources (2 x (chatbot, 2 items,
    # training, model)); the bench checks that each no-op run made them all.
    assert report["resources"] == 2 * (1 + 2 + 2)
    assert "engine floor: up of 10 no-op resources" in done.stdout
    assert report["ratio_to_ideal"] == report["up"] / report["ideal_up"]
    phases = report["phases"]["up"]
    for phase in ("program: start", "program: declare", "provider: create ModelProvider"):
        assert 0 < phases[phase]["to"] <= phases["total"]["to"], phase
    assert phases["provider: create KnowledgeItemProvider"]["n"] == 4
    assert "where ours' up went" in done.stdout
