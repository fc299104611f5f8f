"""A wait's progress is shown live, beside its resource, and not repeated in the Diagnostics
(issue 30, item "Training progress ... Every progress line is printed again under Diagnostics").

The provider says a wait's lines to the engine as ephemeral status messages (Engine.Log with
`ephemeral`, caigunn_provider/dynamic/status.py). The engine's non-interactive display, the one CI
and these tests see, prints the resource's row again for every message with the message in its
last column (pkg/v3 backend/display/jsonmessage.go, rowUpdated; rows.go, getInfoColumn: the last
diagnostic, ephemeral ones too), and its Diagnostics section skips ephemeral messages
(progress.go, printDiagnostics).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import make_project, write_stack_file
from tests.e2e.pulumi_cli import PulumiProject
from tests.support import BASIC, Admin, emulator

pytestmark = pytest.mark.e2e

# Long enough for the wait to look more than once (its first look comes after 0.25 s).
WORK_MS = 2500
STACK_FILE = f"""chatbots:
  support:
    title: Support Desk
    plan_id: {BASIC}
    knowledge:
      - text: "Opening hours: Mon-Fri 9:00-18:00"
    model: gpt-4
"""


@pytest.fixture
def slow() -> Iterator[Admin]:
    """A current-level emulator whose trainings take WORK_MS."""
    with emulator("current", work_ms=WORK_MS) as running:
        yield running


@pytest.fixture
def sproject(tmp_path: Path, slow: Admin) -> PulumiProject:
    project = make_project(tmp_path / "project", slow)
    write_stack_file(project, STACK_FILE)
    return project


def live_and_diagnostics(output: str) -> tuple[str, str]:
    """The output before its Diagnostics section, and that section ("" without one)."""
    live, _, rest = output.partition("\nDiagnostics:\n")
    diagnostics = rest.split("\nOutputs:\n", 1)[0].split("\nResources:\n", 1)[0]
    return live, diagnostics


def test_training_progress_is_shown_live_beside_the_model_and_not_in_the_diagnostics(
    sproject: PulumiProject,
) -> None:
    output = sproject.up()
    live, diagnostics = live_and_diagnostics(output)

    progress = [line for line in live.splitlines() if "support: training: " in line]
    assert progress, output
    # On the Model's own row (`+  pulumi-python:dynamic/caigunn:Model support creating (0s)
    # support: training: queued or running (0 s)`), while its step goes on.
    assert all(":Model support " in line for line in progress), progress
    assert any(" creating " in line for line in progress), progress
    assert "support: training: " not in diagnostics, diagnostics
    # What is meant to last still does: the training's start, under the Training's name.
    assert "support: training started (event " in diagnostics, diagnostics
