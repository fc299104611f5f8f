"""The provider process is started while the program checks the account (issue 31), on the real
engine: its start runs beside the account check's round trip instead of after the first resource
is declared; a run that declares nothing starts none, and a stack file's error still stops the
run before any request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import entry, write_stack_file
from tests.e2e.pulumi_cli import PulumiProject
from tests.support import Admin

pytestmark = pytest.mark.e2e

LATENCY_MS = 400
DEFAULT_PROVIDER = "pulumi:providers:pulumi-python"


def timed_up(project: PulumiProject, path: Path) -> list[dict[str, Any]]:
    """A `pulumi up` with the run's phases written to path (caigunn_provider.timings)."""
    path.unlink(missing_ok=True)
    project.env["CAIGUNN_TIMINGS"] = str(path)
    try:
        project.up()
    finally:
        del project.env["CAIGUNN_TIMINGS"]
    return [json.loads(line) for line in path.read_text().splitlines()]


def one(phases: list[dict[str, Any]], process: str, name: str) -> dict[str, Any]:
    found = [p for p in phases if p["process"] == process and p["phase"] == name]
    assert len(found) == 1, (process, name, phases)
    return found[0]


def state_types(project: PulumiProject) -> list[str]:
    resources = json.loads(project.export_text())["deployment"].get("resources") or []
    return [resource["type"] for resource in resources]


@pytest.mark.parametrize("level", ["current"])
def test_the_provider_process_starts_during_the_account_check(
    project: PulumiProject, admin: Admin, tmp_path: Path
) -> None:
    write_stack_file(project, "chatbots:\n" + entry("support", "Support Desk"))
    project.up()
    # Every request takes LATENCY_MS: the account check's round trip is at least that long.
    admin.set_knobs(latency_ms=LATENCY_MS)

    phases = timed_up(project, tmp_path / "timings.jsonl")

    account = one(phases, "program", "account")
    declare = one(phases, "program", "declare")
    provider = one(phases, "provider", "start")
    assert account["end"] - account["start"] >= LATENCY_MS / 1000
    # The provider process began before the account check ended, so before the first resource
    # was declared (the engine's own start of it would come after `declare` began).
    assert provider["start"] < account["end"] <= declare["start"], phases
    assert one(phases, "program", "provider start")["start"] <= provider["start"] + 0.05
    # The provider is recorded after the stack's own resource, as when the first resource
    # brought it: a run's state keeps its order.
    assert state_types(project)[:2] == ["pulumi:pulumi:Stack", DEFAULT_PROVIDER]


@pytest.mark.parametrize("level", ["current"])
def test_a_run_that_declares_nothing_starts_no_provider(
    project: PulumiProject, admin: Admin, tmp_path: Path
) -> None:
    write_stack_file(project, "chatbots: {}\n")

    phases = timed_up(project, tmp_path / "timings.jsonl")

    assert not [p for p in phases if p["process"] == "provider"], phases
    assert not [p for p in phases if p["phase"] == "provider start"], phases
    assert DEFAULT_PROVIDER not in state_types(project)


@pytest.mark.parametrize("level", ["current"])
def test_a_stack_file_error_starts_no_provider_and_sends_nothing(
    project: PulumiProject, admin: Admin, tmp_path: Path
) -> None:
    write_stack_file(project, "chatbots:\n  support:\n    title: [Support Desk\n")
    admin.clear_requests()
    path = tmp_path / "timings.jsonl"
    project.env["CAIGUNN_TIMINGS"] = str(path)

    done = project.run("up", "--yes", ok=False)

    assert "invalid stack file" in done.stdout, done.stdout
    phases = [json.loads(line) for line in path.read_text().splitlines()]
    assert [p for p in phases if p["process"] == "program"], phases  # the program did run
    assert not [p for p in phases if p["process"] == "provider"], phases
    assert not [p for p in phases if p["phase"] == "provider start"], phases
    assert admin.requests() == []
    assert DEFAULT_PROVIDER not in state_types(project)
