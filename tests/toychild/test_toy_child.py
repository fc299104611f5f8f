"""An entry kind is one folder: the test-only ToyChild, declared by `toys:` inside chatbot
entries, goes through preview, up, an idle up, refresh, edits and destroy on the real engine, and
600 of them go up in one run (serialization.install keeps the SDK's pickling from recursing).

The program hands the Chatbot kind the registered entry kinds and this one; the emulator serves
the toy routes through EmulatorSettings(extra_routes=...). No file outside tests/toychild/ was
changed for it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from caigunn_provider.capabilities import Level
from caigunn_provider.emulator.startup import EmulatorSettings
from caigunn_provider.emulator.threaded import ThreadedEmulator
from tests.e2e.conftest import make_project, write_stack_file
from tests.e2e.pulumi_cli import ROOT, PulumiProject
from tests.support import BASIC, PRO, TOKEN, Admin
from tests.toychild.api import TOY_PATH
from tests.toychild.emulator import ToyChildStore

PROGRAM = """\
from caigunn_provider.kinds import entry_kinds
from caigunn_provider.kinds.chatbot.kind import ChatbotKind
from caigunn_provider.kinds.chatbot.section import ChatbotSection
from caigunn_provider.program import pipeline
from tests.toychild.kind import KIND as TOY_CHILD_KIND

pipeline.run([ChatbotKind(ChatbotSection((*entry_kinds(), TOY_CHILD_KIND)))])
"""


@pytest.fixture
def store() -> ToyChildStore:
    return ToyChildStore()


def start(store: ToyChildStore, level: Level = "current") -> ThreadedEmulator:
    settings = EmulatorSettings(
        token=TOKEN, level=level, port=0, extra_routes=tuple(store.routes())
    )
    return ThreadedEmulator(settings)


@pytest.fixture
def toy_admin(store: ToyChildStore) -> Iterator[Admin]:
    with start(store) as running:
        yield Admin(running.base_url, token=TOKEN)


def toy_project(workdir: Path, admin: Admin) -> PulumiProject:
    project = make_project(workdir, admin)
    (project.workdir / "__main__.py").write_text(PROGRAM)
    # The provider process unpickles the ToyChild provider by reference: tests.toychild must
    # import there.
    project.env["PYTHONPATH"] = os.pathsep.join([str(ROOT), project.env.get("PYTHONPATH", "")])
    return project


@pytest.fixture
def project(tmp_path: Path, toy_admin: Admin) -> PulumiProject:
    return toy_project(tmp_path / "project", toy_admin)


def chatbot(name: str, title: str, toys: str, plan_id: str = BASIC) -> str:
    """One chatbot entry; toys is the YAML text after `toys:` (on the key's line or below)."""
    return f"  {name}:\n    title: {title}\n    plan_id: {plan_id}\n    toys:{toys}"


def stack(support: str, sales: str = " [alpha, beta]\n", sales_plan: str = BASIC) -> str:
    return (
        "chatbots:\n"
        + chatbot("support", "Support Desk", support)
        + chatbot("sales", "Sales", sales, sales_plan)
    )


SUPPORT = "\n      red: shiny\n      blue:\n      green: leafy\n"


def bot_ids(project: PulumiProject) -> dict[str, str]:
    return {name: str(res["id"]) for name, res in project.resources(":Chatbot").items()}


def toys_in_state(project: PulumiProject) -> dict[str, tuple[str, str]]:
    """{resource name: (id, note)} of every ToyChild the state holds."""
    return {
        name: (str(res["id"]), str(res["outputs"]["note"]))
        for name, res in project.resources(":ToyChild").items()
    }


def api_writes(admin: Admin) -> list[tuple[str, str]]:
    """(method, path) of every write the emulator served since its log was last cleared."""
    return [(r["method"], r["path"]) for r in admin.requests() if r["method"] != "GET"]


@pytest.mark.e2e
def test_toys_go_through_preview_up_refresh_edits_and_destroy(
    project: PulumiProject, toy_admin: Admin, store: ToyChildStore
) -> None:
    # The kind's limits() runs at preview: a refused label stops it at its line, 0 writes.
    write_stack_file(project, stack(SUPPORT, " [alpha, forbidden]\n"))
    refused = project.outcome("preview", ok=False)
    assert (
        "stacks/e2e.yaml:12: chatbots.sales.toys: label 'forbidden' is not allowed on plan"
        in "\n".join(refused.messages("error"))
    )
    # A stack-file problem of the kind stops it too, at its line.
    write_stack_file(project, stack(SUPPORT, "\n      - alpha\n      - Beta\n"))
    refused = project.outcome("preview", ok=False)
    assert "stacks/e2e.yaml:14: chatbots.sales.toys[1]: a label is 1 to 40" in "\n".join(
        refused.messages("error")
    )
    assert store.snapshot() == {} and store.writes == [] and toy_admin.chatbots() == {}

    # preview: the stack, two chatbots and five toys to create; nothing written.
    write_stack_file(project, stack(SUPPORT))
    preview = project.outcome("preview")
    assert preview.changes == {"create": 8}
    assert "caigunn:ToyChild: (create)" in project.preview()
    assert store.snapshot() == {} and store.writes == [] and toy_admin.chatbots() == {}

    # up: each toy is made under its own chatbot, with that chatbot's api-key.
    assert project.outcome("up").changes == {"create": 8}
    ids = bot_ids(project)
    support, sales = ids["support"], ids["sales"]
    assert set(toy_admin.chatbots()) == {support, sales}
    assert store.snapshot() == {
        support: {"red": "shiny", "blue": "", "green": "leafy"},
        sales: {"alpha": "", "beta": ""},
    }
    assert toys_in_state(project) == {
        "support/toy:red": (f"{support}/red", "shiny"),
        "support/toy:blue": (f"{support}/blue", ""),
        "support/toy:green": (f"{support}/green", "leafy"),
        "sales/toy:alpha": (f"{sales}/alpha", ""),
        "sales/toy:beta": (f"{sales}/beta", ""),
    }
    keys = {row["id"]: row["api_key"] for row in toy_admin.chatbots().values()}
    state = project.export_text()
    assert all(key not in state for key in keys.values()), "api_keys stay secrets in the state"

    # A second up changes nothing and writes nothing: no toy, no chatbot.
    toy_admin.clear_requests()
    written = len(store.writes)
    assert project.outcome("up", "--expect-no-changes").changes == {"same": 8}
    assert len(store.writes) == written
    assert api_writes(toy_admin) == []

    # refresh reads each toy back: a note changed and a toy deleted behind Pulumi's back are
    # learnt (and nothing is written); the next up puts both back.
    store.toys[support]["red"] = "dull"
    del store.toys[sales]["beta"]
    project.refresh()
    assert len(store.writes) == written
    refreshed = toys_in_state(project)
    assert refreshed["support/toy:red"][1] == "dull"
    assert "sales/toy:beta" not in refreshed
    assert project.outcome("up").changes == {"update": 1, "create": 1, "same": 6}
    assert store.snapshot()[support]["red"] == "shiny"
    assert store.snapshot()[sales] == {"alpha": "", "beta": ""}

    # Edits: a changed label is another toy (the old one deleted), a changed note an update.
    write_stack_file(project, stack("\n      red: shiny\n      blue: navy\n      lime: leafy\n"))
    del store.writes[:]
    outcome = project.outcome("up")
    assert outcome.changes == {"create": 1, "delete": 1, "update": 1, "same": 6}
    assert sorted(store.writes) == [
        ("DELETE", support, "green"),
        ("PUT", support, "blue"),
        ("PUT", support, "lime"),
    ]
    assert store.snapshot()[support] == {"red": "shiny", "blue": "navy", "lime": "leafy"}
    assert bot_ids(project) == ids, "no chatbot changed"

    # A new plan replaces the chatbot, and with it its toys: made under the new chatbot, the
    # old ones deleted before the old chatbot.
    write_stack_file(
        project,
        stack("\n      red: shiny\n      blue: navy\n      lime: leafy\n", sales_plan=PRO),
    )
    del store.writes[:]
    project.config_set("caigunn:allowReplace", "sales")
    outcome = project.outcome("up")
    assert outcome.changes == {"replace": 3, "same": 5}
    new_sales = bot_ids(project)["sales"]
    assert new_sales != sales
    assert store.snapshot() == {
        support: {"red": "shiny", "blue": "navy", "lime": "leafy"},
        new_sales: {"alpha": "", "beta": ""},
    }
    assert sorted(store.writes) == [
        ("DELETE", sales, "alpha"),
        ("DELETE", sales, "beta"),
        ("PUT", new_sales, "alpha"),
        ("PUT", new_sales, "beta"),
    ]
    assert set(toy_admin.chatbots()) == {support, new_sales}

    # A label removed deletes its toy.
    write_stack_file(project, stack("\n      red: shiny\n      blue: navy\n", sales_plan=PRO))
    assert project.outcome("up").changes == {"delete": 1, "same": 7}
    assert store.snapshot()[support] == {"red": "shiny", "blue": "navy"}

    # destroy deletes every toy, then the chatbots.
    project.destroy()
    assert store.snapshot() == {}
    assert toy_admin.chatbots() == {}
    assert project.resources(":ToyChild") == {}


@pytest.mark.e2e
def test_the_seed_level_refuses_toys_at_preview(tmp_path: Path, store: ToyChildStore) -> None:
    with start(store, "seed") as running:
        admin = Admin(running.base_url, token=TOKEN)
        project = toy_project(tmp_path / "project", admin)
        write_stack_file(project, stack(SUPPORT))
        outcome = project.outcome("preview", ok=False)
        assert (
            "stacks/e2e.yaml:5: chatbots.support.toys: toys needs the current CaiGunn API "
            "(its chatbot-level routes: toys)"
        ) in "\n".join(outcome.messages("error"))
        assert store.writes == [] and admin.chatbots() == {}


BOTS, PER_BOT = 3, 200


@pytest.mark.e2e
def test_600_toys_under_3_chatbots_go_up_in_one_run_and_stay_put(
    project: PulumiProject, toy_admin: Admin, store: ToyChildStore
) -> None:
    labels = "".join(f"\n      - t-{n:03d}" for n in range(PER_BOT)) + "\n"
    text = "chatbots:\n" + "".join(chatbot(f"bot-{b}", f"Bot {b}", labels) for b in range(BOTS))
    write_stack_file(project, text)
    total = BOTS * (PER_BOT + 1) + 1  # toys, chatbots and the stack
    # What this proves is that 600 resources of one kind serialize (no RecursionError: every
    # resource module calls serialization.install). The engine's rewrite of its whole checkpoint
    # after each step, quadratic in the count and no part of that, is left out to keep the suite
    # fast: the final state is still written.
    project.env["PULUMI_EXPERIMENTAL"] = "true"
    project.env["PULUMI_SKIP_CHECKPOINTS"] = "true"

    started = time.monotonic()
    first = project.outcome("up")
    took = time.monotonic() - started
    print(f"\n`pulumi up` of {BOTS * PER_BOT} toys under {BOTS} chatbots: {took:.1f} s")
    assert first.changes == {"create": total}
    assert store.count() == BOTS * PER_BOT
    assert len(toy_admin.chatbots()) == BOTS
    assert set(store.snapshot()) == set(bot_ids(project).values())
    assert all(len(toys) == PER_BOT for toys in store.snapshot().values())
    assert len(project.resources(":ToyChild")) == BOTS * PER_BOT

    toy_admin.clear_requests()
    written = len(store.writes)
    started = time.monotonic()
    second = project.outcome("up", "--expect-no-changes")
    print(f"second `pulumi up` (no change): {time.monotonic() - started:.1f} s")
    assert second.changes == {"same": total}
    assert len(store.writes) == written
    assert api_writes(toy_admin) == []
    assert [r for r in toy_admin.requests() if r["path"].startswith(TOY_PATH)] == []
