"""examples/ci: the GitHub Actions recipe is a valid workflow that does what the README says."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from caigunn_provider.cli import check
from caigunn_provider.kinds.checks.resource import Serving
from caigunn_provider.kinds.checks.serving import INPUTS, KEPT

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / "examples" / "ci" / "github-actions.yml"


def check_workflow(path: Path) -> subprocess.CompletedProcess[str]:
    """check-jsonschema against the GitHub workflow schema it vendors (no network needed)."""
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "check-jsonschema"),
            "--builtin-schema",
            "vendor.github-workflows",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def workflow() -> dict[str, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text())
    # YAML 1.1 reads the key `on` as the boolean true.
    loaded["on"] = loaded.pop(True)
    return loaded


def run_lines(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def step(job: dict[str, Any], *, id_: str | None = None, name: str | None = None) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        s for s in job["steps"] if (id_ and s.get("id") == id_) or (name and s.get("name") == name)
    ]
    assert len(found) == 1, f"one step {id_ or name!r} in the job, not {len(found)}"
    return found[0]


def summary_step() -> dict[str, Any]:
    return step(workflow()["jobs"]["up"], name="Answer checks, every entry's verdict")


SERVING_TYPE = f"pulumi-python:{Serving._resource_type_name}"


def test_the_recipe_is_valid_against_the_github_workflow_schema() -> None:
    done = check_workflow(WORKFLOW)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_schema_check_rejects_a_broken_workflow(tmp_path: Path) -> None:
    # Proves the check above validates for real: a job without runs-on is not a workflow.
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text().replace("runs-on: ubuntu-latest", "runs_on: linux"))
    done = check_workflow(broken)
    assert done.returncode == 1
    assert "Schema validation errors were encountered" in done.stdout + done.stderr


def test_pull_requests_preview_and_main_applies() -> None:
    flow = workflow()
    assert flow["on"]["pull_request"]["branches"] == ["main"]
    assert flow["on"]["push"]["branches"] == ["main"]
    preview, up = flow["jobs"]["preview"], flow["jobs"]["up"]
    assert "github.event_name == 'pull_request'" in preview["if"]
    assert run_lines(preview)[-1].startswith(".venv/bin/pulumi preview ")
    assert up["if"] == "github.event_name == 'push' || github.event_name == 'workflow_dispatch'"
    assert step(up, id_="apply")["run"].startswith(".venv/bin/pulumi up ")
    assert all("--non-interactive" in line for line in run_lines(up) if "pulumi " in line)


def test_backend_passphrase_and_token_come_from_secrets() -> None:
    env = workflow()["env"]
    for name in ("PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "CAIGUNN_ACCESS_TOKEN"):
        assert env[name] == f"${{{{ secrets.{name} }}}}"


def test_two_applies_never_race_and_a_running_one_is_never_cancelled() -> None:
    concurrency = workflow()["jobs"]["up"]["concurrency"]
    assert "${{" not in concurrency["group"], "one fixed group per stack, whatever the ref"
    assert concurrency["cancel-in-progress"] is False


def test_the_recovery_after_an_interrupted_run_is_cancel_then_up() -> None:
    up = workflow()["jobs"]["up"]
    steps = [step for step in up["steps"] if "run" in step]
    apply = step(up, id_="apply")
    cancel = steps[steps.index(apply) - 1]
    assert cancel["run"].startswith(".venv/bin/pulumi cancel ")
    assert cancel["if"] == "github.event_name == 'workflow_dispatch' && inputs.clear_lock"
    assert apply["run"].startswith(".venv/bin/pulumi up ")
    text = WORKFLOW.read_text()
    assert "It cannot run here" in text
    assert "the stack is currently locked by 1 lock(s)" in text


def test_one_rejected_chatbot_does_not_hold_back_the_others() -> None:
    # A rejection fails its entry's Serving step; the engine applies every other entry anyway.
    apply = step(workflow()["jobs"]["up"], id_="apply")
    assert "--continue-on-error" in shlex.split(apply["run"])


def test_the_apply_ends_with_every_entrys_verdict_even_when_it_failed() -> None:
    up = workflow()["jobs"]["up"]
    summary = summary_step()
    assert up["steps"][-1]["name"] == summary["name"], "the job ends with the summary"
    assert summary["if"].startswith("always() && ")
    assert "steps.apply.outcome == 'failure'" in summary["if"]
    assert summary["shell"] == "bash", "bash -eo pipefail: a failed export fails the step"
    script = summary["run"]
    # The state, not the outputs: `pulumi stack output` keeps the last successful run's values
    # after a failed up, and `check` would ask what serves after the put-back.
    assert "pulumi stack export" in script
    assert "stack output" not in script and "caigunn_provider check" not in script
    assert f'select(.type == "{SERVING_TYPE}"' in script
    assert "$GITHUB_STEP_SUMMARY" in script


def test_the_summary_reads_fields_the_serving_state_has() -> None:
    # Renaming a field of the Serving step's state must fail here, not silently print "-".
    script = summary_step()["run"]
    read = set(re.findall(r"\$o\.(\w+)", script)) | set(re.findall(r"\.outputs\.(\w+)", script))
    assert {"mode", "rejected", "passed", "serving_model_id", "last_passed_at"} <= read
    assert read <= set(KEPT) | set(INPUTS), read - (set(KEPT) | set(INPUTS))


def test_the_summary_prints_each_verdict_and_report(tmp_path: Path) -> None:
    if shutil.which("jq") is None or shutil.which("column") is None:
        pytest.skip("jq and column are on GitHub's runners, not on this machine")
    state = {
        "deployment": {
            "resources": [
                serving("sales", passed=True, messages_spent=1),
                serving(
                    "support",
                    passed=True,
                    rejected={
                        "outcome": "failed",
                        "at": "2026-12-06T20:45:38+00:00",
                        "report": "support: 1 of 1 answer check(s) failed on model m-2",
                    },
                ),
                serving("newbie", mode="report", passed=False),
                {
                    "urn": "urn:pulumi:prod::p::pulumi-python:dynamic/caigunn:Model::sales",
                    "type": "pulumi-python:dynamic/caigunn:Model",
                    "outputs": {"mode": "not a Serving"},
                },
            ]
        }
    }
    fake = tmp_path / ".venv" / "bin" / "pulumi"
    fake.parent.mkdir(parents=True)
    fake.write_text(f"#!/bin/sh\ncat <<'EOF'\n{json.dumps(state)}\nEOF\n")
    fake.chmod(0o755)
    summary_file = tmp_path / "summary.md"
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", summary_step()["run"]],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "STACK": "prod", "GITHUB_STEP_SUMMARY": str(summary_file)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line for line in done.stdout.splitlines() if line.strip()}
    assert "passed" in rows["sales"] and "m-sales" in rows["sales"]
    assert "rejected (failed) at 2026-12-06T20:45:38+00:00" in rows["support"]
    assert "kept without passing (report mode)" in rows["newbie"]
    assert "not a Serving" not in done.stdout
    assert "support: 1 of 1 answer check(s) failed on model m-2" in done.stdout
    assert "### Answer checks" in summary_file.read_text()
    assert not (tmp_path / "state.json").exists(), "the export is removed"


def serving(name: str, *, mode: str = "enforce", **outputs: Any) -> dict[str, Any]:
    return {
        "urn": f"urn:pulumi:prod::caigunn-chatbots::{SERVING_TYPE}::{name}",
        "type": SERVING_TYPE,
        "outputs": {
            "mode": mode,
            "serving_model_id": f"m-{name}",
            "last_passed_at": "2026-12-06T20:44:17+00:00",
            "messages_spent": 0,
            "rejected": None,
            **outputs,
        },
    }


def test_a_nightly_job_asks_every_check_and_publishes_the_junit_report(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    flow = workflow()
    [cron] = flow["on"]["schedule"]
    assert len(cron["cron"].split()) == 5
    job = flow["jobs"]["answer-checks"]
    assert job["if"] == "github.event_name == 'schedule'"
    assert job["permissions"]["checks"] == "write", "the report becomes a check run"
    # Scheduled runs neither preview nor apply.
    assert "schedule" not in flow["jobs"]["up"]["if"]
    assert "pull_request" in flow["jobs"]["preview"]["if"]
    asked = step(job, id_="check")
    words = shlex.split(asked["run"])
    assert words[:4] == [".venv/bin/python", "-m", "caigunn_provider", "check"]
    report = words[words.index("--junit") + 1]
    # The flags are the command's own: its parser accepts them.
    monkeypatch.setattr(check, "run", lambda _work: 0)
    argv = [w.replace("$STACK", "prod") for w in words[4:]]
    assert check.main(argv) == 0
    publish = next(s for s in job["steps"] if "junit-report" in s.get("uses", ""))
    assert publish["with"]["report_paths"] == report
    assert publish["if"].startswith("always()"), "a failed check (exit 3) is what it must show"
    assert job["steps"].index(publish) > job["steps"].index(asked)
