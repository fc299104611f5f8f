"""Chatbots from a Pulumi Python program and from the template (issues 22 and 30), on the real
engine against the emulator: caigunn.Chatbot(...) with its keywords checked and its knowledge
trained, and the package installed from its wheel the way a Pulumi user gets it."""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path

import pytest

from tests.e2e.conftest import make_project, two_chatbots, write_stack_file
from tests.e2e.package import build, fresh_virtualenv, wheel_of
from tests.e2e.pulumi_cli import ROOT, PulumiProject
from tests.e2e.test_errors import diagnostics
from tests.support import BASIC, Admin

pytestmark = pytest.mark.parametrize("level", ["current"])

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

    # The stack, two chatbots, the support desk's two knowledge items, its training and its
    # model, the .env file.
    assert first.changes == {"create": 8}, first.diagnostics
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

    assert second.changes == {"same": 8}, second.diagnostics


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


# --- caigunn.Chatbot(...) in a program of its own ------------------------------------------------

CHATBOT_TYPE = "pulumi-python:dynamic/caigunn:Chatbot"


def program(workdir: Path, admin: Admin, main: str) -> PulumiProject:
    """A project whose __main__.py is main (dedented), this repo's virtualenv, a stack on admin's
    emulator."""
    workdir.mkdir(parents=True)
    (workdir / "__main__.py").write_text(textwrap.dedent(main))
    shutil.copy(ROOT / "Pulumi.yaml", workdir / "Pulumi.yaml")
    (workdir / ".venv").symlink_to(ROOT / ".venv")
    project = PulumiProject(workdir).init()
    project.config_set("caigunn:accessToken", admin.token, secret=True)
    project.config_set("caigunn:apiUrl", admin.base_url)
    return project


def writes(admin: Admin) -> list[tuple[str, str]]:
    return [(r["method"], r.get("path", "")) for r in admin.requests() if r["method"] != "GET"]


def test_a_chatbot_with_a_plan_name_gets_a_secret_api_key(tmp_path: Path, admin: Admin) -> None:
    project = program(
        tmp_path / "plain",
        admin,
        """\
        import pulumi
        import caigunn_provider as caigunn

        support = caigunn.Chatbot("support", title="Support Desk", plan="Basic")
        pulumi.export("support_id", support.id)
        pulumi.export("support_api_key", support.api_key)
        """,
    )

    outcome = project.outcome("up")

    assert outcome.changes == {"create": 2}, outcome.diagnostics
    [row] = admin.chatbots().values()
    assert (row["title"], row["plan_id"]) == ("Support Desk", BASIC)
    outputs = project.outputs()
    assert outputs == {"support_id": row["id"], "support_api_key": "[secret]"}
    assert project.outputs(show_secrets=True)["support_api_key"] == row["api_key"]
    assert row["api_key"] not in project.export_text()
    # The stack-file path's resource: its type token, and a URN of the same shape.
    [(name, resource)] = project.resources().items()
    assert (name, resource["type"]) == ("support", CHATBOT_TYPE)
    assert resource["urn"].endswith(f"::{CHATBOT_TYPE}::support")


def test_a_chatbot_with_knowledge_is_trained_once_and_a_second_up_changes_nothing(
    tmp_path: Path, admin: Admin
) -> None:
    project = program(
        tmp_path / "knowledge",
        admin,
        """\
        import pulumi
        import caigunn_provider as caigunn

        support = caigunn.Chatbot(
            "support",
            title="Support Desk",
            plan="Basic",
            knowledge=[{"text": "Opening hours: Monday to Friday, 9:00 to 18:00."}],
        )
        pulumi.export("support_id", support.id)
        """,
    )

    first = project.outcome("up")

    # The stack, the chatbot, its knowledge item, the training and the model.
    assert first.changes == {"create": 5}, first.diagnostics
    chatbot_id = project.outputs()["support_id"]
    served = admin.call("GET", f"/api/external/user/chatbot/{chatbot_id}").json()
    [model] = project.resources(":Model").values()
    assert served["model"]["id"] == model["outputs"]["model_id"]
    [item] = project.resources(":KnowledgeItem").values()
    assert item["inputs"]["text"] == "Opening hours: Monday to Friday, 9:00 to 18:00."
    admin.clear_requests()

    second = project.outcome("up")

    assert second.changes == {"same": 5}, second.diagnostics
    assert writes(admin) == []


def test_a_misspelt_keyword_fails_with_the_keywords_chatbot_takes(
    tmp_path: Path, admin: Admin
) -> None:
    project = program(
        tmp_path / "typo",
        admin,
        """\
        import caigunn_provider as caigunn

        caigunn.Chatbot("support", title="Support Desk", plann="Basic")
        """,
    )

    said = project.run("preview", ok=False).stdout

    assert (
        "TypeError: Chatbot() got an unexpected keyword argument 'plann'; it takes: title, plan, "
        "plan_id, prompt, initial_messages, allowed_domains, main_color, "
    ) in said
    assert (
        "knowledge, model, webhook, opentalk, checks, checks_file, import_, protect, opts; "
        "did you mean 'plan'?"
    ) in said
    assert admin.requests() == []  # stopped before the account was even asked


def test_a_plan_no_account_has_stops_the_run_naming_the_program_and_writes_nothing(
    tmp_path: Path, admin: Admin
) -> None:
    project = program(
        tmp_path / "no-such-plan",
        admin,
        """\
        import caigunn_provider as caigunn

        caigunn.Chatbot("support", title="Support Desk", plan="NoSuch")
        caigunn.Chatbot("sales", title="Sales", plan="Basic")
        """,
    )

    outcome = project.outcome("up", ok=False)

    [said] = outcome.messages("error")
    assert said.splitlines() == [
        "invalid program:",
        "__main__.py:3: chatbots.support.plan: no plan named 'NoSuch' in this CaiGunn account "
        "(its plans: Basic, Enterprise, Pro)",
    ]
    assert "stack file" not in said
    assert (admin.chatbots(), writes(admin)) == ({}, [])
    assert project.resources() == {}


def test_bad_knowledge_stops_the_run_at_its_path_in_the_entry(tmp_path: Path, admin: Admin) -> None:
    project = program(
        tmp_path / "bad-knowledge",
        admin,
        """\
        import caigunn_provider as caigunn

        caigunn.Chatbot(
            "support",
            title="Support Desk",
            plan="Basic",
            knowledge=[{"text": "Opening hours: 9 to 6."}, {"text": ""}],
        )
        """,
    )

    outcome = project.outcome("preview", ok=False)

    [said] = outcome.messages("error")
    assert said.splitlines() == [
        "invalid program:",
        "__main__.py:3: chatbots.support.knowledge[1].text: must not be empty",
    ]
    assert admin.requests() == []  # the arguments are checked before the account is asked
