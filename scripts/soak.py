"""The ownership soak: kill `pulumi up` at random moments, and apply under injected faults.

    .venv/bin/python scripts/soak.py                 # 10 kill trials, 5 fault seeds (make soak)
    .venv/bin/python scripts/soak.py --kill-trials 2 --seeds 1 --chatbots 8   # quick

Kill test: each trial runs `pulumi up` of 5 chatbots against an emulator that pauses after every
create commits, SIGKILLs the engine's process group at a random moment (every other trial inside the
pause-after-commit window), then applies the documented recovery (`pulumi cancel`, `pulumi up`)
and checks the account holds exactly the declared chatbots, each owned once.

Fault soak: each seed applies N chatbots to an emulator that fails 20% of requests (429/500/503)
and makes 20% of creates commit and then answer 500; it must converge in at most two plain
`pulumi up` runs with no duplicate and no orphan.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import entry, make_project, write_stack_file  # noqa: E402
from tests.e2e.pulumi_cli import PulumiProject  # noqa: E402
from tests.support import Admin, emulator  # noqa: E402

PAUSE_MS = 1500


@dataclass
class KillTrial:
    trial: int
    level: str
    killed_after_s: float
    in_window: bool
    chatbots: int
    duplicates: int
    unowned: int
    ok: bool


@dataclass
class SoakSeed:
    seed: int
    level: str
    runs: int
    chatbots: int
    duplicates: int
    orphans: int
    ok: bool


def stack_text(titles: list[str]) -> str:
    return "chatbots:\n" + "".join(entry(f"bot{i}", title) for i, title in enumerate(titles))


def account_check(admin: Admin, project: PulumiProject, titles: list[str]) -> tuple[int, int, int]:
    """(live chatbots, duplicates of a declared title, live chatbots no resource owns)."""
    live = admin.chatbots()
    counts = Counter(bot["title"] for bot in live.values())
    duplicates = sum(max(0, counts[title] - 1) for title in set(titles))
    owned = {str(res["id"]) for res in project.resources().values()}
    return len(live), duplicates, len(set(live) - owned)


def kill_trial(trial: int, level: str, workdir: Path, rng: random.Random) -> KillTrial:
    titles = [f"Kill {trial} Bot {i}" for i in range(5)]
    with emulator(level, pause_after_create_ms=PAUSE_MS) as admin:  # type: ignore[arg-type]
        project = make_project(workdir, admin)
        write_stack_file(project, stack_text(titles))
        started = time.monotonic()
        # The `with` ends what the killed run left (its language host; its provider process
        # ends itself once the engine is gone) when the trial is over.
        with project.start("up", "--yes", "--skip-preview") as run:
            if trial % 2 == 0:
                # Inside the window: once a create has committed and waits to answer.
                while run.process.poll() is None and not _in_flight(admin):
                    time.sleep(0.02)
                time.sleep(rng.uniform(0, PAUSE_MS / 2000))
            else:
                time.sleep(rng.uniform(0.5, 8.0))
            in_window = _in_flight(admin) > 0
            killed_after = time.monotonic() - started
            if run.process.poll() is None:
                run.kill_engine()  # the engine's process group: no clean-up at all
            admin.set_knobs(pause_after_create_ms=0)
            # The documented recovery: release the dead run's lock, then a plain `pulumi up`.
            project.run("cancel", "--yes", ok=None)
            project.up()
            chatbots, duplicates, unowned = account_check(admin, project, titles)
    ok = chatbots == len(titles) and duplicates == 0 and unowned == 0
    return KillTrial(
        trial, level, round(killed_after, 2), in_window, chatbots, duplicates, unowned, ok
    )


def soak_seed(seed: int, level: str, count: int, workdir: Path, fault_rate: float) -> SoakSeed:
    titles = [f"Soak {seed} Bot {i}" for i in range(count)]
    knobs = {
        "fail_rate": fault_rate,
        "fail_statuses": [429, 500, 503],
        "retry_after": 0,
        "create_commit_fail_rate": fault_rate,
    }
    with emulator(level, seed=seed) as admin:  # type: ignore[arg-type]
        project = make_project(workdir, admin)
        admin.set_knobs(**knobs)
        write_stack_file(project, stack_text(titles))
        runs = 0
        while runs < 2:
            runs += 1
            if project.run("up", "--yes", "--skip-preview", ok=None).returncode == 0:
                break
        admin.set_knobs(fail_rate=0, create_commit_fail_rate=0)
        converged = project.run("up", "--yes", "--skip-preview", "--expect-no-changes", ok=None)
        chatbots, duplicates, orphans = account_check(admin, project, titles)
    ok = converged.returncode == 0 and chatbots == count and duplicates == 0 and orphans == 0
    return SoakSeed(seed, level, runs, chatbots, duplicates, orphans, ok)


def _in_flight(admin: Admin) -> int:
    response = admin.call("GET", "/_emulator/in-flight")
    return int(response.json()["committed_unanswered_creates"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kill-trials", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--chatbots", type=int, default=20)
    parser.add_argument("--fault-rate", type=float, default=0.2)
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    args = parser.parse_args(argv)
    rng = random.Random(20261126)
    base = Path(tempfile.mkdtemp(prefix="caigunn-soak-"))
    kills = [
        kill_trial(n, ("seed", "current")[n // 2 % 2], base / f"kill{n}", rng)
        for n in range(args.kill_trials)
    ]
    seeds = [
        soak_seed(n, ("seed", "current")[n % 2], args.chatbots, base / f"soak{n}", args.fault_rate)
        for n in range(args.seeds)
    ]
    if args.json:
        print(
            json.dumps({"kills": [asdict(k) for k in kills], "seeds": [asdict(s) for s in seeds]})
        )
    else:
        _print_report(kills, seeds)
    return 0 if all(k.ok for k in kills) and all(s.ok for s in seeds) else 1


def _print_report(kills: list[KillTrial], seeds: list[SoakSeed]) -> None:
    print("Kill test: SIGKILL `pulumi up` of 5 chatbots, then `pulumi cancel` and `pulumi up`")
    print(
        f"{'trial':>5} {'level':<8} {'killed at':>9} {'in window':>9} {'chatbots':>8} "
        f"{'dups':>4} {'unowned':>7} result"
    )
    for k in kills:
        print(
            f"{k.trial:>5} {k.level:<8} {k.killed_after_s:>8.2f}s {k.in_window!s:>9} "
            f"{k.chatbots:>8} {k.duplicates:>4} {k.unowned:>7} {'ok' if k.ok else 'FAIL'}"
        )
    print(
        f"kills inside the pause-after-commit window: {sum(k.in_window for k in kills)}"
        f" of {len(kills)}; duplicates in all: {sum(k.duplicates for k in kills)}"
    )
    print()
    print("Fault soak: 20% of requests fail (429/500/503), 20% of creates commit then answer 500")
    print(
        f"{'seed':>4} {'level':<8} {'ups needed':>10} {'chatbots':>8} {'dups':>4} "
        f"{'orphans':>7} result"
    )
    for s in seeds:
        print(
            f"{s.seed:>4} {s.level:<8} {s.runs:>10} {s.chatbots:>8} {s.duplicates:>4} "
            f"{s.orphans:>7} {'ok' if s.ok else 'FAIL'}"
        )


if __name__ == "__main__":
    sys.exit(main())
