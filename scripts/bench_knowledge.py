"""The knowledge run of the benchmark (issue 19): M chatbots with K text items each, trained once
(with `--checks Q`, each entry's new model is also asked Q answer checks before it serves).

`python scripts/bench.py --knowledge` (or this file) runs it. Background work takes WORK_MS in the
emulator (`--work-ms`). Three measurements, each on a fresh emulator:

- ours: this repo's program on the real engine, a stack file of M entries with K `text:` items
  each; `up` creates the chatbots, their items and one trained Model each, and sets the model;
  then a second `up`, which must write nothing; with checks, every entry's checks must pass;
- the API reference: the same API work at full concurrency, sent directly (one thread per chatbot,
  the chatbots made beforehand and not timed): K item POSTs, one training, its event polled every
  POLL_S until it completes, the chatbot's model_id set, then its Q questions asked one after
  another, each answer checked;
- the engine floor: the same engine with a no-op dynamic provider and as many resources as ours
  has (M x (K + 3): a chatbot, its items, a training, a model; and a serving step per chatbot
  with checks), none depending on another: what
  the engine costs on its own (each no-op run is checked to have made its resources);
- the ideal: the same no-op provider in ours' shape (a chatbot, its K items, a training on them,
  a model waiting the training's WORK_MS), so four steps in a row per chatbot: the engine's cost
  and the one wait nobody can avoid, at the same --parallel. Ours can approach it, not beat it.

The JSON also says where ours' time went, phase by phase (scripts/bench_phases.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import TOKEN, new_project, noop_count, noop_project, timed  # noqa: E402
from bench_phases import render as render_phases  # noqa: E402
from bench_phases import timed_phases  # noqa: E402

from caigunn_provider.emulator.process import emulator_process  # noqa: E402
from tests.e2e.pulumi_cli import PulumiProject  # noqa: E402
from tests.support import BASIC, CHATBOT_PATH, Admin  # noqa: E402

CHATBOT_API = "/api/external/chatbot"
# The reference polls this often: finer than the provider's own backoff (0.25 s, x1.5).
POLL_S = 0.05
Progress = Callable[[str], None]


@dataclass(frozen=True)
class KnowledgeParams:
    m: int  # chatbots declared
    k: int  # text items per chatbot
    work_ms: int  # each crawl, upload and training in the emulator
    latency_ms: float
    parallel: int = 0  # `pulumi up --parallel` (0: the engine's default, 4 per CPU)
    checks: int = 0  # answer checks per chatbot (0: none, the entry has no `checks:`)


@dataclass
class KnowledgeReport:
    params: KnowledgeParams
    up: float
    second_up: float
    reference: float
    floor_up: float
    ideal_up: float
    resources: int  # ours' (the stack aside), as many as the flat floor declares
    up_requests: dict[str, int]
    second_up_writes: int
    trainings: int
    training_span: float
    trainings_at_once: int
    checks_passed: int  # entries whose `answer_checks` output says passed
    measured_at: str
    phases: dict[str, dict[str, dict[str, float]]]

    @property
    def ratio(self) -> float:
        """ours / the API reference."""
        return self.up / self.reference

    @property
    def ratio_with_floor(self) -> float:
        """ours / (the engine floor + the API reference)."""
        return self.up / (self.floor_up + self.reference)

    @property
    def ratio_to_ideal(self) -> float:
        """ours / the ideal (the engine in ours' shape, with the training's wait)."""
        return self.up / self.ideal_up


def question(check: int) -> str:
    """Check number `check`'s question: it shares "opening hours" with every item, so the
    emulator answers it with an item's text (docs/emulator.md, "Conversations")."""
    return f"What are the opening hours, question {check}?"


# What every answer must hold: each item of the chatbot says it.
EXPECTED = "opening hours are 9 to"


def stack_file(m: int, k: int, checks: int = 0) -> str:
    lines = ["chatbots:"]
    for bot in range(1, m + 1):
        lines += [
            f"  kbot-{bot:04d}:",
            f"    title: kbench-{bot:04d}",
            f"    plan_id: {BASIC}",
            "    knowledge:",
        ]
        lines += [
            f'      - text: "Fact {item} of chatbot {bot}: opening hours are 9 to {item + 12}."'
            for item in range(1, k + 1)
        ]
        if checks:
            lines.append("    checks:")
            for check in range(1, checks + 1):
                lines += [f'      - ask: "{question(check)}"', "        expect:"]
                lines.append(f'          contains: "{EXPECTED}"')
    return "\n".join(lines) + "\n"


def kind_of(entry: dict[str, Any]) -> str:
    """What one logged request was, for the up's request counts."""
    method, path = entry["method"], entry["path"]
    if path == CHATBOT_PATH and method == "POST":
        return "chatbot create"
    if path.startswith(CHATBOT_PATH + "/") and method == "PUT":
        return "chatbot update"
    if path.startswith(f"{CHATBOT_API}/training_data"):
        return f"item {method}"
    if path == f"{CHATBOT_API}/model" and method == "POST":
        return "training"
    if path.startswith(f"{CHATBOT_API}/event/"):
        return "event poll"
    if path == f"{CHATBOT_API}/talk":
        return "talk"
    return f"other {method}"


def emulator_flags(params: KnowledgeParams) -> list[str]:
    return [
        "--token",
        TOKEN,
        "--level",
        "current",
        "--work-ms",
        str(params.work_ms),
        "--latency-ms",
        str(params.latency_ms),
    ]


def measure_ours(params: KnowledgeParams, workdir: Path, progress: Progress) -> dict[str, Any]:
    with emulator_process(*emulator_flags(params)) as emulator:
        project = new_project(workdir, ROOT / "__main__.py", (ROOT / "Pulumi.yaml").read_text())
        project.config_set("caigunn:accessToken", TOKEN, secret=True)
        project.config_set("caigunn:apiUrl", emulator.base_url)
        (workdir / "stacks").mkdir()
        (workdir / "stacks" / "bench.yaml").write_text(
            stack_file(params.m, params.k, params.checks)
        )
        admin = Admin(emulator.base_url, token=TOKEN)
        try:
            flags = ["--parallel", str(params.parallel)] if params.parallel else []
            scratch = workdir.parent / "timings.jsonl"
            up, up_phases = timed_phases(project, lambda: project.up(*flags), scratch)
            entries = admin.requests()
            counts = Counter(kind_of(entry) for entry in entries)
            span, widest = training_phase(entries)
            progress(f"  ours     up         {up:7.2f} s  {sum(counts.values())} requests")
            admin.clear_requests()
            second, second_phases = timed_phases(
                project, lambda: project.up("--expect-no-changes", *flags), scratch
            )
            writes = [e for e in admin.requests() if e["method"] != "GET"]
            progress(f"  ours     second up  {second:7.2f} s  {len(writes)} writes")
            models, resources = project_models(project)
            passed = sum(
                1
                for verdict in (project.outputs().get("answer_checks") or {}).values()
                if verdict.get("passed") is True
            )
        finally:
            admin.session.close()
    if models != params.m:
        raise SystemExit(f"ours: the state holds {models} trained models, not {params.m}")
    return {
        "up": up,
        "second_up": second,
        "phases": {"up": up_phases, "second up": second_phases},
        "counts": dict(counts),
        "writes": len(writes),
        "training_span": span,
        "trainings_at_once": widest,
        "resources": resources,
        "checks_passed": passed,
    }


def training_phase(entries: Sequence[dict[str, Any]]) -> tuple[float, int]:
    """Seconds from the first training's POST to the last model_id set, and the most trainings
    running at once (started and their chatbot's model_id not yet set)."""
    marks = sorted(
        (datetime.fromisoformat(entry["ts"].replace("Z", "+00:00")), kind)
        for entry in entries
        if (kind := kind_of(entry)) in ("training", "chatbot update")
    )
    if not marks:
        return 0.0, 0
    running = widest = 0
    for _, kind in marks:
        running += 1 if kind == "training" else -1
        widest = max(widest, running)
    return (marks[-1][0] - marks[0][0]).total_seconds(), widest


def project_models(project: PulumiProject) -> tuple[int, int]:
    """The trained Models in ours' state, and its resources (the stack and providers aside):
    the count the flat floor declares, so that it stands for as many resources as ours."""
    resources = [
        res
        for res in json.loads(project.export_text())["deployment"].get("resources") or []
        if not res["type"].startswith("pulumi:")
    ]
    models = sum(
        1
        for res in resources
        if res["type"].endswith(":Model") and res.get("outputs", {}).get("model_id")
    )
    return models, len(resources)


def measure_reference(params: KnowledgeParams, progress: Progress) -> float:
    """The API work of the up at full concurrency, sent directly (chatbots made beforehand)."""
    with emulator_process(*emulator_flags(params)) as emulator:
        base, token = emulator.base_url, {"caigunn-access-token": TOKEN}
        session = requests.Session()
        session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=params.m * 2))
        try:

            def create(bot: int) -> tuple[str, str]:
                answer = session.post(
                    base + CHATBOT_PATH,
                    data={"title": f"kref-{bot:04d}", "plan_id": BASIC},
                    headers=token,
                    timeout=60,
                )
                answer.raise_for_status()
                body = answer.json()
                return str(body["chatbot_id"]), str(body["api_key"])

            def train(bot: int, chatbot: tuple[str, str]) -> None:
                chatbot_id, api_key = chatbot
                headers = {**token, "api-key": api_key}
                for item in range(1, params.k + 1):
                    text = f"Fact {item} of chatbot {bot}: opening hours are 9 to {item + 12}."
                    session.post(
                        f"{base}{CHATBOT_API}/training_data",
                        params={"type": "text"},
                        data={"text": text},
                        headers=headers,
                        timeout=60,
                    ).raise_for_status()
                answer = session.post(
                    f"{base}{CHATBOT_API}/model",
                    json={"title": f"kref-{bot}", "model_name": "PaLM2"},
                    headers=headers,
                    timeout=60,
                )
                answer.raise_for_status()
                event_id = answer.json()["event_id"]
                while True:
                    logs = session.get(
                        f"{base}{CHATBOT_API}/event/{event_id}", headers=headers, timeout=60
                    ).json()["webhook_logs"]
                    done = [log for log in logs if log["status"] in ("completed", "failed")]
                    if done:
                        break
                    time.sleep(POLL_S)
                if done[0]["status"] != "completed":
                    raise SystemExit(f"reference: a training failed: {done[0]['data']}")
                session.put(
                    f"{base}{CHATBOT_PATH}/{chatbot_id}",
                    data={"model_id": done[0]["data"]["model_id"]},
                    headers=token,
                    timeout=60,
                ).raise_for_status()
                for check in range(1, params.checks + 1):
                    answer = session.post(
                        f"{base}{CHATBOT_API}/talk",
                        params={"nickname": "bench"},
                        json={"text": question(check)},
                        headers={**headers, "uid": f"kref-{bot}-{check}"},
                        timeout=60,
                    )
                    answer.raise_for_status()
                    if EXPECTED not in json.dumps(answer.json()):
                        raise SystemExit(f"reference: check {check} failed: {answer.text}")

            bots = range(1, params.m + 1)
            with ThreadPoolExecutor(max_workers=params.m) as pool:
                chatbots = list(pool.map(create, bots))
                seconds = timed(lambda: list(pool.map(train, bots, chatbots)))
        finally:
            session.close()
    progress(f"  API reference      {seconds:7.2f} s")
    return seconds


def timed_noop_up(project: PulumiProject, params: KnowledgeParams, resources: int) -> float:
    """One `up` of a no-op project, checked to have made every resource it stands for."""
    seconds = timed(
        lambda: project.up(*(["--parallel", str(params.parallel)] if params.parallel else []))
    )
    made = noop_count(project)
    if made != resources:
        raise SystemExit(f"the no-op run made {made} resources, not {resources}: not a floor")
    return seconds


def measure_floor(params: KnowledgeParams, count: int, workdir: Path, progress: Progress) -> float:
    project = noop_project(workdir)
    project.config_set("bench:count", str(count))
    seconds = timed_noop_up(project, params, count)
    progress(f"  floor    up         {seconds:7.2f} s  ({count} no-ops)")
    return seconds


def measure_ideal(params: KnowledgeParams, workdir: Path, progress: Progress) -> float:
    project = noop_project(workdir)
    project.config_set("bench:count", str(params.m))
    project.config_set("bench:items", str(params.k))
    project.config_set("bench:workMs", str(params.work_ms))
    if params.checks:
        project.config_set("bench:serving", "true")
    seconds = timed_noop_up(project, params, params.m * (params.k + 3 + bool(params.checks)))
    progress(f"  ideal    up         {seconds:7.2f} s  (ours' shape, no-ops, the training's wait)")
    return seconds


def measure(params: KnowledgeParams, progress: Progress) -> KnowledgeReport:
    progress(
        f"knowledge run: M={params.m} chatbots x K={params.k} text items, {params.work_ms} ms"
        + (f", {params.checks} checks each" if params.checks else "")
    )
    with tempfile.TemporaryDirectory(prefix="caigunn-kbench-") as tmp:
        ours = measure_ours(params, Path(tmp) / "ours", progress)
        reference = measure_reference(params, progress)
        floor = measure_floor(params, ours["resources"], Path(tmp) / "floor", progress)
        ideal = measure_ideal(params, Path(tmp) / "ideal", progress)
    return KnowledgeReport(
        params=params,
        up=ours["up"],
        second_up=ours["second_up"],
        reference=reference,
        floor_up=floor,
        ideal_up=ideal,
        resources=ours["resources"],
        up_requests=ours["counts"],
        second_up_writes=ours["writes"],
        trainings=ours["counts"].get("training", 0),
        training_span=ours["training_span"],
        trainings_at_once=ours["trainings_at_once"],
        checks_passed=ours["checks_passed"],
        measured_at=f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        phases=ours["phases"],
    )


def render(report: KnowledgeReport) -> str:
    p = report.params
    lines = [
        f"CaiGunn knowledge benchmark: M={p.m} chatbots x K={p.k} text items"
        + (f", {p.checks} answer checks each" if p.checks else "")
        + ", background work "
        f"{p.work_ms} ms, latency {p.latency_ms:g} ms, "
        f"--parallel {p.parallel or 'default'} ({report.measured_at})",
        "",
        f"  ours: up (creates, items, one training each, model set)  {report.up:7.2f} s",
        f"  ours: second up                                          {report.second_up:7.2f} s",
        f"  API reference: items + one training each, full concurrency {report.reference:5.2f} s",
        f"  engine floor: up of {report.resources} no-op resources"
        f"{'':<{23 - len(str(report.resources))}}{report.floor_up:7.2f} s",
        f"  ideal: ours' shape in no-ops, with the training's wait     {report.ideal_up:7.2f} s",
        f"  ours: from the first training to the last model set      {report.training_span:7.2f} s"
        f" (at most {report.trainings_at_once} trainings at once)",
        "",
        "  where ours' up went (offsets from the start of `pulumi up`):",
        *render_phases(report.phases["up"]),
        "  and the second up's:",
        *render_phases(report.phases["second up"]),
        "",
        "  up requests: "
        + ", ".join(f"{kind} {n}" for kind, n in sorted(report.up_requests.items())),
        "",
        f"  {'PASS' if report.trainings == p.m else 'FAIL'}  one training per chatbot"
        f"{'':<22} got {report.trainings:>5}  want {p.m}",
        f"  {'PASS' if report.second_up_writes == 0 else 'FAIL'}  second up: 0 writes"
        f"{'':<27} got {report.second_up_writes:>5}  want 0",
        f"  {'PASS' if report.ratio <= 1.5 else 'FAIL'}  up <= 1.5x the API reference"
        f"{'':<17} got {report.ratio:5.2f}x  limit 1.50x",
        f"  {'PASS' if report.ratio_with_floor <= 1.5 else 'FAIL'}  up <= 1.5x (floor + API "
        f"reference){'':<10} got {report.ratio_with_floor:5.2f}x  limit 1.50x",
        f"  info  up / the ideal{'':<33} got {report.ratio_to_ideal:5.2f}x",
    ]
    if p.checks:
        lines.insert(
            -4,
            f"  {'PASS' if report.checks_passed == p.m else 'FAIL'}  every entry's checks passed"
            f"{'':<19} got {report.checks_passed:>5}  want {p.m}",
        )
    return "\n".join(lines)


def passed(report: KnowledgeReport) -> bool:
    return (
        report.trainings == report.params.m
        and report.second_up_writes == 0
        and (not report.params.checks or report.checks_passed == report.params.m)
        and report.ratio_with_floor <= 1.5
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--m", type=int, default=20, help="chatbots (default 20)")
    parser.add_argument("--k", type=int, default=5, help="text items per chatbot (default 5)")
    parser.add_argument("--work-ms", type=int, default=1000, help="background work (default 1000)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="per request (default 0)")
    parser.add_argument(
        "--parallel", type=int, default=0, help="pulumi up --parallel (default: the engine's)"
    )
    parser.add_argument(
        "--checks", type=int, default=0, help="answer checks per chatbot (default 0: none)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--json-out", type=Path, help="also write the JSON to this file")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target fails")
    args = parser.parse_args(argv)
    if min(args.m, args.k) < 1 or min(args.work_ms, args.checks) < 0:
        parser.error("--m and --k must be at least 1, --work-ms and --checks at least 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    params = KnowledgeParams(
        args.m, args.k, args.work_ms, args.latency_ms, args.parallel, args.checks
    )
    report = measure(params, lambda line: print(line, file=sys.stderr, flush=True))
    document = {
        **asdict(report),
        "ratio_to_reference": report.ratio,
        "ratio_to_floor_plus_reference": report.ratio_with_floor,
        "ratio_to_ideal": report.ratio_to_ideal,
    }
    if args.json_out is not None:
        args.json_out.write_text(json.dumps(document, indent=2) + "\n")
    print(json.dumps(document, indent=2) if args.json else render(report))
    return 1 if args.check and not passed(report) else 0


if __name__ == "__main__":
    sys.exit(main())
