"""A sample of the bad-input corpus on the real engine: one clear error, no traceback, no API call.

tests/unit/test_stackfile_corpus.py runs every case through the loader; this runs a varied sample
through `pulumi preview` and `pulumi up`, as a user would meet them, to prove that the engine shows
the loader's exact problems and that nothing reaches CaiGunn before the stack file is good.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from caigunn_provider.emulator.process import read_request_log
from tests.e2e.conftest import make_project
from tests.e2e.pulumi_cli import PulumiProject
from tests.support import Admin, emulator
from tests.unit.stackfile_corpus import STACK, Case, load_cases

# Varied on purpose: a key, a value, a character, the YAML, the bytes, a size, a name, a
# cross-entry rule, a setting, and one of the inputs that once gave a traceback.
SAMPLE = (
    "unknown-chatbot-key-typo",
    "plan-id-not-a-uuid",
    "title-escape-sequence",
    "yaml-deep-flow-nesting",
    "file-nul-bytes",
    "file-too-big",
    "name-5000-characters-plain-key",
    "import-same-id-twice-case-variants",
    "setting-main-color-bad",
    "title-lone-surrogate",
)
CASES = {case.name: case for case in load_cases()}
# The corpus's messages name stacks/dev.yaml, so the engine's stack is `dev`.
STACK_NAME = Path(STACK).stem


def test_the_sample_is_varied_and_every_case_is_in_the_corpus() -> None:
    assert len(SAMPLE) >= 8
    assert set(SAMPLE) <= set(CASES)


@dataclass
class Workspace:
    """One project and its emulator, shared by the cases: a bad file never gets past loading."""

    project: PulumiProject
    admin: Admin
    request_log: Path


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    where = tmp_path_factory.mktemp("corpus")
    request_log = where / "requests.jsonl"
    with emulator("current", request_log=str(request_log)) as admin:
        project = make_project(where / "project", admin, stack=STACK_NAME)
        yield Workspace(project, admin, request_log)


@pytest.mark.parametrize("name", SAMPLE)
def test_a_bad_stack_file_fails_preview_and_up_with_its_problems_and_no_api_call(
    workspace: Workspace, name: str
) -> None:
    case: Case = CASES[name]
    project, admin = workspace.project, workspace.admin
    stacks = project.workdir / "stacks"
    shutil.rmtree(stacks)  # no file of an earlier case is left beside this one
    case.write(project.workdir)

    for command in (("preview",), ("up", "--yes", "--skip-preview")):
        done = project.run(*command, ok=False)

        output = done.stdout + done.stderr
        shown = {line.strip() for line in output.splitlines()}
        missing = [problem for problem in case.expected if problem not in shown]
        assert missing == [], f"pulumi {command[0]} did not show:\n{missing}\n{output}"
        assert "Traceback" not in output
    # Not one request since the emulator started, by any case so far.
    assert admin.requests() == []
    assert read_request_log(workspace.request_log) == []
    assert admin.chatbots() == {}
