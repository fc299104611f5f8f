"""A team on Pulumi's PostgreSQL backend: two members share one stack, its lock and secrets."""

from __future__ import annotations

import base64
import json
import shutil
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.postgres import PostgresServer
from tests.e2e.pulumi_cli import ROOT, Background, PulumiProject
from tests.support import BASIC, PRO, TOKEN, Admin, emulator, in_flight_creates, wait_for

STACK = "team"
LOCKED = (
    "the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end "
    "or delete the lock file with `pulumi cancel`."
)
DECLARED = {"support": ("Support Desk", BASIC), "sales": ("Sales Assistant", PRO)}


def stack_file(chatbots: dict[str, tuple[str, str]]) -> str:
    return "chatbots:\n" + "".join(
        f"  {name}:\n    title: {title}\n    plan_id: {plan}\n"
        for name, (title, plan) in chatbots.items()
    )


@dataclass
class Team:
    """Two members' project folders on one shared stack, the account, and the state database."""

    a: PulumiProject
    b: PulumiProject
    admin: Admin
    postgres: PostgresServer
    database: str
    runs: list[Background] = field(default_factory=list)

    def declare(self, chatbots: dict[str, tuple[str, str]], *members: PulumiProject) -> None:
        """Both members (or the ones named) now have this stack file, as after a git pull."""
        for member in members or (self.a, self.b):
            (member.workdir / "stacks" / f"{STACK}.yaml").write_text(stack_file(chatbots))

    def live_titles(self) -> Counter[str]:
        return Counter(bot["title"] for bot in self.admin.chatbots().values())

    def locks(self) -> list[str]:
        return self.postgres.query(
            self.database, "SELECT key FROM pulumi_state WHERE key LIKE '%/.pulumi/locks/%'"
        )

    def deployment(self) -> dict[str, Any]:
        """The stack's latest state as the backend stores it (base64 JSON in a row's `data`)."""
        [encoded] = self.postgres.query(
            self.database,
            "SELECT data->>'data' FROM pulumi_state "
            f"WHERE key LIKE '%/.pulumi/stacks/%/{STACK}.json'",
        )
        deployment: dict[str, Any] = json.loads(base64.b64decode(encoded))["checkpoint"]["latest"]
        return deployment

    def stored(self) -> bytes:
        """Every object the backend keeps (state, backups, history, locks), decoded."""
        rows = self.postgres.query(self.database, "SELECT data->>'data' FROM pulumi_state")
        return b"\n".join(base64.b64decode(row) for row in rows)

    def start_up(self, member: PulumiProject) -> Background:
        """`pulumi up` in the background, in a process group of its own; the `team` fixture
        ends whatever of it is left."""
        run = member.start("up", "--yes", "--skip-preview")
        self.runs.append(run)
        return run


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    server = PostgresServer(tmp_path_factory.mktemp("postgres")).start()
    yield server
    server.stop()


def member_folder(workdir: Path, backend_url: str) -> PulumiProject:
    """A clone of this repository's project (its program and Pulumi.yaml), on the shared backend."""
    (workdir / "stacks").mkdir(parents=True)
    shutil.copy(ROOT / "__main__.py", workdir / "__main__.py")
    shutil.copy(ROOT / "Pulumi.yaml", workdir / "Pulumi.yaml")
    (workdir / ".venv").symlink_to(ROOT / ".venv")
    return PulumiProject(workdir, STACK, backend_url=backend_url)


@pytest.fixture
def team(tmp_path: Path, postgres: PostgresServer) -> Iterator[Team]:
    """Member A creates the stack and its config; member B clones what A committed."""
    database = f"state_{uuid.uuid4().hex[:12]}"
    backend_url = postgres.create_database(database)
    with emulator("current") as admin:
        a = member_folder(tmp_path / "member-a", backend_url).init()
        a.config_set("caigunn:accessToken", TOKEN, secret=True)
        a.config_set("caigunn:apiUrl", admin.base_url)
        b = member_folder(tmp_path / "member-b", backend_url)
        # Pulumi.team.yaml is committed: it holds the passphrase's salt and the encrypted token,
        # so B, with the same passphrase, decrypts what A encrypted.
        shutil.copy(a.workdir / f"Pulumi.{STACK}.yaml", b.workdir)
        b.run("stack", "select", STACK)
        team = Team(a, b, admin, postgres, database)
        team.declare(DECLARED)
        try:
            yield team
        finally:
            for run in team.runs:
                run.end()


def test_two_members_share_one_stack_its_outputs_and_its_changes(team: Team) -> None:
    # A applies; the state goes to the database, not to A's folder.
    team.a.up()
    assert not any((team.a.workdir / ".state").iterdir())
    assert sorted(team.live_titles()) == ["Sales Assistant", "Support Desk"]

    # B sees the same outputs, secrets included: same passphrase, same salt, one state.
    outputs = team.b.outputs(show_secrets=True)
    assert outputs == team.a.outputs(show_secrets=True)
    live = team.admin.chatbots()
    assert {name: bot["title"] for name, bot in outputs["chatbots"].items()} == {
        "support": "Support Desk",
        "sales": "Sales Assistant",
    }
    assert outputs["api_keys"] == {
        name: live[bot["id"]]["api_key"] for name, bot in outputs["chatbots"].items()
    }
    # The database holds the api_keys and the token only encrypted, history included.
    stored = team.stored()
    assert b"api_key" in stored
    assert all(key.encode() not in stored for key in outputs["api_keys"].values())
    assert TOKEN.encode() not in stored

    # B renames a chatbot in its stack file and applies it.
    team.declare({**DECLARED, "support": ("Support Desk EU", BASIC)}, team.b)
    team.b.up()
    assert sorted(team.live_titles()) == ["Sales Assistant", "Support Desk EU"]

    # A's refresh finds the account and the shared state already agreeing (B's up wrote it), and
    # A sees the new title without having pulled B's stack file.
    team.a.refresh("--expect-no-changes")
    assert team.a.resources()["support"]["outputs"]["title"] == "Support Desk EU"
    assert team.a.outputs()["chatbots"]["support"]["title"] == "Support Desk EU"


def test_two_ups_at_once_one_is_refused_by_the_lock_and_nothing_is_doubled(team: Team) -> None:
    team.a.up()
    # Both members pull the same new chatbot and apply it at the same moment: without a lock,
    # both would create it.
    team.declare({**DECLARED, "billing": ("Billing Bot", BASIC)})
    team.admin.set_knobs(latency_ms=1500)  # B's run lasts seconds, so the two overlap

    b_run = team.start_up(team.b)
    wait_for(team.locks, "B's run to take the stack's lock")
    a_run = team.a.run("up", "--yes", "--skip-preview", ok=False)
    b_run.process.wait(timeout=240)

    assert b_run.process.returncode == 0, b_run.output()
    assert a_run.returncode != 0
    refusal = a_run.stdout + a_run.stderr
    assert LOCKED in refusal, refusal
    # The lock's location is named with the database password masked.
    assert "postgres://****:****@127.0.0.1:" in refusal
    assert team.postgres.password not in refusal
    print(f"the second runner was told:\n{refusal}")

    # One chatbot per entry, no lock left behind, and a state that agrees with the account.
    assert team.locks() == []
    assert team.live_titles() == Counter(["Support Desk", "Sales Assistant", "Billing Bot"])
    assert not team.deployment().get("pending_operations")
    assert sorted(team.a.resources()) == ["billing", "sales", "support"]
    team.admin.set_knobs(latency_ms=0)
    team.a.up("--expect-no-changes")


def test_a_killed_up_leaves_a_lock_that_cancel_clears_and_the_next_up_converges(
    team: Team,
) -> None:
    team.a.up()
    team.declare({**DECLARED, "marketing": ("Marketing Bot", BASIC)})
    # CaiGunn makes the chatbot, then takes 10 s to answer: the run is killed in that window.
    # (Not a delay before the create: the provider process ends itself once its engine is gone,
    # and a request cut off before the server acted would make nothing.)
    team.admin.set_knobs(pause_after_create_ms=10_000)

    run = team.start_up(team.a)

    def creating_marketing() -> bool:
        pending = team.deployment().get("pending_operations") or []
        return any(op["resource"]["urn"].endswith("::marketing") for op in pending)

    wait_for(creating_marketing, "the engine to record the pending create")
    wait_for(lambda: in_flight_creates(team.admin) == 1, "the create to commit")
    run.kill_engine()  # like a CI runner that is lost: no clean-up at all

    # The create went through; the state never heard of its result.
    wait_for(lambda: team.live_titles()["Marketing Bot"] == 1, "the in-flight create to land")
    [made_by_killed_run] = [
        bot_id for bot_id, bot in team.admin.chatbots().items() if bot["title"] == "Marketing Bot"
    ]
    assert team.locks() != []

    # The next run is refused by the dead run's lock, which names that run.
    team.admin.set_knobs(pause_after_create_ms=0)
    refused = team.b.run("up", "--yes", "--skip-preview", ok=False)
    assert refused.returncode != 0
    assert LOCKED in refused.stdout + refused.stderr
    assert f"(pid {run.pid})" in refused.stdout + refused.stderr

    # The recovery the CI recipe documents: make sure nothing else runs, `pulumi cancel`, `up`.
    team.b.run("cancel", "--yes")
    assert team.locks() == []
    team.b.up()

    assert team.live_titles() == Counter(["Support Desk", "Sales Assistant", "Marketing Bot"]), (
        "the account must end with exactly the declared chatbots, one each"
    )
    # The chatbot the killed run made is the one the state now owns.
    assert team.b.resources()["marketing"]["id"] == made_by_killed_run

    # The engine keeps its record of the cut-off create (and warns on every run) until a refresh
    # clears it; once the up has taken the chatbot over, that changes nothing else.
    assert [op["type"] for op in team.deployment()["pending_operations"]] == ["creating"]
    team.b.refresh("--clear-pending-creates")
    assert not team.deployment().get("pending_operations")
    assert team.live_titles() == Counter(["Support Desk", "Sales Assistant", "Marketing Bot"])
    team.b.up("--expect-no-changes")
