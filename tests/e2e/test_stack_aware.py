"""The command line sees every stack of the project (issue 30, point 1), on the real engine.

Two stacks of one project, `prod` and `dev`, share one CaiGunn account (one emulator) and one
file backend. The chatbots `prod` manages must never look unmanaged from `dev`, nor be offered by
`adopt` there; when another stack's state cannot be read, the commands say so once and never call
a chatbot plainly unmanaged. In a project whose Python program declares its chatbots itself,
`adopt` prints the lines to paste instead of offering a stack file the program never reads.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

import caigunn_provider as caigunn
from tests.e2e.conftest import entry, make_project
from tests.e2e.pulumi_cli import ROOT, PulumiProject
from tests.support import BASIC, PRO, Admin

pytestmark = pytest.mark.parametrize("level", ["current"])

PROD_FILE = (
    "chatbots:\n"
    + entry("support", "Support Desk")
    + "    knowledge:\n      - text: Opening hours are 9 to 5.\n"
    + entry("sales", "Sales", PRO)
)
# The project name in Pulumi.yaml: the file backend keeps each stack's state under it.
PROJECT = "caigunn-chatbots"
PROGRAM = """\
import caigunn_provider as caigunn

bots = caigunn.declare({"support": caigunn.ChatbotArgs(title="Support Desk", plan="Basic")})
"""


def other_stack(project: PulumiProject, stack: str, admin: Admin) -> PulumiProject:
    """A second stack of project's folder and backend, pointed at the same emulator."""
    other = PulumiProject(project.workdir, stack).init()
    other.config_set("caigunn:accessToken", admin.token, secret=True)
    other.config_set("caigunn:apiUrl", admin.base_url)
    return other


def cli(project: PulumiProject, *args: str) -> subprocess.CompletedProcess[str]:
    return project.cli(*args, "--stack", project.stack)


def cli_json(project: PulumiProject, *args: str) -> Any:
    done = cli(project, *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def row_of(table: str, chatbot_id: str) -> str:
    [line] = [line for line in table.splitlines() if line.startswith(chatbot_id)]
    return line


@pytest.fixture
def prod(tmp_path: Path, admin: Admin) -> PulumiProject:
    return make_project(tmp_path / "project", admin, stack="prod")


def test_a_chatbot_another_stack_manages_is_named_with_its_stack_and_never_offered(
    prod: PulumiProject, admin: Admin
) -> None:
    (prod.workdir / "stacks" / "prod.yaml").write_text(PROD_FILE)
    prod.up()
    ids = {name: str(res["id"]) for name, res in prod.resources().items()}
    legacy = admin.create("Legacy Desk", BASIC)
    dev = other_stack(prod, "dev", admin)

    # chatbots: prod's two are prod's, the one made by hand is unmanaged, with no caveat.
    listed = cli_json(dev, "chatbots")
    assert listed["unread_stacks"] == []
    rows = {row["id"]: row for row in listed["chatbots"]}
    for name, chatbot_id in ids.items():
        assert (rows[chatbot_id]["managed_by"], rows[chatbot_id]["managed_by_stack"]) == (
            name,
            "prod",
        )
        assert rows[chatbot_id]["managers"] == [{"stack": "prod", "entry": name, "from": "state"}]
    assert (rows[legacy]["managed_by"], rows[legacy]["managers"]) == (None, [])
    table = cli(dev, "chatbots")
    assert table.returncode == 0, table.stderr
    assert row_of(table.stdout, ids["support"]).endswith("  prod: support")
    assert row_of(table.stdout, legacy).endswith("  unmanaged")
    assert "3 chatbots: 0 managed by stack dev, 2 by stack prod, 1 unmanaged." in table.stdout
    assert "warning" not in table.stderr

    # adopt: only the chatbot made by hand; prod's are skipped, in one line.
    shown = cli(dev, "adopt")
    assert shown.returncode == 0, shown.stderr
    assert legacy in shown.stdout and not any(i in shown.stdout for i in ids.values())
    assert "Skipped 2 chatbots that stack prod manages.\n" in shown.stdout
    assert "Would add 1 entry to stacks/dev.yaml." in shown.stdout

    # adopt --id of prod's chatbot: one sentence naming the stack and the entry; nothing written.
    refused = cli(dev, "adopt", "--id", ids["support"], "--write")
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert refused.stderr == (
        f"error: chatbot {ids['support']} ('Support Desk') is not adopted: entry 'support' of "
        "stack 'prod' manages it, and two stacks managing one chatbot would undo each other's "
        "changes.\n"
    )
    assert not (dev.workdir / "stacks" / "dev.yaml").exists()

    # adopt --write writes the hand-made one alone.
    written = cli_json(dev, "adopt", "--write")
    assert [e["import"] for e in written["entries"]] == [legacy]
    assert {(e["id"], e["stack"], e["entry"]) for e in written["managed_elsewhere"]} == {
        (chatbot_id, "prod", name) for name, chatbot_id in ids.items()
    }
    text = (dev.workdir / "stacks" / "dev.yaml").read_text()
    assert f"import: {legacy}" in text and not any(i in text for i in ids.values())

    # From prod, dev's import: (not applied yet) is dev's; prod's own are as always.
    from_prod = cli(prod, "chatbots")
    assert row_of(from_prod.stdout, legacy).endswith("  dev: legacy-desk (import: on next up)")
    assert row_of(from_prod.stdout, ids["sales"]).endswith("  sales")

    # knowledge: the chatbot and its row are named with prod's stack.
    knowledge = cli(dev, "knowledge")
    assert knowledge.returncode == 0, knowledge.stderr
    [line] = [line for line in knowledge.stdout.splitlines() if "Opening hours" in line]
    assert line.startswith("Support Desk (prod: support)  ")
    assert "  prod: support/text:" in line
    assert "Sales (prod: sales)" in knowledge.stdout
    [bot] = [b for b in cli_json(dev, "knowledge")["chatbots"] if b["id"] == ids["support"]]
    assert (bot["managed_by"], bot["managed_by_stack"]) == ("support", "prod")
    assert bot["training_data"][0]["managed_by_stack"] == "prod"
    # `knowledge ENTRY` is this stack's entry; prod's is pointed to.
    elsewhere = cli(dev, "knowledge", "support")
    assert elsewhere.returncode == 1
    assert "stack 'prod' has an entry 'support': pass --stack prod" in elsewhere.stderr


def test_a_stack_that_cannot_be_read_is_said_once_and_nothing_is_called_unmanaged(
    tmp_path: Path, admin: Admin
) -> None:
    dev = make_project(tmp_path / "project", admin, stack="dev")
    other_stack(dev, "qa", admin)
    legacy = admin.create("Legacy Desk", BASIC)
    # qa's state file is broken: `pulumi stack ls` fails, so no other stack can be read.
    state = dev.workdir / ".state" / ".pulumi" / "stacks" / PROJECT / "qa.json"
    assert state.is_file()
    state.write_text("{not json")

    table = cli(dev, "chatbots")
    assert table.returncode == 0, table.stderr
    [warning] = table.stderr.splitlines()
    assert warning.startswith(
        "warning: the project's other stacks could not be listed (`pulumi stack ls` failed: "
    )
    assert warning.endswith("; a chatbot managed there is shown as 'unmanaged?'")
    assert row_of(table.stdout, legacy).endswith("  unmanaged?")
    assert "1 chatbot: 0 managed by stack dev, 1 unmanaged?." in table.stdout
    listed = cli(dev, "chatbots", "--json")
    [unread] = json.loads(listed.stdout)["unread_stacks"]
    assert unread["stack"] is None and "pulumi stack ls" in unread["reason"]
    assert len(listed.stderr.splitlines()) == 1

    # adopt shows with the caveat, refuses to write, and --id (the user vouches) writes.
    shown = cli(dev, "adopt")
    assert shown.returncode == 0 and legacy in shown.stdout
    assert [line.split(";")[-1] for line in shown.stderr.splitlines()] == [
        " a chatbot managed there may be among those offered"
    ]
    refused = cli(dev, "adopt", "--write")
    assert refused.returncode == 1
    assert "nothing was written" in refused.stderr
    assert not (dev.workdir / "stacks" / "dev.yaml").exists()
    chosen = cli(dev, "adopt", "--id", legacy, "--write")
    assert chosen.returncode == 0, chosen.stderr
    assert f"import: {legacy}" in (dev.workdir / "stacks" / "dev.yaml").read_text()


def test_in_a_program_project_adopt_prints_the_lines_to_paste(tmp_path: Path, admin: Admin) -> None:
    workdir = tmp_path / "website"
    workdir.mkdir()
    (workdir / "__main__.py").write_text(PROGRAM)
    (workdir / "Pulumi.yaml").write_text((ROOT / "Pulumi.yaml").read_text())
    (workdir / ".venv").symlink_to(ROOT / ".venv")
    dev = PulumiProject(workdir, "dev").init()
    dev.config_set("caigunn:accessToken", admin.token, secret=True)
    dev.config_set("caigunn:apiUrl", admin.base_url)
    legacy = admin.create('Legacy "Desk"', PRO)

    shown = cli(dev, "adopt")

    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == (
        "        # __main__.py reads no stack file: paste these into its caigunn.declare({...}) "
        "mapping; the next `pulumi up` adopts them and creates nothing."
    )
    assert lines[1] == (
        '        "legacy-desk": caigunn.ChatbotArgs(title="Legacy \\"Desk\\"", '
        f'plan_id="{PRO}", import_="{legacy}"),  # Pro'
    )
    # What it prints is Python that declares the chatbot.
    declared = eval("{\n" + "\n".join(lines) + "\n}", {"caigunn": caigunn})
    assert declared == {
        "legacy-desk": caigunn.ChatbotArgs(title='Legacy "Desk"', plan_id=PRO, import_=legacy)
    }
    # No stack file is offered, nor written; the hint of `chatbots` says the same.
    assert "stacks/dev.yaml" not in shown.stdout
    refused = cli(dev, "adopt", "--write")
    assert refused.returncode == 1
    assert refused.stderr.startswith(
        "error: __main__.py declares its chatbots in Python and reads no stacks/dev.yaml, "
    )
    assert not (workdir / "stacks").exists()
    hint = cli(dev, "chatbots").stdout.splitlines()[-1]
    assert hint.endswith("lines that declare the unmanaged ones, to paste into __main__.py.")
    as_json = cli_json(dev, "adopt")
    assert (as_json["stack_file"], as_json["program"]) == (None, "__main__.py")
    assert as_json["entries"][0]["python"] == lines[1].strip()
