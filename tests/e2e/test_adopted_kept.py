"""Adopted chatbots are kept, and the engine says so up front (issue 23, item 4).

The program declares adopted chatbots with Pulumi's `retain_on_delete`, stored in the state, so
that the engine's own display marks them `delete[retain]` at preview, `pulumi destroy`'s too
(which never runs the program), and never calls the provider's delete for them. A chatbot this
stack made is still deleted.
"""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import entry, write_stack_file
from tests.e2e.pulumi_cli import PulumiProject
from tests.support import PRO, Admin

pytestmark = pytest.mark.parametrize("level", ["current"])


def step_line(output: str, name: str) -> str:
    """The last progress line of one Chatbot's step (`-  ...:Chatbot legacy delete[retain]`)."""
    lines = [line for line in output.splitlines() if f":Chatbot {name} " in line]
    assert lines, output
    return lines[-1]


def retained(project: PulumiProject) -> dict[str, bool]:
    """Each Chatbot's retain-on-delete flag, as the state holds it."""
    return {name: bool(res.get("retainOnDelete")) for name, res in project.resources().items()}


def without_the_flag(project: PulumiProject) -> None:
    """The state as an earlier version of this provider left it: adopted, with no flag."""
    exported = json.loads(project.export_text())
    for res in exported["deployment"]["resources"]:
        res.pop("retainOnDelete", None)
    (project.workdir / "old.json").write_text(json.dumps(exported))
    project.run("stack", "import", "--file", "old.json")


def diagnostics(output: str) -> str:
    """The Diagnostics section of a run's output ("" without one)."""
    section = output.partition("\nDiagnostics:\n")[2]
    return section.split("\nResources:\n", 1)[0]


def test_destroy_preview_marks_the_adopted_chatbot_as_kept_and_destroy_keeps_it(
    project: PulumiProject, admin: Admin
) -> None:
    adopted = admin.create("Made By Hand")
    write_stack_file(
        project,
        "chatbots:\n" + entry("legacy", "Made By Hand", import_=adopted) + entry("made", "Made"),
    )
    project.up()
    made = project.resources()["made"]["id"]

    preview = project.run("destroy", "--preview-only").stdout

    assert step_line(preview, "legacy").endswith(" delete[retain] ")
    assert step_line(preview, "made").endswith(" delete ")
    assert set(admin.chatbots()) == {adopted, made}  # a preview deletes nothing

    destroyed = project.destroy()

    assert set(admin.chatbots()) == {adopted}
    deletes = [request["path"] for request in admin.requests("DELETE")]
    assert len(deletes) == 1 and deletes[0].endswith(f"/{made}")  # only `made` was deleted
    # The engine never calls the provider's delete of a retained resource (pkg/v3
    # resource/deploy/step.go, DeleteStep.Apply), so its own row is all that names it: the
    # summary counts it among the deleted.
    kept = step_line(destroyed, "legacy")
    assert " deleted (" in kept and kept.endswith("[retain] "), destroyed


def test_destroy_names_an_adopted_chatbot_it_keeps_when_its_delete_is_called(
    project: PulumiProject, admin: Admin
) -> None:
    # A state written before the flag existed: the engine calls the provider's delete, which
    # keeps the chatbot and says so where it lasts, under the chatbot's own name.
    adopted = admin.create("Made By Hand")
    write_stack_file(project, "chatbots:\n" + entry("legacy", "Made By Hand", import_=adopted))
    project.up()
    without_the_flag(project)

    destroyed = project.destroy()

    assert set(admin.chatbots()) == {adopted}
    assert admin.requests("DELETE") == []
    said = diagnostics(destroyed)
    assert "pulumi-python:dynamic/caigunn:Chatbot (legacy):" in said, destroyed
    assert (
        f"legacy: kept chatbot 'Made By Hand' (id {adopted}) because this stack adopted it "
        "(adopted chatbots are never deleted); it is no longer managed"
    ) in said, destroyed


def test_removing_an_adopted_entry_keeps_its_chatbot_and_says_so_at_preview(
    project: PulumiProject, admin: Admin
) -> None:
    kept, other = admin.create("Made By Hand"), admin.create("Other")
    legacy = entry("legacy", "Made By Hand", import_=kept)
    m = entry("m", "M")
    write_stack_file(project, "chatbots:\n" + legacy + entry("other", "Other", import_=other) + m)
    project.up()
    before = set(admin.chatbots())
    write_stack_file(
        project, "chatbots:\n" + entry("other", "Other", import_=other) + entry("m", "M")
    )

    preview = project.run("preview").stdout

    assert step_line(preview, "legacy").endswith(" delete[retain] ")
    assert (
        f"warning: chatbots.legacy: chatbot {kept} was adopted with `import:`; its entry is gone, "
        "so it leaves the stack, and it stays in the CaiGunn account (adopted chatbots are never "
        "deleted)"
    ) in preview
    assert "- 1 to delete" in preview

    project.up()

    assert set(admin.chatbots()) == before  # nothing deleted
    assert admin.requests("DELETE") == []
    assert retained(project) == {"other": True, "m": False}


def test_a_chatbot_made_when_an_adopted_one_changes_plan_is_deleted_as_any_other(
    project: PulumiProject, admin: Admin
) -> None:
    adopted = admin.create("Made By Hand")
    write_stack_file(project, "chatbots:\n" + entry("legacy", "Made By Hand", import_=adopted))
    project.up()
    assert retained(project) == {"legacy": True}

    # import: stays in the file; a new plan replaces the chatbot with one this stack makes (a
    # replacement is allowed by name, or up stops before it).
    project.config_set("caigunn:allowReplace", "legacy")
    write_stack_file(project, "chatbots:\n" + entry("legacy", "Made By Hand", PRO, import_=adopted))
    preview = project.run("preview").stdout
    assert "Chatbot legacy delete original[retain] [diff: ~plan_id]" in step_line(preview, "legacy")
    project.config_set("caigunn:allowReplace", "legacy")
    project.up()
    made = project.resources()["legacy"]["id"]

    assert retained(project) == {"legacy": False}
    assert step_line(project.run("destroy", "--preview-only").stdout, "legacy").endswith(" delete ")
    project.destroy()
    assert set(admin.chatbots()) == {adopted}  # the adopted one stays; the made one is gone
    assert made not in admin.chatbots()


def test_a_state_adopted_before_the_flag_existed_gains_it_on_the_next_up(
    project: PulumiProject, admin: Admin
) -> None:
    adopted = admin.create("Made By Hand")
    write_stack_file(project, "chatbots:\n" + entry("legacy", "Made By Hand", import_=adopted))
    project.up()
    without_the_flag(project)
    assert retained(project) == {"legacy": False}

    project.up("--expect-no-changes")

    assert retained(project) == {"legacy": True}
    assert step_line(project.run("destroy", "--preview-only").stdout, "legacy").endswith(
        " delete[retain] "
    )


def test_once_adopted_later_runs_no_longer_say_it_will_be_adopted(
    project: PulumiProject, admin: Admin
) -> None:
    adopted = admin.create("Made By Hand")
    write_stack_file(project, "chatbots:\n" + entry("legacy", "Made By Hand", import_=adopted))

    first = project.run("up", "--yes").stdout
    later = project.run("up", "--yes").stdout

    preview, update = first.split("\nUpdating (e2e):\n")
    assert f"chatbot {adopted} will be adopted (import:); nothing is created" in preview
    assert f"chatbot {adopted} is adopted (import:); nothing is created" in update
    assert "will be adopted" not in update
    assert "adopted" not in later


def test_after_a_forced_replace_the_made_chatbot_is_retained_only_until_the_next_up(
    project: PulumiProject, admin: Admin
) -> None:
    # The program learns from the state that the new chatbot was made, one run late: the engine
    # does not tell it that --replace is coming.
    adopted = admin.create("Made By Hand")
    write_stack_file(project, "chatbots:\n" + entry("legacy", "Made By Hand", import_=adopted))
    project.up()
    project.up("--replace", project.resources()["legacy"]["urn"])
    made = project.resources()["legacy"]["id"]
    assert made != adopted
    assert retained(project) == {"legacy": True}

    project.up()

    assert retained(project) == {"legacy": False}
    project.destroy()
    assert set(admin.chatbots()) == {adopted}
