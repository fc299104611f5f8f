"""Fixtures for end-to-end tests: this repo's program on the real engine against an emulator."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e.pulumi_cli import ROOT, PulumiProject
from tests.support import BASIC, Admin


def make_project(workdir: Path, admin: Admin, *, stack: str = "e2e") -> PulumiProject:
    """This repo's own program and Pulumi.yaml in workdir, configured for admin's emulator."""
    (workdir / "stacks").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "__main__.py", workdir / "__main__.py")
    shutil.copy(ROOT / "Pulumi.yaml", workdir / "Pulumi.yaml")
    (workdir / ".venv").symlink_to(ROOT / ".venv")
    project = PulumiProject(workdir, stack).init()
    project.config_set("caigunn:accessToken", admin.token, secret=True)
    project.config_set("caigunn:apiUrl", admin.base_url)
    return project


@pytest.fixture
def project(tmp_path: Path, admin: Admin) -> PulumiProject:
    """A project on a file backend whose stack points at the `admin` fixture's emulator."""
    return make_project(tmp_path / "project", admin)


def write_stack_file(project: PulumiProject, text: str) -> None:
    (project.workdir / "stacks" / f"{project.stack}.yaml").write_text(text)


def entry(name: str, title: str, plan_id: str = BASIC, **more: str) -> str:
    """One stack-file entry as YAML text."""
    extra = "".join(f"    {key.rstrip('_')}: {value}\n" for key, value in more.items())
    return f"  {name}:\n    title: {title}\n    plan_id: {plan_id}\n{extra}"


def two_chatbots(support_title: str = "Support Desk", sales_plan: str = BASIC) -> str:
    return "chatbots:\n" + entry("support", support_title) + entry("sales", "Sales", sales_plan)


def ids_by_name(project: PulumiProject) -> dict[str, str]:
    """Each resource's chatbot id, read from the state (stack outputs lag a refresh)."""
    return {name: str(res["id"]) for name, res in project.resources().items()}
