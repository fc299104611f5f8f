"""A stack whose file and website items the older code made (their rows in the KnowledgeItem's
own `ids`) moves to the KnowledgeRows shape without a write to CaiGunn: no upload, crawl,
training or delete, only reads; the next `up` is all `same` (issue 28).

The first `up` runs the code of the commit before the split (extracted with `git archive`), the
next ones this tree's, on the same state and emulator.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import pytest

from tests.e2e.conftest import make_project, write_stack_file
from tests.e2e.pulumi_cli import ROOT
from tests.support import BASIC, Admin

pytestmark = pytest.mark.e2e

# The last commit whose file and website items waited for their own rows.
OLD_SHAPE = "b4c2c60"
STACK = f"""\
chatbots:
  support:
    title: Support Desk
    plan_id: {BASIC}
    knowledge:
      - text: Returns are accepted within 30 days.
      - website: https://www.example.com/help
      - file: knowledge/manual.pdf
    model: gpt-4
"""


def old_code(into: Path) -> Path:
    """The caigunn_provider package of OLD_SHAPE, extracted under `into`."""
    done = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", OLD_SHAPE, "caigunn_provider"],
        capture_output=True,
        check=False,
    )
    # Never a skip: a clone without this commit (a shallow one) cannot prove the move.
    assert done.returncode == 0, (
        f"commit {OLD_SHAPE} is not in this clone; clone with its history (no --depth): "
        + done.stderr.decode(errors="replace")
    )
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        archive.extractall(into, filter="data")
    return into


@pytest.mark.parametrize("level", ["current"])
def test_a_stack_of_the_old_shape_moves_without_a_write_and_then_stays_same(
    tmp_path: Path, admin: Admin
) -> None:
    project = make_project(tmp_path / "project", admin)
    folder = project.workdir / "stacks" / "knowledge"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manual.pdf").write_bytes(b"%PDF-1.4 a tiny manual\n")
    write_stack_file(project, STACK)
    ours = project.env.get("PYTHONPATH", "")
    project.env["PYTHONPATH"] = str(old_code(tmp_path / "old"))
    project.up()
    old_items = project.resources(":KnowledgeItem")
    assert project.resources(":KnowledgeRows") == {}, "the old code made the old shape"
    assert all(res["outputs"]["ids"] for res in old_items.values())
    rows = {
        row["id"]
        for row in admin.call(
            "GET", f"/_emulator/chatbots/{next(iter(admin.chatbots()))}/knowledge"
        ).json()["training_data"]
    }

    project.env["PYTHONPATH"] = ours
    admin.clear_requests()
    moved = project.outcome("up")
    assert [r for r in admin.requests() if r["method"] != "GET"] == [], "only reads"
    assert set(moved.changes) <= {"same", "create"}, moved.changes
    assert moved.changes.get("create") == 2, "a KnowledgeRows for the file and the website"
    held = project.resources(":KnowledgeRows")
    for name, res in held.items():
        assert res["outputs"]["ids"] == old_items[name]["outputs"]["ids"]
    for name, res in project.resources(":KnowledgeItem").items():
        assert res["outputs"]["ids"] == old_items[name]["outputs"]["ids"], "items kept as made"
    now = {
        row["id"]
        for row in admin.call(
            "GET", f"/_emulator/chatbots/{next(iter(admin.chatbots()))}/knowledge"
        ).json()["training_data"]
    }
    assert now == rows, "no row added or deleted"

    admin.clear_requests()
    again = project.outcome("up")
    assert set(again.changes) == {"same"}, again.changes
    assert [r for r in admin.requests() if r["method"] != "GET"] == []
