"""Two stacks racing on the same titles (issue 28): each declares 5 chatbots titled alike, both
`up`s run at once while half the creates commit and then answer 500, then both are rerun blind
(no `import:` added). The account ends with 10 chatbots, never more: a create that cannot tell
its chatbot from the other stack's stops, and keeps stopping, rather than create again.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import make_project, write_stack_file
from tests.support import BASIC, emulator

pytestmark = pytest.mark.e2e

TITLES = [f"Shared Bot {n}" for n in range(5)]
STACK = "chatbots:\n" + "".join(
    f"  bot-{n}:\n    title: {title}\n    plan_id: {BASIC}\n" for n, title in enumerate(TITLES)
)
CREATE = "/api/external/user/chatbot"


@pytest.mark.parametrize("seed", [3, 11])
def test_two_stacks_racing_on_the_same_titles_end_with_one_chatbot_per_entry(
    tmp_path: Path, seed: int
) -> None:
    with emulator("current", seed=seed) as admin:
        projects = [make_project(tmp_path / name, admin, stack=name) for name in ("alpha", "beta")]
        for project in projects:
            write_stack_file(project, STACK)
        # Every create waits 2 s before its answer, so that the two stacks' creates overlap.
        admin.set_knobs(create_commit_fail_rate=0.5, pause_after_create_ms=2000)

        runs = [project.start("up", "--yes", "--skip-preview") for project in projects]
        for run in runs:
            with run:
                run.process.wait(timeout=300)
        lost = [r for r in admin.requests("POST") if r["path"] == CREATE and r["status"] == 500]
        assert lost, "creates took effect and lost their answers"
        assert len(admin.chatbots()) == 10
        ambiguous = [
            name
            for project in projects
            for name, res in project.resources(":Chatbot").items()
            if "__ambiguous" in res["outputs"]
        ]
        assert ambiguous, "some create could not tell its chatbot from the other stack's"

        # Both rerun blind, as a CI job would: never a chatbot more.
        for _ in range(2):
            for project in projects:
                project.outcome("up", ok=None)
                assert len(admin.chatbots()) == 10
        creates = [r for r in admin.requests("POST") if r["path"] == CREATE]
        assert len(creates) == 10, "every create committed once; none was made again"
