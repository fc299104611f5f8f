"""The short version of `make soak`: kills at random moments and a fault soak, on the engine."""

from __future__ import annotations

import random
import signal
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.conftest import make_project, write_stack_file
from tests.e2e.pulumi_cli import ROOT, Background
from tests.processes import Proc
from tests.support import emulator

sys.path.insert(0, str(ROOT / "scripts"))
import soak

# The statuses the fault soak injects (soak.soak_seed's knobs); the emulator answers none of them
# on its own when no max_in_flight is set.
FAULT_STATUSES = frozenset({429, 500, 503})
# Ups allowed in the fault soak before it counts as not converging (the claim is two at most).
MAX_UPS = 5


@dataclass(frozen=True)
class Kill:
    """One kill_engine of a background run."""

    running: bool  # the engine had not exited when the kill came
    returncode: int | None  # how the engine's process ended


@pytest.fixture
def kills(monkeypatch: pytest.MonkeyPatch) -> list[Kill]:
    """Every kill of an engine in the test, as it happens (soak.kill_trial kills only a run
    still going; the end of its `with` kills nothing once the engine is gone)."""
    recorded: list[Kill] = []
    kill_engine = Background.kill_engine

    def recording(run: Background) -> list[Proc]:
        running = run.process.poll() is None
        left = kill_engine(run)
        recorded.append(Kill(running, run.process.returncode))
        return left

    monkeypatch.setattr(Background, "kill_engine", recording)
    return recorded


# The kill landed mid-run: the engine was still running, and it ended by the SIGKILL.
KILLED_MID_RUN = [Kill(running=True, returncode=-signal.SIGKILL)]


def test_a_killed_up_inside_the_commit_window_recovers_without_a_duplicate(
    tmp_path: Path, kills: list[Kill]
) -> None:
    # Trial 0 is killed inside the pause after a create committed; the recovery is `pulumi
    # cancel` then a plain `pulumi up`.
    trial = soak.kill_trial(0, "seed", tmp_path / "kill", random.Random(7))
    assert kills == KILLED_MID_RUN
    assert trial.in_window
    assert (trial.chatbots, trial.duplicates, trial.unowned, trial.ok) == (5, 0, 0, True)


def test_a_killed_up_at_a_random_moment_recovers_without_a_duplicate(
    tmp_path: Path, kills: list[Kill], monkeypatch: pytest.MonkeyPatch
) -> None:
    # An odd trial is killed 0.5 to 8 s after the up starts (3.9 s here), which at the soak's
    # 1.5 s pause after each commit may be after an up of 5 chatbots has ended (4 to 5 s on a
    # loaded machine): with the creates' answers held back 8.5 s, the up is still going then.
    monkeypatch.setattr(soak, "PAUSE_MS", 8500)
    trial = soak.kill_trial(1, "current", tmp_path / "kill", random.Random(11))
    print(f"\nkilled after {trial.killed_after_s} s (in the commit window: {trial.in_window})")
    assert kills == KILLED_MID_RUN
    assert (trial.chatbots, trial.duplicates, trial.unowned, trial.ok) == (5, 0, 0, True)


@dataclass(frozen=True)
class Soak:
    """What the fault soak did: each up's exit status under the faults, the injected faults
    the emulator served (status: count), then the account after a fault-free up."""

    exit_codes: list[int]
    faults: Counter[int]
    converged: bool
    chatbots: int
    duplicates: int
    orphans: int

    @property
    def ups_needed(self) -> int | None:
        """The first up that ended well (1-based), None if none of MAX_UPS did."""
        return next((n for n, code in enumerate(self.exit_codes, 1) if code == 0), None)


def fault_soak(seed: int, level: str, count: int, workdir: Path, fault_rate: float) -> Soak:
    """soak.soak_seed's soak, but with up to MAX_UPS plain ups under the faults (it stops at its
    bound of two, so that a third would never be seen), counting the faults served."""
    titles = [f"Soak {seed} Bot {i}" for i in range(count)]
    with emulator(level, seed=seed) as admin:  # type: ignore[arg-type]
        project = make_project(workdir, admin)
        admin.set_knobs(
            fail_rate=fault_rate,
            fail_statuses=sorted(FAULT_STATUSES),
            retry_after=0,
            create_commit_fail_rate=fault_rate,
        )
        write_stack_file(project, soak.stack_text(titles))
        exit_codes: list[int] = []
        while len(exit_codes) < MAX_UPS and 0 not in exit_codes:
            done = project.run("up", "--yes", "--skip-preview", ok=None)
            exit_codes.append(done.returncode)
        faults = Counter(r["status"] for r in admin.requests() if r["status"] in FAULT_STATUSES)
        admin.set_knobs(fail_rate=0, create_commit_fail_rate=0)
        converged = project.run("up", "--yes", "--skip-preview", "--expect-no-changes", ok=None)
        chatbots, duplicates, orphans = soak.account_check(admin, project, titles)
    return Soak(exit_codes, faults, converged.returncode == 0, chatbots, duplicates, orphans)


def test_eight_chatbots_under_injected_faults_converge_in_two_ups_at_most(tmp_path: Path) -> None:
    result = fault_soak(3, "current", 8, tmp_path / "soak", 0.2)
    print(f"\nfault soak: up exit codes {result.exit_codes}; faults served {dict(result.faults)}")
    # The faults fired (a fifth of some 30 requests), and the soak still converged in two ups.
    assert sum(result.faults.values()) > 0
    assert result.ups_needed is not None and result.ups_needed <= 2
    assert (result.chatbots, result.duplicates, result.orphans) == (8, 0, 0)
    assert result.converged
