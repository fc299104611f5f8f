"""The short version of `make soak`: kills at random moments and a fault soak, on the engine."""

from __future__ import annotations

import random
import sys
from pathlib import Path

from tests.e2e.pulumi_cli import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import soak


def test_a_killed_up_inside_the_commit_window_recovers_without_a_duplicate(
    tmp_path: Path,
) -> None:
    # Trial 0 is killed inside the pause after a create committed; the recovery is `pulumi
    # cancel` then a plain `pulumi up`.
    trial = soak.kill_trial(0, "seed", tmp_path / "kill", random.Random(7))
    assert trial.in_window
    assert (trial.chatbots, trial.duplicates, trial.unowned, trial.ok) == (5, 0, 0, True)


def test_a_killed_up_at_a_random_moment_recovers_without_a_duplicate(tmp_path: Path) -> None:
    trial = soak.kill_trial(1, "current", tmp_path / "kill", random.Random(11))
    assert (trial.chatbots, trial.duplicates, trial.unowned, trial.ok) == (5, 0, 0, True)


def test_eight_chatbots_under_injected_faults_converge_in_two_ups_at_most(tmp_path: Path) -> None:
    result = soak.soak_seed(3, "current", 8, tmp_path / "soak", 0.2)
    assert result.runs <= 2
    assert (result.chatbots, result.duplicates, result.orphans, result.ok) == (8, 0, 0, True)
