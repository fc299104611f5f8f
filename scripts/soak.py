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

Many-run form (issue 28, item 9): --runs N applies the same fault soak N times, seeds
--first-seed ... --first-seed+N-1, under issue 28's harder knobs by default: an emulator of its
own (a separate process, the current level) with its request log kept, 20 entries, 20% of
requests failing, 25% of creates committing then answering 500, pages clamped to 7 rows, a
newest-first list, 40 other chatbots and 15 ms per request. It prints the runs tried, the
duplicates found and the seeds that failed, and keeps each failed run's request log and Pulumi
output under --keep (a passing run's are deleted):

    .venv/bin/python scripts/soak.py --runs 100 --first-seed 0        # make soak SOAK_RUNS=100
    .venv/bin/python scripts/soak.py --runs 1 --first-seed 43 --keep /tmp/soak43
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from caigunn_provider.emulator.process import emulator_process  # noqa: E402
from tests.e2e.conftest import entry, make_project, write_stack_file  # noqa: E402
from tests.e2e.pulumi_cli import PulumiProject  # noqa: E402
from tests.support import TOKEN, Admin, emulator  # noqa: E402

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


def account_check(
    admin: Admin, project: PulumiProject, titles: list[str], others: frozenset[str] = frozenset()
) -> tuple[int, int, int]:
    """(live chatbots, duplicates of a declared title, live chatbots no resource owns), leaving
    out `others`: the ids of chatbots that were there before the soak (preloaded ones)."""
    live = {id_: row for id_, row in admin.chatbots().items() if id_ not in others}
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


@dataclass(frozen=True)
class Harder:
    """What a fault soak adds to its fault rate: issue 28's knobs (Harder.issue_28()) or none."""

    create_commit_fail_rate: float | None = None  # None: the fault rate
    max_limit: int | None = None
    newest_first: bool = False
    preload: int = 0
    latency_ms: float = 0
    # The emulator in a process of its own (a server the provider shares nothing with).
    independent: bool = False
    # Where to keep the run's request log and Pulumi output (None: kept nowhere).
    keep: Path | None = None

    @staticmethod
    def issue_28(keep: Path | None = None) -> Harder:
        return Harder(0.25, 7, True, 40, 15, independent=True, keep=keep)


def soak_seed(
    seed: int,
    level: str,
    count: int,
    workdir: Path,
    fault_rate: float,
    harder: Harder | None = None,
) -> SoakSeed:
    harder = harder or Harder()
    titles = [f"Soak {seed} Bot {i}" for i in range(count)]
    knobs: dict[str, object] = {
        "fail_rate": fault_rate,
        "fail_statuses": [429, 500, 503],
        "retry_after": 0,
        "create_commit_fail_rate": (
            fault_rate if harder.create_commit_fail_rate is None else harder.create_commit_fail_rate
        ),
        **({"max_limit": harder.max_limit} if harder.max_limit else {}),
        **({"newest_first": True} if harder.newest_first else {}),
        **({"latency_ms": harder.latency_ms} if harder.latency_ms else {}),
    }
    outputs: list[str] = []
    with _server(level, seed, harder) as admin:
        project = make_project(workdir, admin)
        others = frozenset(admin.chatbots())
        admin.set_knobs(**knobs)
        write_stack_file(project, stack_text(titles))
        runs = 0
        while runs < 2:
            runs += 1
            done = project.run("up", "--yes", "--skip-preview", ok=None)
            outputs.append(f"--- up {runs} exited {done.returncode}\n{done.stdout}{done.stderr}")
            if done.returncode == 0:
                break
        admin.set_knobs(fail_rate=0, create_commit_fail_rate=0)
        converged = project.run("up", "--yes", "--skip-preview", "--expect-no-changes", ok=None)
        outputs.append(
            f"--- converging up exited {converged.returncode}\n{converged.stdout}{converged.stderr}"
        )
        chatbots, duplicates, orphans = account_check(admin, project, titles, others)
        if harder.keep is not None:
            (harder.keep / "pulumi.txt").write_text("\n".join(outputs))
            (harder.keep / "chatbots.json").write_text(json.dumps(admin.rows(), indent=1))
            (harder.keep / "state.json").write_text(json.dumps(project.resources(), indent=1))
    ok = converged.returncode == 0 and chatbots == count and duplicates == 0 and orphans == 0
    return SoakSeed(seed, level, runs, chatbots, duplicates, orphans, ok)


@contextlib.contextmanager
def _server(level: str, seed: int, harder: Harder) -> Iterator[Admin]:
    """The soak's emulator: in this process, or (harder.independent) a process of its own; the
    request log goes to harder.keep when it is set."""
    log = str(harder.keep / "requests.jsonl") if harder.keep is not None else None
    if not harder.independent:
        with emulator(
            level,  # type: ignore[arg-type]
            seed=seed,
            preload=harder.preload,
            request_log=log,
        ) as admin:
            yield admin
        return
    flags = ["--level", level, "--seed", str(seed), "--token", TOKEN]
    flags += ["--preload", str(harder.preload)] if harder.preload else []
    flags += ["--request-log", log] if log is not None else []
    with emulator_process(*flags) as running:
        admin = Admin(running.base_url, token=TOKEN)
        try:
            yield admin
        finally:
            admin.session.close()


def _note_errors(log: Path, seed: int, pulumi_output: Path) -> None:
    """Append the errors the run's ups reported (their diagnostics) to log, one line each."""
    if not pulumi_output.exists():
        return
    errors: list[str] = []
    taking = False
    for line in pulumi_output.read_text().splitlines():
        text = line.strip()
        if text.startswith("error:") and "update failed" not in text:
            errors.append(text)
            taking = True
        elif taking and text and not text.startswith("pulumi"):
            errors[-1] += " | " + text
        else:
            taking = False
    with log.open("a") as out:
        out.writelines(f"seed {seed}: {line}\n" for line in errors)


@dataclass
class ManyRuns:
    """The many-run form's tally."""

    tried: int = 0
    failed: list[SoakSeed] = field(default_factory=list)

    @property
    def duplicates(self) -> int:
        return sum(s.duplicates for s in self.failed)


def many_runs(args: argparse.Namespace, base: Path) -> ManyRuns:
    """args.runs fault soaks under issue 28's knobs, one at a time (each a report line)."""
    keep_root = Path(args.keep) if args.keep else base / "kept"
    tally = ManyRuns()
    started = time.monotonic()
    for seed in range(args.first_seed, args.first_seed + args.runs):
        keep = keep_root / f"seed{seed}-{int(time.time())}"
        keep.mkdir(parents=True, exist_ok=True)
        result = soak_seed(
            seed,
            args.level,
            args.chatbots,
            base / f"run{seed}-{tally.tried}",
            args.fault_rate,
            Harder.issue_28(keep),
        )
        tally.tried += 1
        _note_errors(keep_root / "errors.log", seed, keep / "pulumi.txt")
        if result.ok:
            shutil.rmtree(keep, ignore_errors=True)
        else:
            tally.failed.append(result)
        shutil.rmtree(base / f"run{seed}-{tally.tried - 1}", ignore_errors=True)
        print(
            f"run {tally.tried:>4} seed {seed:>5} ups {result.runs} chatbots {result.chatbots:>3} "
            f"dups {result.duplicates} orphans {result.orphans} "
            f"{'ok' if result.ok else 'FAIL (kept in ' + str(keep) + ')'} "
            f"[{time.monotonic() - started:.0f} s]",
            flush=True,
        )
        if args.stop_at_duplicate and result.duplicates:
            break
    return tally


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
    parser.add_argument(
        "--runs",
        type=int,
        default=0,
        help="the many-run form: this many fault soaks under issue 28's knobs (and no kill "
        "trials or plain seeds)",
    )
    parser.add_argument("--first-seed", type=int, default=0, help="the many-run form's first seed")
    parser.add_argument(
        "--level", default="current", choices=["current", "seed"], help="the many-run form's API"
    )
    parser.add_argument("--keep", help="where the many-run form keeps what failed runs left")
    parser.add_argument(
        "--stop-at-duplicate", action="store_true", help="end the many-run form at a duplicate"
    )
    args = parser.parse_args(argv)
    rng = random.Random(20261126)
    base = Path(tempfile.mkdtemp(prefix="caigunn-soak-"))
    if args.runs:
        tally = many_runs(args, base)
        with_duplicates = [s.seed for s in tally.failed if s.duplicates]
        other_failures = [s.seed for s in tally.failed if not s.duplicates]
        print(
            f"many-run fault soak (issue 28's knobs): runs tried {tally.tried} (seeds "
            f"{args.first_seed}..{args.first_seed + tally.tried - 1}); duplicates found "
            f"{tally.duplicates} (seeds {with_duplicates or 'none'}); other failed seeds "
            f"{other_failures or 'none'}"
        )
        if tally.failed:
            print(f"failed runs' request logs and Pulumi output: {args.keep or base / 'kept'}")
        return 0 if not tally.failed else 1
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
