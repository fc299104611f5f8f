"""A stack at the stack file's own limit: 1,000 chatbots on the real engine, with no latency.

Past about 480 resources the SDK's provider serialization used to overflow the stack
(caigunn_provider/dynamic/serialization.py); this walks one such stack through its whole life.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import entry, write_stack_file
from tests.e2e.pulumi_cli import PulumiProject
from tests.support import Admin

CHATBOTS = 1000


def many_chatbots(count: int) -> str:
    return "chatbots:\n" + "".join(entry(f"bot-{n:04d}", f"Scale {n:04d}") for n in range(count))


@pytest.mark.e2e
@pytest.mark.parametrize("level", ["current"])
def test_a_thousand_chatbots_go_up_stay_put_and_refresh(
    project: PulumiProject, admin: Admin
) -> None:
    write_stack_file(project, many_chatbots(CHATBOTS))
    # The engine's checkpoint after each step (the whole state, rewritten: quadratic in the count,
    # and none of this project's code) is left out to keep the suite fast, as the toy kinds' test
    # does; the final state is still written. scripts/bench.py measures runs with it.
    project.env["PULUMI_EXPERIMENTAL"] = "true"
    project.env["PULUMI_SKIP_CHECKPOINTS"] = "true"

    first = project.outcome("up")
    assert first.changes == {"create": CHATBOTS + 1}  # the stack and every chatbot
    assert len(admin.chatbots()) == CHATBOTS
    assert len(admin.requests("POST")) == CHATBOTS
    admin.clear_requests()

    second = project.outcome("up", "--expect-no-changes")
    assert second.changes == {"same": CHATBOTS + 1}
    assert [r for r in admin.requests() if r["method"] != "GET"] == []

    refreshed = project.outcome("refresh")
    assert refreshed.changes == {"same": CHATBOTS + 1}
    assert len(project.resources()) == CHATBOTS
    assert len(admin.chatbots()) == CHATBOTS
