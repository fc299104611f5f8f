"""Ambiguity that lasts (issue 28): a create whose answer is lost while another chatbot of its
title appears (another stack's) stops, and the state keeps that, so a blind rerun stops again,
naming the candidates, and never creates a second chatbot; an `import:` settles it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import make_project, write_stack_file
from tests.support import BASIC, Admin, emulator, in_flight_creates, wait_for

pytestmark = pytest.mark.e2e

STACK = f"chatbots:\n  support:\n    title: Support Desk\n    plan_id: {BASIC}\n"
CREATE = "/api/external/user/chatbot"


def creates(admin: Admin) -> int:
    return len([r for r in admin.requests("POST") if r["path"] == CREATE])


def test_an_ambiguous_create_stops_every_blind_rerun_until_import_settles_it(
    tmp_path: Path,
) -> None:
    with emulator("current") as admin:
        project = make_project(tmp_path / "project", admin)
        write_stack_file(project, STACK)
        # The create commits, waits 3 s, then answers 500: meanwhile another stack makes a
        # chatbot of the same title, so which one this create made cannot be told.
        admin.set_knobs(
            pause_after_create_ms=3000,
            script=[{"operation": "create_chatbot", "answer": "status", "commit": True}],
        )
        with project.start("up", "--yes", "--skip-preview") as run:
            wait_for(lambda: in_flight_creates(admin) == 1, "the create to commit")
            rival = admin.create("Support Desk")
            run.process.wait(timeout=120)
        assert run.process.returncode != 0
        assert admin.knobs()["script"] == [], "the scripted lost answer was served"
        candidates = sorted(admin.chatbots())
        assert len(candidates) == 2 and rival in candidates
        [record] = project.resources(":Chatbot").values()
        assert sorted(record["outputs"]["__ambiguous"]) == candidates

        # A blind rerun (no import:) stops before anything is declared, naming both.
        admin.set_knobs(pause_after_create_ms=0)
        admin.clear_requests()
        outcome = project.outcome("up", ok=False)
        said = "\n".join(outcome.messages("error"))
        assert all(candidate in said for candidate in candidates) and "import:" in said
        assert creates(admin) == 0 and len(admin.chatbots()) == 2

        # The import settles it: the record is replaced by the chatbot named, nothing is made.
        [mine] = [candidate for candidate in candidates if candidate != rival]
        write_stack_file(project, STACK + f"    import: {mine}\n")
        project.up()
        assert creates(admin) == 0 and len(admin.chatbots()) == 2
        [settled] = project.resources(":Chatbot").values()
        assert settled["id"] == mine and "__ambiguous" not in settled["outputs"]
        admin.clear_requests()
        project.up()
        assert [r for r in admin.requests() if r["method"] != "GET"] == []
