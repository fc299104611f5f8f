"""The hostile-paging matrix (issue 9): refresh and up on the real engine against a seed server
whose list is ordered, clamped, churned and offset-blind in every combination.

Each cell starts from the same account: PRELOAD chatbots made by someone else, then the stack's
three chatbots, made by a first `pulumi up` with every knob off. That first up is the same in
every cell, so it runs once per test worker (the `template` fixture), and each cell gets its own
copy of the account's database and of the project (state and config): no cell sees what another
did, and each pays only for its own refresh and up.

In each cell one managed chatbot is deleted out of band, the knobs are turned on, and:
- refresh keeps every live managed chatbot, and drops the deleted one when the offset is honoured;
- with the offset ignored, it either reads the list correctly or fails with the listing's error,
  without a traceback and without dropping anything;
- the next up, knobs still on, makes exactly one chatbot: the deleted one. Where an offset-blind
  refresh failed, the cell ends once the state is shown to be as it was: an up then has nothing to
  make, which one test after the matrix shows (an up per such cell would cost a fifth of the
  matrix's time and show the same). What refresh and up do once the server honours offset again
  is the offset-honoured cell beside it.
- an offset-blind server's list can be proven whole only when a change lands between the first
  page and the page one row further on, asked side by side, so that the second is the first less
  its first row: luck of timing, which the refresh may have and the up may not. So where an
  offset-blind refresh succeeded, the up either makes the deleted one or fails as the refresh may,
  saying why and making nothing.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from caigunn_provider.emulator.startup import EmulatorSettings
from caigunn_provider.emulator.threaded import ThreadedEmulator
from tests.e2e.conftest import entry, ids_by_name, make_project, write_stack_file
from tests.e2e.pulumi_cli import Outcome, PulumiProject
from tests.support import CHATBOT_PATH, TOKEN, Admin

# Several pages at a clamp of 7 or 30, one page when nothing clamps (the provider asks for 100).
PRELOAD = 80
TITLES = {"alpha": "Alpha Desk", "bravo": "Bravo Desk", "charlie": "Charlie Desk"}
STACK = "chatbots:\n" + "".join(entry(name, title) for name, title in TITLES.items())
VICTIM = "alpha"
# Every 2nd list request churns: even an unclamped scan (two requests: the page, then the empty
# or short page that ends it) then has a row deleted or inserted between its pages.
CHURN_EVERY = 2

ORDERS = {"oldest-first": False, "newest-first": True}
CLAMPS = {"clamp-7": 7, "clamp-30": 30, "no-clamp": None}
CHURNS = {"no-churn": None, "churn-delete": "delete", "churn-insert": "insert"}
OFFSETS = {"offset-honoured": False, "offset-ignored": True}

IGNORED_OFFSET = (
    "the chatbot list gave rows already read at new offsets, page after page; the server seems "
    "to ignore offset (or the list changes faster than it can be read), so the list cannot be "
    "read completely"
)


@dataclass(frozen=True)
class Template:
    """The account and the project right after the first up; each cell works on copies."""

    db: Path
    project: Path
    ids: dict[str, str]


@dataclass
class Cell:
    """One cell's own account (a running emulator on a copy of the database) and project."""

    admin: Admin
    project: PulumiProject
    ids: dict[str, str]

    def run(self, command: str, *, ok: bool | None = True) -> Outcome:
        # --stack: which stack is selected is kept outside the project folder, not in the copy.
        return self.project.outcome(command, "--stack", self.project.stack, ok=ok)

    def state(self) -> dict[str, str]:
        return state_ids(self.project)


def state_ids(project: PulumiProject) -> dict[str, str]:
    """Each chatbot's id by resource name, from the file backend's checkpoint: what `pulumi stack
    export` prints (the template checks that it agrees), without one more CLI run per look."""
    [path] = (project.workdir / ".state" / ".pulumi" / "stacks").glob(f"*/{project.stack}.json")
    resources = json.loads(path.read_text())["checkpoint"]["latest"]["resources"]
    return {
        res["urn"].rsplit("::", 1)[1]: str(res["id"])
        for res in resources
        if res["type"].endswith(":Chatbot")
    }


def running(db: Path, **settings: Any) -> ThreadedEmulator:
    """A seed-level emulator on port 0 whose account lives in the database file db."""
    settings = {"token": TOKEN, "level": "seed", "db": str(db), "port": 0, **settings}
    return ThreadedEmulator(EmulatorSettings(**settings))


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    root = tmp_path_factory.mktemp("hostile-paging-template")
    db = root / "account.db"
    with running(db, preload=PRELOAD) as emulator:
        admin = Admin(emulator.base_url)
        project = make_project(root / "project", admin)
        # The API URL comes from the environment, not the stack config: refresh reads the
        # provider's config from the state, and each cell's copy of it talks to its own emulator.
        project.run("config", "rm", "caigunn:apiUrl")
        project.env["CAIGUNN_API_URL"] = admin.base_url
        write_stack_file(project, STACK)
        project.up()
        ids = ids_by_name(project)
        assert state_ids(project) == ids
        assert len(admin.chatbots()) == PRELOAD + len(TITLES)
    # The emulator has stopped: its database is closed and its write-ahead log folded in.
    return Template(db, project.workdir, ids)


@pytest.fixture
def cell(template: Template, tmp_path: Path) -> Iterator[Cell]:
    shutil.copy(template.db, tmp_path / "account.db")
    workdir = tmp_path / "project"
    shutil.copytree(template.project, workdir, symlinks=True)
    with running(tmp_path / "account.db") as emulator:
        admin = Admin(emulator.base_url)
        project = PulumiProject(workdir)
        project.env["CAIGUNN_API_URL"] = admin.base_url
        try:
            yield Cell(admin, project, dict(template.ids))
        finally:
            admin.session.close()


def list_requests(admin: Admin) -> int:
    return sum(1 for r in admin.requests("GET") if r["path"] == CHATBOT_PATH)


def churned(admin: Admin) -> tuple[int, int]:
    """Other people's chatbots deleted, and inserted, by the churn knob so far."""
    rows = admin.rows()
    deleted = sum(r["is_deleted"] and r["title"].startswith("preloaded-0") for r in rows)
    inserted = sum(r["title"].startswith("preloaded-churn-") for r in rows)
    return deleted, inserted


def converged(cell: Cell) -> None:
    """One live chatbot per entry, owned by it; the deleted one remade under a new id; no title
    twice in the whole account."""
    state = cell.state()
    live = cell.admin.chatbots()
    assert set(state) == set(TITLES)
    assert state["bravo"] == cell.ids["bravo"] and state["charlie"] == cell.ids["charlie"]
    assert state[VICTIM] not in cell.ids.values()
    assert {live[chatbot_id]["title"] for chatbot_id in state.values()} == set(TITLES.values())
    titles = Counter(bot["title"] for bot in live.values())
    assert [title for title, count in titles.items() if count > 1] == []


def no_traceback(outcome: Outcome) -> None:
    for diagnostic in outcome.diagnostics:
        assert "Traceback" not in diagnostic["message"]
        assert "This is a bug in the CaiGunn provider" not in diagnostic["message"]


def dropped_only_the_deleted_one(cell: Cell, refreshed: Outcome) -> None:
    assert refreshed.changes == {"delete": 1, "same": 3}
    assert cell.state() == {n: i for n, i in cell.ids.items() if n != VICTIM}
    no_traceback(refreshed)


def said_the_victims_list_cannot_be_read(outcome: Outcome) -> None:
    """One error, on the deleted chatbot's entry: the listing's, saying why; no traceback."""
    errors = [
        d["message"]
        for d in outcome.diagnostics
        if d.get("severity") == "error" and d.get("urn", "").endswith(f"::{VICTIM}")
    ]
    assert len(errors) == 1 and IGNORED_OFFSET in errors[0], errors
    no_traceback(outcome)


def failed_clearly_and_dropped_nothing(cell: Cell, refreshed: Outcome, offset: str) -> None:
    # Only a server that ignores offset may make refresh fail; the deleted chatbot's read is the
    # one that needs a proof of absence, so it is the one that must fail, saying why.
    assert OFFSETS[offset], refreshed.messages("error")
    said_the_victims_list_cannot_be_read(refreshed)
    assert cell.state() == cell.ids


def up_failed_clearly_and_made_nothing(cell: Cell, up: Outcome) -> None:
    # The entry to create is the one whose check needs the list proven whole.
    said_the_victims_list_cannot_be_read(up)
    assert cell.admin.requests("POST") == []
    assert cell.state() == {n: i for n, i in cell.ids.items() if n != VICTIM}


@pytest.mark.parametrize("offset", OFFSETS)
@pytest.mark.parametrize("churn", CHURNS)
@pytest.mark.parametrize("clamp", CLAMPS)
@pytest.mark.parametrize("order", ORDERS)
def test_refresh_drops_only_the_proven_gone_and_up_remakes_only_it(
    cell: Cell, order: str, clamp: str, churn: str, offset: str
) -> None:
    cell.admin.delete_out_of_band(cell.ids[VICTIM])
    churn_knobs = {"churn_every": CHURN_EVERY, "churn": CHURNS[churn]} if CHURNS[churn] else {}
    cell.admin.set_knobs(
        newest_first=ORDERS[order],
        max_limit=CLAMPS[clamp],
        ignore_offset=OFFSETS[offset],
        **churn_knobs,
    )
    cell.admin.clear_requests()

    refreshed = cell.run("refresh", ok=None)

    # The churn really happened during the refresh's scans: every CHURN_EVERY-th list request
    # changed the list before it was served, the first change coming between the first scan's
    # first and second pages, and the scans went on after it.
    listed = list_requests(cell.admin)
    changes = listed // CHURN_EVERY if CHURNS[churn] else 0
    deletes = min(changes, PRELOAD)  # a delete finds nothing once every preloaded row is gone
    expected = {"no-churn": (0, 0), "churn-delete": (deletes, 0), "churn-insert": (0, changes)}
    assert churned(cell.admin) == expected[churn]
    assert listed > CHURN_EVERY

    if refreshed.exit_code != 0:
        # The state is as it was, so the next up has nothing to make (shown once, below).
        failed_clearly_and_dropped_nothing(cell, refreshed, offset)
        return

    dropped_only_the_deleted_one(cell, refreshed)
    cell.admin.clear_requests()
    up = cell.run("up", ok=None if OFFSETS[offset] else True)
    if up.exit_code != 0:
        up_failed_clearly_and_made_nothing(cell, up)
        return
    assert up.changes == {"create": 1, "same": 3}
    assert [post["query"]["title"] for post in cell.admin.requests("POST")] == [TITLES[VICTIM]]
    converged(cell)


def test_after_an_offset_blind_refresh_fails_the_next_up_makes_nothing(cell: Cell) -> None:
    # The matrix's offset-ignored cells stop once the failed refresh is shown to have left the
    # state as it was; this is the up that follows, once, in the cell that used to page on until
    # the request budget ran out (new rows keep showing at the top of the repeated page).
    cell.admin.delete_out_of_band(cell.ids[VICTIM])
    cell.admin.set_knobs(
        newest_first=True, max_limit=7, ignore_offset=True, churn_every=CHURN_EVERY, churn="insert"
    )
    failed_clearly_and_dropped_nothing(cell, cell.run("refresh", ok=False), "offset-ignored")
    cell.admin.clear_requests()

    assert cell.run("up").changes == {"same": 4}

    assert cell.admin.requests("POST") == []
    assert cell.state() == cell.ids
