"""A kind is one folder: the test-only Toy goes through stack file, pre-flight, up, refresh and
destroy on the real engine, beside a Chatbot of the same name (ownership keys on type and name).

The files outside tests/toykind/ this needed: caigunn_provider/emulator/startup.py and
caigunn_provider/emulator/app.py (the emulator serves a kind's extra routes). The pipeline, the
loader, the provider plumbing and the checkpoint reader serve it unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from caigunn_provider.emulator.startup import EmulatorSettings
from caigunn_provider.emulator.threaded import ThreadedEmulator
from tests.e2e.conftest import make_project, write_stack_file
from tests.e2e.pulumi_cli import ROOT, PulumiProject
from tests.support import BASIC, TOKEN, Admin
from tests.toykind.emulator import ToyStore

pytestmark = pytest.mark.e2e

PROGRAM = """\
from caigunn_provider.kinds import chatbot_kind
from caigunn_provider.program import pipeline
from tests.toykind.kind import KIND as TOY

pipeline.run([chatbot_kind(), TOY])
"""


@pytest.fixture
def toys() -> ToyStore:
    return ToyStore()


@pytest.fixture
def toy_admin(toys: ToyStore) -> Iterator[Admin]:
    settings = EmulatorSettings(token=TOKEN, port=0, extra_routes=tuple(toys.routes()))
    with ThreadedEmulator(settings) as running:
        yield Admin(running.base_url, token=TOKEN)


@pytest.fixture
def toy_project(tmp_path: Path, toy_admin: Admin) -> PulumiProject:
    project = make_project(tmp_path / "project", toy_admin)
    (project.workdir / "__main__.py").write_text(PROGRAM)
    # The provider process unpickles the Toy provider by reference: tests.toykind must import.
    project.env["PYTHONPATH"] = os.pathsep.join([str(ROOT), project.env.get("PYTHONPATH", "")])
    return project


def stack(label: str) -> str:
    return (
        f"chatbots:\n  support:\n    title: Support Desk\n    plan_id: {BASIC}\n"
        f"toys:\n  support:\n    label: {label}\n"
    )


def test_a_toy_goes_through_preflight_up_refresh_and_destroy(
    toy_project: PulumiProject, toy_admin: Admin, toys: ToyStore
) -> None:
    # The pre-flight runs for the kind: a refused label stops the preview, file:line, 0 writes.
    write_stack_file(toy_project, stack("forbidden"))
    refused = toy_project.outcome("preview", ok=False)
    assert any(
        "e2e.yaml:7: toys.support.label: 'forbidden' is not allowed" in m
        for m in refused.messages("error")
    )
    assert toys.toys == {} and toy_admin.chatbots() == {}

    # up: one chatbot and one toy, both named `support`, both owned once.
    write_stack_file(toy_project, stack("blue"))
    assert toy_project.outcome("up").changes == {"create": 3}
    [toy_id] = toys.toys
    assert toys.toys[toy_id] == "blue"
    assert toy_project.outputs()["toys"] == {"support": {"id": toy_id, "label": "blue"}}
    assert len(toy_admin.chatbots()) == 1
    assert set(toy_project.resources(":Toy")) == {"support"}
    assert set(toy_project.resources(":Chatbot")) == {"support"}

    # A second up changes nothing.
    assert toy_project.outcome("up").changes == {"same": 3}

    # refresh notices a toy relabelled behind Pulumi's back; the next up puts the label back.
    toys.toys[toy_id] = "red"
    toy_project.refresh()
    assert toy_project.resources(":Toy")["support"]["outputs"]["label"] == "red"
    assert toy_project.outcome("up").changes == {"update": 1, "same": 2}
    assert toys.toys[toy_id] == "blue"

    # destroy removes both.
    toy_project.destroy()
    assert toys.toys == {} and toy_admin.chatbots() == {}
