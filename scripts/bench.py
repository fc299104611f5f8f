"""Benchmark the provider on the real engine against the emulator, beside a no-op engine floor."""

from __future__ import annotations

import argparse
import json
import math
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    # Run as `python scripts/bench.py`: the engine driver and emulator admin live in tests/.
    sys.path.insert(0, str(ROOT))

from bench_phases import render as render_phases  # noqa: E402
from bench_phases import timed_phases  # noqa: E402

from caigunn_provider.emulator.process import emulator_process  # noqa: E402
from tests.e2e.pulumi_cli import PulumiProject  # noqa: E402
from tests.support import BASIC, CHATBOT_PATH, USER_API, Admin  # noqa: E402

TOKEN = "bench-token-5d2e8b"
LEVELS = ("seed", "current")
# Beside the floor, a bound no provider can beat: the floor's no-op provider waiting one latency
# in each create and read (one round trip per resource and nothing else: no list, no account).
IDEAL = "ideal"
# The floor holding what the design makes each Chatbot hold: its api_key, a secret output. The
# engine encrypts the state's secrets again in each checkpoint it writes that holds a new one, so
# this is the floor for a provider that keeps that promise.
KEYED = "keyed"
STEPS = ("up", "second up", "refresh")
# Request kinds, by what they cost the provider: list pages are the ones that grow with N.
KINDS = ("list", "get", "post", "put", "delete", "plan", "other")
WRITES = ("post", "put", "delete")
SWEEP_NS = (250, 500, 1000, 2000, 4000)
LATENCIES_MS = (20.0, 100.0, 200.0, 300.0)
PROGRAM_MS = (50, 200, 500, 1000)
DOCS = ROOT / "docs"
FLOOR_PROGRAM = ROOT / "scripts" / "bench_floor.py"
Progress = Callable[[str], None]


@dataclass(frozen=True)
class Params:
    """One benchmark configuration."""

    n: int  # chatbots preloaded in the account
    m: int  # chatbots declared (and created by the first up)
    limit: int  # the page size the emulator clamps to
    latency_ms: float
    repeat: int
    parallel: int = 0  # the engine's --parallel for every step (0: the engine's default)

    @property
    def scan_pages(self) -> int:
        """List requests of one full scan of the account after the first up."""
        return math.ceil((self.n + self.m) / self.limit)


@dataclass
class Step:
    """One step's measurement (or the minimum of several)."""

    seconds: float
    requests: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    non_2xx: int = 0
    samples: list[float] = field(default_factory=list)
    # Where ours' time went (scripts/bench_phases.py), of the fastest sample; none for a floor.
    phases: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    @property
    def writes(self) -> int:
        return sum(self.requests[kind] for kind in WRITES)


@dataclass(frozen=True)
class State:
    """The size of a stack's state after the last step."""

    bytes: int  # of `pulumi stack export`, as printed (JSON indented by 4)
    compact: int  # the same JSON without whitespace
    stored: int  # the checkpoint file the file backend keeps: the state itself
    traces: int  # what the engine's stackTrace and sourcePosition records add to `bytes`
    resources: int  # of the measured type


@dataclass
class Run:
    """Every step of one project (ours at one level, or the floor), and its state size."""

    steps: dict[str, Step]
    state: State

    def per_resource(self, size: int) -> float:
        return size / max(self.state.resources, 1)

    @property
    def state_per_resource(self) -> float:
        return self.per_resource(self.state.bytes)


@dataclass
class Report:
    """The minima of every run of one configuration."""

    params: Params
    levels: dict[str, Run]
    floor: Run
    # ours / floor per level and step: the minimum of our runs over the minimum of the floor's.
    ratios: dict[str, dict[str, float]]
    measured_at: str = field(default_factory=lambda: f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC")

    def ratio(self, level: str, step: str) -> float:
        return self.ratios[level][step]


def classify(entry: dict[str, Any]) -> str:
    """The kind of one logged API request."""
    method, path = entry["method"], entry["path"].rstrip("/")
    if path == CHATBOT_PATH:
        return {"GET": "list", "POST": "post"}.get(method, "other")
    if path.startswith(CHATBOT_PATH + "/") and path.count("/") == CHATBOT_PATH.count("/") + 1:
        return {"GET": "get", "PUT": "put", "DELETE": "delete"}.get(method, "other")
    if path == f"{USER_API}/plan" and method == "GET":
        return "plan"
    return "other"


def count_requests(entries: Iterable[dict[str, Any]]) -> tuple[dict[str, int], int]:
    """Requests by kind, and how many were answered other than 2xx."""
    entries = list(entries)
    kinds = Counter(classify(entry) for entry in entries)
    non_2xx = sum(1 for entry in entries if not 200 <= int(entry["status"]) < 300)
    return {kind: kinds.get(kind, 0) for kind in KINDS}, non_2xx


def stack_file(m: int) -> str:
    lines = ["chatbots:"]
    for index in range(1, m + 1):
        lines += [f"  bot-{index:04d}:", f"    title: bench-{index:04d}", f"    plan_id: {BASIC}"]
    return "\n".join(lines) + "\n"


def new_project(workdir: Path, main: Path, project_yaml: str) -> PulumiProject:
    """A project folder with one program, this checkout's .venv, a fresh file backend."""
    workdir.mkdir(parents=True)
    shutil.copy(main, workdir / "__main__.py")
    (workdir / "Pulumi.yaml").write_text(project_yaml)
    (workdir / ".venv").symlink_to(ROOT / ".venv")
    return PulumiProject(workdir, stack="bench").init()


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def step_actions(project: PulumiProject, parallel: int = 0) -> dict[str, Callable[[], object]]:
    # --expect-no-changes makes a second up that changes something fail the benchmark loudly.
    extra = ("--parallel", str(parallel)) if parallel else ()
    return {
        "up": lambda: project.up(*extra),
        "second up": lambda: project.up("--expect-no-changes", *extra),
        "refresh": lambda: project.refresh(*extra),
    }


def state_of(project: PulumiProject, type_suffix: str) -> State:
    """The size of `pulumi stack export`, whole and in parts, and the resources of one type."""
    text = project.export_text()
    document = json.loads(text)
    resources = document["deployment"].get("resources") or []
    # The engine records each resource's Python call stack, with paths relative to the project
    # folder: a share of the state that the provider does not choose and the folder layout sways.
    for resource in resources:
        resource.pop("stackTrace", None)
        resource.pop("sourcePosition", None)
    untraced = len(json.dumps(document, indent=4)) + 1  # as the export prints it, newline too
    [checkpoint] = (project.workdir / ".state" / ".pulumi" / "stacks").glob(
        f"*/{project.stack}.json"
    )
    return State(
        bytes=len(text.encode()),
        compact=len(json.dumps(json.loads(text), separators=(",", ":"))),
        stored=checkpoint.stat().st_size,
        traces=len(text.encode()) - untraced,
        resources=sum(1 for res in resources if res["type"].endswith(type_suffix)),
    )


@dataclass
class Subject:
    """One project measured in a run: ours at one level (with its emulator), or the floor."""

    name: str
    project: PulumiProject
    type_suffix: str
    admin: Admin | None = None  # the emulator whose request log counts this subject's calls


def our_project(params: Params, base_url: str, workdir: Path) -> PulumiProject:
    """This repo's program and Pulumi.yaml, M chatbots declared, pointed at one emulator."""
    project = new_project(workdir, ROOT / "__main__.py", (ROOT / "Pulumi.yaml").read_text())
    project.config_set("caigunn:accessToken", TOKEN, secret=True)
    project.config_set("caigunn:apiUrl", base_url)
    (workdir / "stacks").mkdir()
    (workdir / "stacks" / "bench.yaml").write_text(stack_file(params.m))
    return project


FLOOR_YAML = """\
name: caigunn-bench-floor
description: the engine floor of scripts/bench.py (a no-op dynamic provider)
runtime:
  name: python
  options:
    virtualenv: .venv
"""


def noop_project(workdir: Path) -> PulumiProject:
    """A project running scripts/bench_floor.py's main(): the no-op provider's programs."""
    project = new_project(workdir, FLOOR_PROGRAM, FLOOR_YAML)
    # Imported by name from the project folder, so that its provider is pickled by reference.
    # (Run as __main__.py itself, the file would only define main() and declare nothing.)
    shutil.move(workdir / "__main__.py", workdir / "bench_floor.py")
    (workdir / "__main__.py").write_text("from bench_floor import main\n\nmain()\n")
    return project


def noop_count(project: PulumiProject) -> int:
    """How many no-op resources the project's state holds: a floor that declared nothing would
    time the engine's start alone, so each floor and ideal is checked against its count."""
    resources = json.loads(project.export_text())["deployment"].get("resources") or []
    return sum(1 for res in resources if res["type"].endswith(":NoOp"))


def floor_project(
    params: Params, workdir: Path, wait_ms: float = 0, *, keyed: bool = False
) -> PulumiProject:
    """The same engine with a no-op dynamic provider (scripts/bench_floor.py) and M resources;
    with wait_ms, each create and read waits that long (the ideal provider); keyed, each holds a
    secret api_key output (the keyed floor)."""
    project = noop_project(workdir)
    project.config_set("bench:count", str(params.m))
    if wait_ms:
        project.config_set("bench:waitMs", f"{wait_ms:g}")
    if keyed:
        project.config_set("bench:keyed", "true")
    return project


def run_once(params: Params, index: int, workdir: Path, progress: Progress) -> dict[str, Run]:
    """One run: the floor and ours at each level, on fresh emulators and fresh states.

    Each step is taken by every subject back to back, so that a subject and its floor are timed
    seconds apart under the same load from the rest of the machine; the order rotates per run.
    """
    with ExitStack() as stack:
        subjects = [Subject("floor", floor_project(params, workdir / "floor"), ":NoOp")]
        if params.latency_ms:
            ideal = floor_project(params, workdir / IDEAL, params.latency_ms)
            subjects.append(Subject(IDEAL, ideal, ":NoOp"))
        keyed = floor_project(params, workdir / KEYED, keyed=True)
        subjects.append(Subject(KEYED, keyed, ":NoOp"))
        for level in LEVELS:
            flags = ["--token", TOKEN, "--level", level, "--preload", str(params.n)]
            flags += ["--max-limit", str(params.limit), "--latency-ms", str(params.latency_ms)]
            emulator = stack.enter_context(emulator_process(*flags))
            project = our_project(params, emulator.base_url, workdir / level)
            admin = Admin(emulator.base_url, token=TOKEN)
            stack.callback(admin.session.close)
            subjects.append(Subject(level, project, ":Chatbot", admin))
        shift = index % len(subjects)
        order = subjects[shift:] + subjects[:shift]
        steps: dict[str, dict[str, Step]] = {subject.name: {} for subject in subjects}
        for name in STEPS:
            for subject in order:
                action = step_actions(subject.project, params.parallel)[name]
                phases: dict[str, dict[str, float]] = {}
                if subject.admin is not None:
                    subject.admin.clear_requests()
                    scratch = workdir / f"{subject.name}-{name.replace(' ', '-')}.timings"
                    seconds, phases = timed_phases(subject.project, action, scratch)
                else:
                    seconds = timed(action)
                step = Step(seconds, samples=[seconds], phases=phases)
                if subject.admin is not None:
                    step.requests, step.non_2xx = count_requests(subject.admin.requests())
                steps[subject.name][name] = step
                progress(f"  {subject.name:<8} {name:<10} {seconds:7.2f} s  {step.total} requests")
        return {
            subject.name: Run(steps[subject.name], state_of(subject.project, subject.type_suffix))
            for subject in subjects
        }


def best_run(runs: Sequence[Run]) -> Run:
    """Each wall time the minimum of the runs (the least disturbed by the rest of a shared
    machine), each count the median_low (one actually seen)."""
    steps: dict[str, Step] = {}
    for name in STEPS:
        each = [run.steps[name] for run in runs]
        fastest = min(each, key=lambda step: step.seconds)
        steps[name] = Step(
            fastest.seconds,
            {kind: statistics.median_low(step.requests[kind] for step in each) for kind in KINDS},
            statistics.median_low(step.non_2xx for step in each),
            [sample for step in each for sample in step.samples],
            fastest.phases,
        )
    # The state of one run, not a mix: its parts then add up.
    state = sorted((run.state for run in runs), key=lambda size: size.bytes)[(len(runs) - 1) // 2]
    return Run(steps, state)


def measure(params: Params, progress: Progress) -> Report:
    """Every run of one configuration, and their minima."""
    ours: dict[str, list[Run]] = {level: [] for level in LEVELS}
    floors: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="caigunn-bench-") as tmp:
        for index in range(params.repeat):
            progress(f"run {index + 1}/{params.repeat} (N={params.n}, M={params.m})")
            subjects = run_once(params, index, Path(tmp) / f"run-{index}", progress)
            floors.append(subjects["floor"])
            for level in LEVELS:
                ours[level].append(subjects[level])
            for bound in (IDEAL, KEYED):
                if bound in subjects:
                    ours.setdefault(bound, []).append(subjects[bound])
    for level, runs in ours.items():
        for run in runs:
            if run.state.resources != params.m:
                raise SystemExit(
                    f"{level}: the state holds {run.state.resources} chatbots, not {params.m}"
                )
    if any(run.state.resources != params.m for run in floors):
        raise SystemExit(f"floor: the state does not hold {params.m} resources")
    floor = best_run(floors)
    best = {level: best_run(runs) for level, runs in ours.items()}
    # The minimum of ours over the minimum of the floor: each step of each run was taken by every
    # subject back to back, in an order that rotates, so both minima come from the same moments.
    ratios = {
        level: {step: run.steps[step].seconds / floor.steps[step].seconds for step in STEPS}
        for level, run in best.items()
    }
    return Report(params, best, floor, ratios)


@dataclass(frozen=True)
class Target:
    """One target of issue 9, and whether the measurement meets it."""

    name: str
    value: float
    limit: float
    unit: str = ""  # "x" for ratios to the floor, "B" for bytes, "" for counts

    @property
    def passed(self) -> bool:
        return self.value <= self.limit


def targets(report: Report) -> list[Target]:
    p, seed = report.params, report.levels["seed"]
    found = [
        Target(
            "seed refresh: list requests <= ceil((N+M)/L) + 3",
            seed.steps["refresh"].requests["list"],
            p.scan_pages + 3,
        ),
        Target(
            "seed up: list requests <= ceil((N+M)/L) + 2*M",
            seed.steps["up"].requests["list"],
            p.scan_pages + 2 * p.m,
        ),
    ]
    for level in LEVELS:
        for step in STEPS:
            found.append(
                Target(f"{level} {step}: <= 1.5x floor", report.ratio(level, step), 1.5, "x")
            )
    for level in LEVELS:
        writes = report.levels[level].steps["second up"].writes
        found.append(Target(f"{level} second up: 0 writes", writes, 0))
    for level in LEVELS:
        # The state is what the backend stores (compact JSON); the export pretty-prints it.
        run = report.levels[level]
        per_bot = run.per_resource(run.state.stored)
        found.append(Target(f"{level} stored state per chatbot <= 4 KB", per_bot, 4096, "B"))
    return found


def render_table(report: Report) -> str:
    """The report as fixed-width text."""
    p = report.params
    clamp = f"page clamp L={p.limit}"
    lines = [
        f"CaiGunn benchmark: N={p.n} preloaded, M={p.m} declared, {clamp}, "
        f"latency {p.latency_ms:g} ms, minimum of {p.repeat} run(s)"
        + (f", --parallel {p.parallel}" if p.parallel else ""),
        f"one full scan = ceil((N+M)/L) = {p.scan_pages} list requests; "
        "floor = the same engine, a no-op dynamic provider, M resources; "
        "ratio = min(ours) / min(floor)",
        *(
            [
                f"{IDEAL} = the floor's no-op provider waiting {p.latency_ms:g} ms in each create "
                "and read: one round trip per resource, nothing else (a bound, not a provider)"
            ]
            if IDEAL in report.levels
            else []
        ),
        *(
            [
                f"{KEYED} = the floor with each resource holding a secret api_key output, as a "
                "Chatbot does"
            ]
            if KEYED in report.levels
            else []
        ),
        "",
    ]
    head = f"{'level':<8} {'step':<10} {'wall s':>7} {'floor s':>7} {'ratio':>6} "
    head += " ".join(f"{kind:>6}" for kind in KINDS) + f" {'non2xx':>6} {'scans':>6}"
    lines += [head, "-" * len(head)]
    for level in report.levels:
        for name in STEPS:
            step, floor = report.levels[level].steps[name], report.floor.steps[name]
            row = f"{level:<8} {name:<10} {step.seconds:7.2f} {floor.seconds:7.2f} "
            row += f"{report.ratio(level, name):5.2f}x "
            row += " ".join(f"{step.requests[kind]:>6}" for kind in KINDS)
            row += f" {step.non_2xx:>6} {step.requests['list'] / p.scan_pages:>6.1f}"
            lines.append(row)
    if KEYED in report.levels:
        lines.append("")
        for level in LEVELS:
            ratios = keyed_ratios(report, level)
            each = ", ".join(f"{name} {ratios[name]:.2f}x" for name in STEPS)
            lines.append(f"{level} / {KEYED} floor (min over min): {each}")
    lines.append("")
    lines += [
        "state per chatbot: bytes of `pulumi stack export` / M; of them, the engine's own",
        "stackTrace and sourcePosition records; the same state as compact JSON; and the",
        "checkpoint file the file backend stores",
        f"{'':<8} {'export':>9} {'traces':>9} {'compact':>9} {'stored':>9}",
    ]
    for name, run in [*report.levels.items(), ("floor", report.floor)]:
        sizes = (run.state.bytes, run.state.traces, run.state.compact, run.state.stored)
        lines.append(
            f"{name:<8} " + " ".join(f"{run.per_resource(size) / 1024:6.2f} KB" for size in sizes)
        )
    current = report.levels.get("current")
    if current is not None and any(step.phases for step in current.steps.values()):
        lines += [
            "",
            "where the current level's time went (its fastest run; from the command's start)",
        ]
        for name in STEPS:
            lines += [f"  {name}", *render_phases(current.steps[name].phases)]
    lines += ["", "targets (issue 9)"]
    for target in targets(report):
        shown = [
            f"{number:.2f}x"
            if target.unit == "x"
            else f"{number:.0f}{' ' if target.unit else ''}{target.unit}"
            for number in (target.value, target.limit)
        ]
        verdict = "PASS" if target.passed else "FAIL"
        lines.append(f"  {verdict}  {target.name:<50} got {shown[0]:>7}  limit {shown[1]}")
    return "\n".join(lines)


def keyed_ratios(report: Report, level: str) -> dict[str, float]:
    """Each step of one level over the keyed floor's."""
    keyed = report.levels[KEYED].steps
    return {name: report.levels[level].steps[name].seconds / keyed[name].seconds for name in STEPS}


def report_json(report: Report) -> dict[str, Any]:
    def run_json(run: Run) -> dict[str, Any]:
        return {
            "steps": {
                name: {**asdict(step), "total": step.total} for name, step in run.steps.items()
            },
            "state": asdict(run.state),
            "state_bytes_per_resource": run.state_per_resource,
        }

    return {
        "measured_at": report.measured_at,
        "params": {**asdict(report.params), "scan_pages": report.params.scan_pages},
        "levels": {
            level: {
                **run_json(run),
                "ratio_to_floor": {name: report.ratio(level, name) for name in STEPS},
                **(
                    {f"ratio_to_{KEYED}": keyed_ratios(report, level)}
                    if KEYED in report.levels and level in LEVELS
                    else {}
                ),
            }
            for level, run in report.levels.items()
        },
        "floor": run_json(report.floor),
        "targets": [{**asdict(target), "pass": target.passed} for target in targets(report)],
    }


def sweep(base: Params, ns: Sequence[int], out_dir: Path, progress: Progress) -> list[Report]:
    """One report per N (M fixed), drawn as a PNG and tabled as markdown in out_dir."""
    reports = []
    for n in ns:
        params = Params(n, base.m, base.limit, base.latency_ms, base.repeat)
        reports.append(measure(params, progress))
    out_dir.mkdir(parents=True, exist_ok=True)
    draw_sweep(reports, out_dir / "benchmark-sweep.png")
    (out_dir / "benchmark-sweep.md").write_text(sweep_markdown(reports))
    return reports


def draw_sweep(reports: Sequence[Report], png: Path) -> None:
    """Requests and wall time against N for refresh and up, ours at both levels beside the floor."""
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    import matplotlib.pyplot as plt

    p = reports[0].params
    ns = [report.params.n for report in reports]
    one_scan = [report.params.scan_pages for report in reports]
    fig, axes = plt.subplots(3, 2, figsize=(13, 12), sharex=True)
    styles = {"seed": ("tab:red", "o"), "current": ("tab:blue", "s")}
    for column, step in enumerate(("refresh", "up")):
        requests_ax, time_ax, ratio_ax = axes[0][column], axes[1][column], axes[2][column]
        # Reference shapes: one scan per run (grows with N/L), one scan per chatbot (M x N/L).
        requests_ax.plot(ns, one_scan, "k--", lw=1, label="one full scan: ceil((N+M)/L)")
        requests_ax.plot(
            ns,
            [p.m * pages for pages in one_scan],
            "k:",
            lw=1,
            label="a scan per chatbot: M x scan",
        )
        for level, (color, marker) in styles.items():
            steps = [report.levels[level].steps[step] for report in reports]
            requests_ax.plot(
                ns, [s.total for s in steps], color=color, marker=marker, label=f"{level}: all"
            )
            # A log axis cannot draw 0: a level that lists nothing in this step has no such line.
            if any(s.requests["list"] for s in steps):
                requests_ax.plot(
                    ns,
                    [s.requests["list"] or math.nan for s in steps],
                    color=color,
                    marker=marker,
                    ls="--",
                    mfc="none",
                    label=f"{level}: list pages",
                )
            time_ax.plot(
                ns, [s.seconds for s in steps], color=color, marker=marker, label=f"ours, {level}"
            )
            ratio_ax.plot(
                ns,
                [report.ratio(level, step) for report in reports],
                color=color,
                marker=marker,
                label=f"ours / floor, {level}",
            )
        floor = [report.floor.steps[step].seconds for report in reports]
        time_ax.plot(ns, floor, color="tab:gray", marker="^", label="engine floor (no-op provider)")
        time_ax.plot(
            ns, [1.5 * s for s in floor], color="tab:gray", ls=":", lw=1, label="1.5x floor"
        )
        title = f"{step} of M={p.m}{' new' if step == 'up' else ''} chatbots"
        requests_ax.set_title(f"{title}: API requests")
        time_ax.set_title(f"{title}: wall time")
        requests_ax.set_ylabel("requests (log scale)")
        requests_ax.set_yscale("log")
        time_ax.set_ylabel("seconds")
        time_ax.set_ylim(bottom=0)
        # The floor moves with the machine's load; the ratio, paired run by run, much less.
        ratio_ax.axhline(1.5, color="tab:gray", ls=":", lw=1, label="target: 1.5x floor")
        ratio_ax.axhline(1.0, color="tab:gray", lw=1, label="the floor")
        ratio_ax.set_title(f"{title}: wall time / floor, per run")
        ratio_ax.set_ylabel("ratio")
        ratio_ax.set_ylim(bottom=0)
        ratio_ax.set_xlabel("N, chatbots already in the account (log scale)")
        for ax in (requests_ax, time_ax, ratio_ax):
            ax.set_xscale("log")
            ax.set_xticks(ns, [str(n) for n in ns])
            ax.minorticks_off()
            ax.grid(True, which="major", alpha=0.3)
            ax.legend(fontsize=8, loc="upper left")
    fig.suptitle(
        f"CaiGunn provider vs engine floor: M={p.m} declared, pages clamped to L={p.limit}, "
        f"{p.latency_ms:g} ms latency, minimum of {p.repeat} run(s)"
    )
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    plt.close(fig)


def report_from_json(document: dict[str, Any]) -> Report:
    """The inverse of report_json, so that a recorded sweep can be drawn again."""

    def run(data: dict[str, Any]) -> Run:
        steps = {
            name: Step(
                step["seconds"],
                step["requests"],
                step["non_2xx"],
                step["samples"],
                step.get("phases") or {},
            )
            for name, step in data["steps"].items()
        }
        return Run(steps, State(**data["state"]))

    keys = ("n", "m", "limit", "latency_ms", "repeat", "parallel")
    params = {key: document["params"][key] for key in keys if key in document["params"]}
    return Report(
        Params(**params),
        {level: run(data) for level, data in document["levels"].items()},
        run(document["floor"]),
        {level: data["ratio_to_floor"] for level, data in document["levels"].items()},
        document["measured_at"],
    )


def sweep_markdown(reports: Sequence[Report]) -> str:
    """The sweep's numbers as two markdown tables: wall time, and API requests."""
    p = reports[0].params
    runs = [*(f"{level} {step}" for level in LEVELS for step in STEPS)]
    lines = [
        f"# Benchmark sweep: M={p.m}, L={p.limit}, {p.latency_ms:g} ms latency, "
        f"minimum of {p.repeat} run(s)",
        "",
        f"Measured by `scripts/bench.py --sweep`, {reports[0].measured_at} to "
        f"{reports[-1].measured_at}; drawn in "
        "`benchmark-sweep.png`. One scan = ceil((N+M)/L) list requests.",
        "",
        "Wall time in seconds (ours, and the engine floor: a no-op dynamic provider):",
        "",
        "| N | " + " | ".join([*runs, *(f"floor {step}" for step in STEPS)]) + " |",
        "|---:" * (1 + len(runs) + len(STEPS)) + "|",
    ]
    for report in reports:
        cells = [
            f"{report.levels[level].steps[step].seconds:.1f}" for level in LEVELS for step in STEPS
        ]
        cells += [f"{report.floor.steps[step].seconds:.1f}" for step in STEPS]
        lines.append(f"| {report.params.n} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "API requests: all of the step's, and in brackets its list pages:",
        "",
        "| N | one scan | " + " | ".join(runs) + " |",
        "|---:" * (2 + len(runs)) + "|",
    ]
    for report in reports:
        cells = [
            f"{step.total} ({step.requests['list']})"
            for step in (report.levels[level].steps[name] for level in LEVELS for name in STEPS)
        ]
        lines.append(
            f"| {report.params.n} | {report.params.scan_pages} | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines) + "\n"


def latency_sweep(
    base: Params, latencies: Sequence[float], out_dir: Path, progress: Progress
) -> list[Report]:
    """One report per latency (N and M fixed), drawn and tabled in out_dir."""
    reports = []
    for latency in latencies:
        params = Params(base.n, base.m, base.limit, latency, base.repeat, base.parallel)
        reports.append(measure(params, progress))
    out_dir.mkdir(parents=True, exist_ok=True)
    name = latency_name(base.parallel)
    draw_latency(reports, out_dir / f"{name}.png")
    (out_dir / f"{name}.md").write_text(latency_markdown(reports))
    return reports


def latency_name(parallel: int) -> str:
    """The latency sweep's file name: its own for a run at a chosen --parallel."""
    return "benchmark-latency" + (f"-parallel{parallel}" if parallel else "")


def draw_latency(reports: Sequence[Report], png: Path) -> None:
    """Ours / floor against the latency per request, one line per step and level."""
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    import matplotlib.pyplot as plt

    p = reports[0].params
    latencies = [report.params.latency_ms for report in reports]
    fig, ax = plt.subplots(figsize=(9, 6))
    colors = {"seed": "tab:red", "current": "tab:blue", IDEAL: "tab:green"}
    markers = {"up": "o", "second up": "s", "refresh": "^"}
    dashes = {"up": "-", "second up": ":", "refresh": "--"}
    for level in _subjects(reports):
        for step in STEPS:
            ax.plot(
                latencies,
                [report.ratio(level, step) for report in reports],
                color=colors[level],
                marker=markers[step],
                ls=dashes[step],
                alpha=0.6 if level == IDEAL else 1.0,
                label=f"{level} {step}"
                + (" (one round trip per resource, no provider)" if level == IDEAL else ""),
            )
    ax.axhline(1.5, color="tab:gray", ls=":", lw=1, label="target: 1.5x floor")
    ax.axhline(1.0, color="tab:gray", lw=1, label="the floor")
    ax.set_xticks(latencies, [f"{ms:g}" for ms in latencies])
    ax.set_xlabel("latency per CaiGunn request, ms")
    ax.set_ylabel("wall time / engine floor")
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    engine = f"--parallel {p.parallel}" if p.parallel else "the engine's default --parallel"
    ax.set_title(
        f"CaiGunn provider vs engine floor: N={p.n}, M={p.m}, L={p.limit}, "
        f"minimum of {p.repeat} run(s), {engine}",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    plt.close(fig)


def _subjects(reports: Sequence[Report]) -> list[str]:
    """The levels every report has, the ideal bound last where all have it."""
    return [name for name in (*LEVELS, IDEAL) if all(name in r.levels for r in reports)]


def latency_markdown(reports: Sequence[Report]) -> str:
    """The latency sweep as one markdown table: wall time, floor and ratio per step and level."""
    p = reports[0].params
    subjects = _subjects(reports)
    lines = [
        f"# Latency sweep: N={p.n}, M={p.m}, L={p.limit}, minimum of {p.repeat} run(s), "
        + (f"--parallel {p.parallel}" if p.parallel else "the engine's default --parallel"),
        "",
        f"Measured by `scripts/bench.py --latency-sweep`, {reports[0].measured_at} to "
        f"{reports[-1].measured_at}; drawn in `benchmark-latency.png`. Cells: seconds "
        "(ratio to the floor)."
        + (
            f" The {IDEAL} columns are the floor's provider waiting one latency in each create "
            "and read: one round trip per resource and nothing else, a bound for any provider."
            if IDEAL in subjects
            else ""
        ),
        "",
        "| ms | "
        + " | ".join([*(f"{lv} {st}" for lv in subjects for st in STEPS)])
        + " | "
        + " | ".join(f"floor {st}" for st in STEPS)
        + " |",
        "|---:" * (1 + len(subjects) * len(STEPS) + len(STEPS)) + "|",
    ]
    for report in reports:
        cells = [
            f"{report.levels[lv].steps[st].seconds:.2f} ({report.ratio(lv, st):.2f}x)"
            for lv in subjects
            for st in STEPS
        ]
        cells += [f"{report.floor.steps[st].seconds:.2f}" for st in STEPS]
        lines.append(f"| {report.params.latency_ms:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def first_create_seconds(project: PulumiProject, admin: Admin, timeout: float = 600) -> float:
    """Seconds from starting `pulumi up` to the emulator's first POST; the run is then stopped,
    every process of it (the engine starts its plugins in process groups of their own)."""
    start = time.perf_counter()
    with project.start("up", "--yes", "--skip-preview") as run:
        while time.perf_counter() - start < timeout:
            if admin.requests("POST"):
                return time.perf_counter() - start
            if run.process.poll() is not None:
                raise SystemExit(f"pulumi up ended ({run.process.returncode}) before any create")
            time.sleep(0.02)
        raise SystemExit(f"no create within {timeout} s")


def program_times(counts: Sequence[int], repeat: int, progress: Progress) -> dict[int, float]:
    """Per M: the least seconds before the first create (current level, N=0, no latency)."""
    found: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="caigunn-bench-program-") as tmp:
        for m in counts:
            samples = []
            for index in range(repeat):
                flags = ["--token", TOKEN, "--level", "current", "--preload", "0"]
                with emulator_process(*flags) as emulator:
                    params = Params(0, m, 30, 0.0, 1)
                    project = our_project(params, emulator.base_url, Path(tmp) / f"m{m}-{index}")
                    admin = Admin(emulator.base_url, token=TOKEN)
                    try:
                        samples.append(first_create_seconds(project, admin))
                    finally:
                        admin.session.close()
                progress(f"  M={m:<5} run {index + 1}: {samples[-1]:.2f} s to the first create")
            found[m] = min(samples)
    return found


def program_time_markdown(times: dict[int, float]) -> str:
    """The program's time before the first create against M, and what each chatbot adds."""
    counts = sorted(times)
    lines = [
        "| M | seconds to the first create | per chatbot, ms | added per chatbot since "
        f"M={counts[0]}, ms |",
        "|---:|---:|---:|---:|",
    ]
    for m in counts:
        added = (times[m] - times[counts[0]]) / (m - counts[0]) * 1000 if m != counts[0] else 0
        lines.append(f"| {m} | {times[m]:.2f} | {times[m] / m * 1000:.2f} | {added:.2f} |")
    return "\n".join(lines) + "\n"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=2000, help="chatbots preloaded (default 2000)")
    parser.add_argument("--m", type=int, default=50, help="chatbots declared (default 50)")
    parser.add_argument("--limit", type=int, default=30, help="page size clamp L (default 30)")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="per request (default 20)")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs, alternated with the floor (default 3); the minimum is reported",
    )
    parser.add_argument(
        "--parallel", type=int, default=0, help="the engine's --parallel (default: its own)"
    )
    parser.add_argument(
        "--latency-sweep",
        action="store_true",
        help=f"latency = {LATENCIES_MS} ms at --n/--m; benchmark-latency.png and .md in docs/",
    )
    parser.add_argument(
        "--latencies",
        type=lambda text: [float(part) for part in text.split(",")],
        default=LATENCIES_MS,
        help="the latencies of --latency-sweep, in ms",
    )
    parser.add_argument(
        "--program-time",
        action="store_true",
        help=f"the program's time before the first create, M = {PROGRAM_MS}, no latency",
    )
    parser.add_argument(
        "--program-ms",
        type=lambda text: [int(part) for part in text.split(",")],
        default=PROGRAM_MS,
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--json-out", type=Path, help="also write the JSON to this file")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target fails")
    parser.add_argument("--sweep", action="store_true", help=f"N = {SWEEP_NS}, PNG in docs/")
    parser.add_argument(
        "--sweep-ns", type=lambda text: [int(part) for part in text.split(",")], default=SWEEP_NS
    )
    parser.add_argument("--out-dir", type=Path, default=DOCS, help="where --sweep writes")
    parser.add_argument(
        "--replot", type=Path, metavar="JSON", help="redraw a sweep from its --json-out file"
    )
    parser.add_argument(
        "--knowledge", action="store_true", help="the knowledge run instead (its own flags)"
    )
    args = parser.parse_args(argv)
    if args.n < 0 or min(args.m, args.limit, args.repeat) < 1:
        parser.error("--m, --limit and --repeat must be at least 1, --n at least 0")
    return args


def knowledge_run(argv: Sequence[str]) -> int:
    """`--knowledge`: the knowledge run instead (scripts/bench_knowledge.py; its flags follow)."""
    import bench_knowledge

    return bench_knowledge.main([arg for arg in argv if arg != "--knowledge"])


def main(argv: Sequence[str] | None = None) -> int:
    if "--knowledge" in (sys.argv[1:] if argv is None else argv):
        return knowledge_run(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    params = Params(args.n, args.m, args.limit, args.latency_ms, args.repeat, args.parallel)
    if args.program_time:
        print(program_time_markdown(program_times(args.program_ms, args.repeat, progress)))
        return 0
    if args.latency_sweep:
        if args.replot is not None:
            reports = [report_from_json(item) for item in json.loads(args.replot.read_text())]
            name = latency_name(reports[0].params.parallel)
            draw_latency(reports, args.out_dir / f"{name}.png")
        else:
            reports = latency_sweep(params, args.latencies, args.out_dir, progress)
        if args.json_out is not None:
            args.json_out.write_text(
                json.dumps([report_json(report) for report in reports], indent=2) + "\n"
            )
        print(latency_markdown(reports))
        return 0
    if args.replot is not None and not args.latency_sweep:
        reports = [report_from_json(item) for item in json.loads(args.replot.read_text())]
        draw_sweep(reports, args.out_dir / "benchmark-sweep.png")
        (args.out_dir / "benchmark-sweep.md").write_text(sweep_markdown(reports))
        print(f"wrote {args.out_dir / 'benchmark-sweep.png'} and benchmark-sweep.md")
        return 0
    if args.sweep:
        reports = sweep(params, args.sweep_ns, args.out_dir, progress)
        document: Any = [report_json(report) for report in reports]
        text = sweep_markdown(reports)
        text += f"\nwrote {args.out_dir / 'benchmark-sweep.png'} and benchmark-sweep.md"
    else:
        reports = [measure(params, progress)]
        document, text = report_json(reports[0]), render_table(reports[0])
    if args.json_out is not None:
        args.json_out.write_text(json.dumps(document, indent=2) + "\n")
    print(json.dumps(document, indent=2) if args.json else text)
    failed = any(not target.passed for report in reports for target in targets(report))
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
