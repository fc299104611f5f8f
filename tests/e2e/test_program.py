"""Chatbots from a Pulumi Python program and from the template (issue 22), on the real engine
against the emulator, with the package installed from its wheel the way a Pulumi user gets it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import make_project, two_chatbots, write_stack_file
from tests.e2e.package import build, fresh_virtualenv, wheel_of
from tests.e2e.pulumi_cli import ROOT, PulumiProject
from tests.e2e.test_errors import diagnostics
from tests.support import BASIC, Admin

EXAMPLE = ROOT / "examples" / "program"
TEMPLATE = ROOT / "templates" / "chatbots"
# Appended to the example's copy: which virtualenv ran the program, and where the package came
# from (the wheel's install, never this source tree).
PROBE = (
    "\nimport sys as _sys\n"
    "pulumi.export('ran_in', _sys.prefix)\n"
    "pulumi.export('provider_from', caigunn.__file__)\n"
)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding this project's wheel, as `make dist` builds it."""
    outdir = tmp_path_factory.mktemp("dist")
    build(outdir, "--wheel")
    return outdir


def example_project(workdir: Path, admin: Admin, venv: Path | None = None) -> PulumiProject:
    """A copy of examples/program, its virtualenv `venv` (default: this repo's), a stack on
    admin's emulator."""
    shutil.copytree(EXAMPLE, workdir, ignore=shutil.ignore_patterns("venv", "*.env"))
    if venv is None:
        (workdir / "venv").symlink_to(ROOT / ".venv")
    project = PulumiProject(workdir).init()
    project.config_set("caigunn:accessToken", admin.token, secret=True)
    project.config_set("caigunn:apiUrl", admin.base_url)
    return project


@pytest.mark.parametrize("level", ["current"])
def test_a_program_run_from_the_installed_wheel_passes_secret_api_keys_to_a_website_env_file(
    tmp_path: Path, admin: Admin, dist: Path
) -> None:
    workdir = tmp_path / "website"
    shutil.copytree(EXAMPLE, workdir, ignore=shutil.ignore_patterns("venv", "*.env"))
    with (workdir / "__main__.py").open("a") as main:
        main.write(PROBE)
    venv = workdir / "venv"  # the one Pulumi.yaml names: runtime.options.virtualenv
    fresh_virtualenv(venv, wheel_of(sorted(dist.iterdir())))
    project = PulumiProject(workdir).init()
    project.config_set("caigunn:accessToken", admin.token, secret=True)
    project.config_set("caigunn:apiUrl", admin.base_url)

    first = project.outcome("up")

    assert first.changes == {"create": 4}, first.diagnostics
    bots = {row["title"]: row for row in admin.chatbots().values()}
    assert sorted(bots) == ["Sales Assistant", "Support Desk"]
    support_key = bots["Support Desk"]["api_key"]
    env_file = (workdir / "website.env").read_text()
    assert f"SUPPORT_CHATBOT_API_KEY={support_key}\n" in env_file
    assert f"SALES_CHATBOT_API_KEY={bots['Sales Assistant']['api_key']}\n" in env_file
    assert (workdir / "website.env").stat().st_mode & 0o077 == 0
    outputs = project.outputs()
    assert outputs["support_api_key"] == "[secret]"
    assert project.outputs(show_secrets=True)["support_api_key"] == support_key
    assert outputs["ran_in"] == str(venv)
    assert Path(outputs["provider_from"]).is_relative_to(venv)
    assert support_key not in project.export_text()  # the .env values are a secret in the state

    second = project.outcome("up")

    assert second.changes == {"same": 4}, second.diagnostics


@pytest.mark.parametrize("level", ["current"])
def test_pulumi_new_from_the_template_makes_a_project_that_pulumi_up_applies(
    tmp_path: Path, admin: Admin, dist: Path
) -> None:
    maker = PulumiProject(tmp_path / "maker", "dev")
    # Offline: pip finds the wheel in a folder (templates/chatbots/requirements.txt says how).
    maker.env["PIP_FIND_LINKS"] = " ".join(
        filter(None, [str(dist), os.environ.get("PIP_FIND_LINKS", "")])
    )
    workdir = tmp_path / "website-bots"
    maker.run(
        "new", str(TEMPLATE), "--yes", "--dir", str(workdir), "--name", "website-bots",
        "--stack", "dev", "--config", f"caigunn:apiUrl={admin.base_url}",
    )  # fmt: skip
    project = PulumiProject(workdir, "dev")
    project.env = maker.env
    project.config_set("caigunn:accessToken", admin.token, secret=True)

    outcome = project.outcome("up")

    assert outcome.changes == {"create": 3}, outcome.diagnostics
    assert sorted((row["title"], row["plan_id"]) for row in admin.chatbots().values()) == [
        ("Sales Assistant", BASIC),
        ("Support Desk", BASIC),
    ]
    assert project.outputs()["api_keys"] == "[secret]"
    assert (workdir / "venv" / "bin" / "python").exists()  # Pulumi.yaml's virtualenv, made by new
    assert admin.token not in (workdir / "Pulumi.dev.yaml").read_text()


@pytest.mark.parametrize("level", ["current"])
def test_a_wrong_token_stops_a_programs_preview_with_the_stack_file_paths_sentence(
    tmp_path: Path, admin: Admin
) -> None:
    program = example_project(tmp_path / "website", admin)
    program.config_set("caigunn:accessToken", "wrong-token-5d1e", secret=True)
    stack_files = make_project(tmp_path / "stack-files", admin)
    write_stack_file(stack_files, two_chatbots())
    stack_files.config_set("caigunn:accessToken", "wrong-token-5d1e", secret=True)

    from_program = program.run("preview", ok=False).stdout
    from_stack_file = stack_files.run("preview", ok=False).stdout

    cause = (
        f"CaiGunn refused the access token (GET {admin.base_url}/api/external/user/plan "
        "answered 401: Invalid caigunn-access-token)."
    )
    assert from_program.count(cause) == 1, from_program
    assert list(diagnostics(from_program).values()) == list(diagnostics(from_stack_file).values())
    assert "Traceback" not in from_program
    assert admin.chatbots() == {}
    assert not (program.workdir / "website.env").exists()
