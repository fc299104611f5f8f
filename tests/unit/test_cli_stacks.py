"""The project's other stacks, as the command line reads them (issue 30, point 1): `pulumi stack
ls` and `pulumi stack export` answers parsed, a stack that cannot be read kept apart, who manages
what across stacks, and which projects' programs read a stack file."""

from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from caigunn_provider.cli import managed as managed_module
from caigunn_provider.cli import stacks
from caigunn_provider.cli.adopt import python_line
from caigunn_provider.cli.common import CliError
from caigunn_provider.cli.managed import Manager, managed
from caigunn_provider.cli.stackedit import NewEntry
from caigunn_provider.cli.stacks import Listed, Unread, other_states, parse_stack_list
from caigunn_provider.cli.workspace import Workspace
from caigunn_provider.kinds.chatbot.spec import CHATBOT_TYPE
from caigunn_provider.program.checkpoint import Checkpoint, Recorded

SUPPORT = "5e550b5f-32c9-4f77-8e6d-b9e194378174"
SALES = "dde9e89a-ac32-404e-974e-e4b035aa114f"
LEGACY = "91bd93d1-9066-40b0-a9e4-81391fa11e41"
BASIC = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


def deployment(**chatbots: str) -> dict[str, Any]:
    """An exported deployment holding one Chatbot per name (and a deleted one, ignored)."""
    urn = f"urn:pulumi:prod::caigunn-chatbots::{CHATBOT_TYPE}::"
    resources: list[dict[str, Any]] = [
        {"urn": urn + name, "type": CHATBOT_TYPE, "id": chatbot_id}
        for name, chatbot_id in chatbots.items()
    ]
    resources.append({"urn": urn + "old", "type": CHATBOT_TYPE, "id": LEGACY, "delete": True})
    return {"resources": resources}


class FakePulumi:
    """`pulumi stack ls --json` and `pulumi stack export --stack NAME`, as run_pulumi runs them."""

    def __init__(self, listed: list[dict[str, Any]], exports: dict[str, Any]) -> None:
        self.listed = listed
        # stack -> its deployment, or a str: the error pulumi prints for it
        self.exports = exports
        self.asked: list[tuple[str, ...]] = []

    def __call__(self, root: Path, *args: str) -> subprocess.CompletedProcess[str]:
        self.asked.append(args)
        if args[:2] == ("stack", "ls"):
            return subprocess.CompletedProcess(args, 0, json.dumps(self.listed), "")
        found = self.exports[args[-1]]
        if isinstance(found, str):
            return subprocess.CompletedProcess(args, 255, "", f"error: {found}\n")
        return subprocess.CompletedProcess(args, 0, json.dumps({"deployment": found}), "")


def read(monkeypatch: pytest.MonkeyPatch, fake: FakePulumi, stack: str | None = "dev") -> Any:
    monkeypatch.setattr(stacks, "run_pulumi", fake)
    with ThreadPoolExecutor(max_workers=2) as pool:
        return other_states(Workspace(Path("/nowhere"), True, stack), pool)


def test_stack_ls_json_is_read_with_its_resource_counts() -> None:
    text = json.dumps(
        [
            {"name": "dev", "current": True, "resourceCount": 3},
            {"name": "acme/prod", "current": False},
        ]
    )
    assert parse_stack_list(text) == [Listed("dev", 3), Listed("acme/prod", None)]
    with pytest.raises(ValueError, match="without a name"):
        parse_stack_list('[{"current": true}]')
    with pytest.raises(ValueError, match="unexpected shape"):
        parse_stack_list('{"name": "dev"}')


def test_every_other_stack_is_exported_and_one_that_fails_is_kept_apart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakePulumi(
        [
            {"name": "dev", "resourceCount": 4},
            {"name": "prod", "resourceCount": 3},
            {"name": "qa", "resourceCount": 2},
            {"name": "empty", "resourceCount": 0},
        ],
        {"prod": deployment(support=SUPPORT), "qa": "[403] Forbidden: no access to stack qa"},
    )

    states = read(monkeypatch, fake)

    assert states.deployments == {"empty": {}, "prod": deployment(support=SUPPORT)}
    assert states.unread == (
        Unread("qa", "`pulumi stack export` failed: [403] Forbidden: no access to stack qa"),
    )
    # The own stack is read elsewhere; an empty one has nothing to export.
    exported = sorted(args[-1] for args in fake.asked if args[1] == "export")
    assert exported == ["prod", "qa"]
    assert stacks.unread_text(states.unread) == (
        "stack qa (`pulumi stack export` failed: [403] Forbidden: no access to stack qa) could "
        "not be read"
    )


def test_a_listing_that_fails_leaves_every_other_stack_unread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def failing(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(args, 255, "", "error: failed to load checkpoint\n")

    monkeypatch.setattr(stacks, "run_pulumi", failing)
    with ThreadPoolExecutor(max_workers=1) as pool:
        states = other_states(Workspace(Path("/nowhere"), True, "dev"), pool)

    assert states.unread == (Unread(None, "`pulumi stack ls` failed: failed to load checkpoint"),)
    assert stacks.unread_json(states.unread) == [
        {"stack": None, "reason": "`pulumi stack ls` failed: failed to load checkpoint"}
    ]
    assert stacks.unread_text(states.unread).startswith(
        "the project's other stacks could not be listed ("
    )


def test_two_unread_stacks_are_named_in_one_sentence() -> None:
    unread = (Unread("qa", "no access"), Unread("staging", "timed out"))
    assert stacks.unread_text(unread) == (
        "stacks qa (no access) and staging (timed out) could not be read"
    )


def test_without_a_project_no_stack_is_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
        raise CliError("pulumi was run")

    monkeypatch.setattr(stacks, "run_pulumi", never)
    with ThreadPoolExecutor(max_workers=1) as pool:
        states = other_states(Workspace(Path("/nowhere"), False, "dev"), pool)
    assert (states.deployments, states.unread) == ({}, ())


def test_the_own_stack_comes_first_and_other_stacks_files_count_too(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: caigunn-chatbots\nruntime: python\n")
    (tmp_path / "__main__.py").write_text(
        "import caigunn_provider\ncaigunn_provider.declare_stack_file()\n"
    )
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "qa.yaml").write_text(
        f"chatbots:\n  legacy:\n    title: Legacy\n    plan_id: {BASIC}\n    import: {LEGACY}\n"
    )
    fake = FakePulumi(
        [{"name": "dev"}, {"name": "prod"}, {"name": "qa", "resourceCount": 0}],
        # prod manages SALES, and SUPPORT too (which dev manages: two stacks, a conflict).
        {"prod": deployment(sales=SALES, helpdesk=SUPPORT)},
    )
    monkeypatch.setattr(stacks, "run_pulumi", fake)
    own = Checkpoint({(CHATBOT_TYPE, "support"): Recorded(SUPPORT, {})})
    monkeypatch.setattr(managed_module, "read_checkpoint", lambda stack, cwd: own)

    known = managed(Workspace(tmp_path, True, "dev"), strict=True, others=True)

    assert known.by_id == {SUPPORT: Manager("support", "state")}
    assert known.managers(SUPPORT) == (
        Manager("support", "state"),
        Manager("helpdesk", "state", "prod"),
    )
    assert known.first(SALES) == Manager("sales", "state", "prod")
    assert known.first(LEGACY) == Manager("legacy", "stack file", "qa")
    assert known.first(LEGACY).label() == "qa: legacy"  # type: ignore[union-attr]
    assert known.unread == ()


@pytest.mark.parametrize(
    ("main", "program", "declares"),
    [
        (None, "import caigunn_provider as caigunn\ncaigunn.declare({})\n", True),
        (None, "from caigunn_provider.program import pipeline\npipeline.run([])\n", False),
        (None, "import caigunn_provider\ncaigunn_provider.declare_stack_file()\n", False),
        ("infra", "import caigunn_provider as caigunn\ncaigunn.declare({})\n", True),
        ("app.py", "import caigunn_provider as caigunn\ncaigunn.declare({})\n", True),
    ],
)
def test_a_python_program_that_reads_no_stack_file_is_told_apart(
    tmp_path: Path, main: str | None, program: str, declares: bool
) -> None:
    project = f"name: site\nruntime: python\n{f'main: {main}' if main else ''}\n"
    (tmp_path / "Pulumi.yaml").write_text(project)
    where = tmp_path / (main or "")
    if main is None or "." not in main:
        where.mkdir(exist_ok=True)
        where = where / "__main__.py"
    where.write_text(program)

    found = Workspace(tmp_path, True, "dev").declaring_program()

    assert found == (where if declares else None)


def test_without_a_program_file_the_project_is_taken_for_a_stack_file_one(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: site\nruntime: python\n")
    assert Workspace(tmp_path, True, "dev").declaring_program() is None
    assert Workspace(tmp_path, False, "dev").declaring_program() is None


def test_a_program_line_is_python_whatever_the_title() -> None:
    entry = NewEntry("odd", LEGACY, 'a "quoted"\ttitle \\ 客服', BASIC, "Basic\nPlan")

    line = python_line(entry)

    assert line.endswith("),  # Basic\\nPlan")
    name, call = line.split(": ", 1)
    assert json.loads(name) == "odd"
    title = call.split("title=", 1)[1].split(", plan_id=", 1)[0]
    assert eval(title) == 'a "quoted"\ttitle \\ 客服'
