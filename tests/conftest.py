"""Fixtures shared by every test layer, the tier marks, and the check for leftover processes."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests import processes
from tests.support import Admin, emulator
from tests.tiers import E2E, SERVER, forbid_listening, tier

# How long processes of the run may take to end after the last test (a provider process notices
# its engine is gone within a few seconds) before they count as left behind.
LEFTOVER_GRACE_S = 10.0


def pytest_configure(config: pytest.Config) -> None:
    # One name for this run, inherited by xdist workers and every process the tests start.
    os.environ.setdefault(processes.MARK, uuid.uuid4().hex)


# Tests that take half a minute or more on 2 cores (the `--durations` list of `make test`): started
# first, so that no worker is left running one of them alone at the end of the run.
LONGEST_FIRST = (
    "tests/e2e/test_scale.py",
    "tests/e2e/test_bench_smoke.py",
    "tests/e2e/test_leak_scan.py",
    "tests/toychild/",
    "tests/e2e/test_knowledge_stack_file.py",
    "tests/e2e/test_expiry.py",
    "tests/e2e/test_two_stacks_race.py",
    "tests/e2e/test_opentalk.py",
    "tests/e2e/test_knowledge_faults.py",
    "tests/e2e/test_answer_checks.py",
    "tests/e2e/test_leak_scan_checks.py",
    "tests/e2e/test_program.py",
    "tests/e2e/test_busy_server.py",
    "tests/e2e/test_knowledge.py",
    "tests/e2e/test_readme_emulator.py",
    "tests/e2e/test_ambiguous_create.py",
)


def _start_rank(item: pytest.Item) -> int:
    """Where a test starts: the longest first, then the engine's, then the rest."""
    for rank, prefix in enumerate(LONGEST_FIRST):
        if item.nodeid.startswith(prefix):
            return rank
    return len(LONGEST_FIRST) + (0 if item.get_closest_marker(E2E) else 1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        mark = tier(item)
        if mark is not None:
            item.add_marker(mark)
    items.sort(key=_start_rank)  # stable: the file order within each rank
    # xdist's worksteal hands each worker one contiguous share of this list at the start: dealt
    # round-robin, every share starts with its part of the longest tests.
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        items[:] = [item for pile in range(workers) for item in items[pile::workers]]


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Fail the run if a process it started is still alive (checked once, by the process that
    started the xdist workers, after they ended); the leftovers are ended too."""
    if hasattr(session.config, "workerinput"):
        return
    run = os.environ[processes.MARK]
    left = processes.wait_gone(processes.marked(run), LEFTOVER_GRACE_S)
    if not left:
        return
    lines = [f"{len(left)} process(es) started by the tests outlived them:"]
    lines += [f"  {proc.describe()}" for proc in left]
    processes.end(left)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line("\n" + "\n".join(lines), red=True, bold=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def _fast_tier_opens_no_server(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.get_closest_marker(SERVER) or request.node.get_closest_marker(E2E):
        yield
        return
    with forbid_listening(request.node.nodeid):
        yield


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # A developer's own CaiGunn token or Pulumi backend must never leak into a test run.
    for name in list(os.environ):
        if name.startswith(("CAIGUNN_", "PULUMI_")):
            monkeypatch.delenv(name)
    yield


@pytest.fixture(params=["current", "seed"])
def level(request: pytest.FixtureRequest) -> str:
    """Both API levels; a test narrows it with @pytest.mark.parametrize("level", [...])."""
    return str(request.param)


@pytest.fixture
def admin(level: str) -> Iterator[Admin]:
    """A fresh in-process emulator at `level`, seen through its admin client."""
    with emulator(level) as running:  # type: ignore[arg-type]
        yield running
