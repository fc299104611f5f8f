"""examples/ci: the GitHub Actions recipe is a valid workflow that does what the README says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

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
    assert run_lines(up)[-1].startswith(".venv/bin/pulumi up ")
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
    cancel, apply = steps[-2], steps[-1]
    assert cancel["run"].startswith(".venv/bin/pulumi cancel ")
    assert cancel["if"] == "github.event_name == 'workflow_dispatch' && inputs.clear_lock"
    assert apply["run"].startswith(".venv/bin/pulumi up ")
    text = WORKFLOW.read_text()
    assert "It cannot run here" in text
    assert "the stack is currently locked by 1 lock(s)" in text
