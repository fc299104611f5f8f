"""Inline text items are named by their first words, and a stack made with the old names moves to
them without a replacement (issue 30, "opaque names like `helpdesk/text:8263e6382628`").

The old state is made by renaming the new one back in `pulumi stack export`'s text: the old
program wrote exactly that state, only with `<entry>/text:<digest12>` for each inline text item
(caigunn_provider.kinds.knowledge.declare.legacy_name, pinned by
tests/unit/test_knowledge_names.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from caigunn_provider.kinds.knowledge import digest
from tests.e2e.conftest import make_project, write_stack_file
from tests.e2e.pulumi_cli import PulumiProject
from tests.support import BASIC, Admin, emulator

pytestmark = pytest.mark.e2e

OPENING = "Opening hours: Mon-Fri 9:00-18:00"
SHIPPING = "We ship worldwide."
# Texts that begin alike: each gets a digest after its words.
ALIKE = (f"{OPENING} (summer)", f"{OPENING} (winter)", f"{OPENING}!")
TEXTS = (SHIPPING, *ALIKE)
# Each item's new name and the name the old program gave it.
RENAMED = {
    "support/text:we-ship-worldwide": f"support/text:{digest.of_text(SHIPPING)[:12]}",
    **{
        f"support/text:opening-hours-mon-fri-9-{digest.of_text(text)[:8]}": (
            f"support/text:{digest.of_text(text)[:12]}"
        )
        for text in ALIKE
    },
}


def stack_file(texts: tuple[str, ...] = TEXTS) -> str:
    items = "".join(f'      - text: "{text}"\n' for text in texts)
    return (
        f"chatbots:\n  support:\n    title: Support Desk\n    plan_id: {BASIC}\n"
        f"    knowledge:\n{items}    model: gpt-4\n"
    )


@pytest.fixture
def fast() -> Iterator[Admin]:
    with emulator("current", work_ms=50) as running:
        yield running


@pytest.fixture
def nproject(tmp_path: Path, fast: Admin) -> PulumiProject:
    project = make_project(tmp_path / "project", fast)
    write_stack_file(project, stack_file())
    return project


def items(project: PulumiProject) -> dict[str, list[str]]:
    """Each KnowledgeItem's rows, by resource name."""
    return {
        name: list(res["outputs"].get("ids") or [])
        for name, res in project.resources(":KnowledgeItem").items()
    }


def with_old_names(project: PulumiProject) -> None:
    """The state as the old program left it: every inline text item under its digest name."""
    text = project.export_text()
    for new, old in RENAMED.items():
        text = text.replace(new, old)
    (project.workdir / "old.json").write_text(text)
    project.run("stack", "import", "--file", "old.json")
    assert set(items(project)) == set(RENAMED.values())


def test_text_items_have_readable_names_and_a_second_up_changes_nothing(
    nproject: PulumiProject, fast: Admin
) -> None:
    nproject.up()
    assert set(items(nproject)) == set(RENAMED)
    listed = nproject.cli("knowledge", "support")
    assert listed.returncode == 0, listed.stderr
    assert "support/text:we-ship-worldwide" in listed.stdout, listed.stdout

    fast.clear_requests()
    second = nproject.outcome("up", "--expect-no-changes")
    assert set(second.changes) == {"same"}
    assert [r for r in fast.requests() if r["method"] != "GET"] == []


def test_a_stack_made_with_the_old_names_moves_to_the_new_ones_without_a_replacement(
    nproject: PulumiProject, fast: Admin
) -> None:
    nproject.up()
    with_old_names(nproject)
    rows = {row for ids in items(nproject).values() for row in ids}

    preview = nproject.run("preview", "--diff").stdout
    assert "retrains" not in preview, preview
    fast.clear_requests()
    nproject.up("--expect-no-changes")

    assert set(items(nproject)) == set(RENAMED)
    assert {row for ids in items(nproject).values() for row in ids} == rows
    assert [r for r in fast.requests() if r["method"] != "GET"] == []  # nothing made or trained
