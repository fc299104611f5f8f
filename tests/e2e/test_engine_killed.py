"""A `pulumi up` killed mid-create leaves no provider process behind: it ends itself."""

from __future__ import annotations

import pytest

from tests import processes
from tests.e2e.conftest import entry, write_stack_file
from tests.e2e.pulumi_cli import PulumiProject
from tests.support import Admin, in_flight_creates, wait_for

# The provider process looks at the engine's address every second and gives up after two
# refusals in a row (caigunn_provider/dynamic/watchdog.py); this leaves room for a busy machine.
ENDS_WITHIN_S = 15


@pytest.mark.parametrize("level", ["current"])
def test_the_provider_process_ends_itself_once_its_killed_engine_is_gone(
    project: PulumiProject, admin: Admin
) -> None:
    write_stack_file(project, "chatbots:\n" + entry("support", "Support Desk"))
    # The create commits, then its answer waits: the provider is inside a request at the kill.
    admin.set_knobs(pause_after_create_ms=60_000)

    with project.start("up", "--yes", "--skip-preview") as run:
        wait_for(lambda: in_flight_creates(admin) == 1, "the create to be in flight")
        left = run.kill_engine()  # the engine's process group only

        [provider] = [proc for proc in left if "pulumi.dynamic" in proc.cmdline()]
        assert processes.wait_gone([provider], ENDS_WITHIN_S) == [], (
            f"the provider process outlived its engine by {ENDS_WITHIN_S} s: {provider.describe()}"
        )


# Issue 30: the language host and the program end with their engine too (the host's wrapper
# watches the engine: scripts/setup-engine.sh), within the bound.
NOTHING_LEFT_WITHIN_S = 30


@pytest.mark.parametrize("level", ["current"])
def test_nothing_of_a_killed_run_outlives_its_engine(project: PulumiProject, admin: Admin) -> None:
    write_stack_file(project, "chatbots:\n" + entry("support", "Support Desk"))
    admin.set_knobs(pause_after_create_ms=60_000)

    with project.start("up", "--yes", "--skip-preview") as run:
        wait_for(lambda: in_flight_creates(admin) == 1, "the create to be in flight")
        left = run.kill_engine()

        running = " ".join(proc.cmdline() for proc in left)
        # The kill landed while the host, the program and the provider all ran.
        assert "pulumi-language-python" in running, running
        assert "pulumi-language-python-exec" in running, running
        assert "pulumi.dynamic" in running, running
        outlived = processes.wait_gone(left, NOTHING_LEFT_WITHIN_S)
        assert outlived == [], "outlived the engine by 30 s: " + "; ".join(
            proc.describe() for proc in outlived
        )
