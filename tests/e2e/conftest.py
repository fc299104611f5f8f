"""Fixtures for end-to-end tests: a real emulator and a real Pulumi project on a file backend."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from caigunn_provider.emulator.process import EmulatorProcess, emulator_process
from tests.e2e.pulumi_cli import ROOT, PulumiProject

TOKEN = "e2e-token-7f3a9c"
BASIC = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
PRO = "6b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


@dataclass
class Account:
    """The emulated CaiGunn account, seen from outside Pulumi (admin routes and the request log)."""

    emulator: EmulatorProcess

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = requests.request(
            method,
            self.emulator.base_url + path,
            headers={"caigunn-access-token": TOKEN},
            timeout=30,
            **kwargs,
        )
        response.raise_for_status()
        return response.json()

    def chatbots(self) -> dict[str, dict[str, Any]]:
        """The live (not deleted) chatbots by id."""
        rows = self._call("GET", "/_emulator/chatbots")["chatbots"]
        return {row["id"]: row for row in rows if not row["is_deleted"]}

    def create(self, title: str, plan_id: str = BASIC) -> str:
        """A chatbot made by hand (the seed way, so it works at both levels); its id."""
        answer = self._call(
            "POST", "/api/external/user/chatbot", params={"title": title, "plan_id": plan_id}
        )
        [row] = [bot for bot in self.chatbots().values() if bot["api_key"] == answer["api_key"]]
        return str(row["id"])

    def rename_out_of_band(self, chatbot_id: str, title: str) -> None:
        self._call("PATCH", f"/_emulator/chatbots/{chatbot_id}", json={"title": title})

    def delete_out_of_band(self, chatbot_id: str) -> None:
        self._call("DELETE", f"/_emulator/chatbots/{chatbot_id}")

    def set_knobs(self, **knobs: Any) -> None:
        self._call("PUT", "/_emulator/knobs", json=knobs)

    def requests(self, method: str | None = None) -> list[dict[str, Any]]:
        """The CaiGunn API calls made so far (admin calls are not logged)."""
        log = self.emulator.read_request_log()
        return [entry for entry in log if method is None or entry["method"] == method]


@pytest.fixture(params=["current", "seed"])
def level(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def account(level: str, tmp_path: Path) -> Iterator[Account]:
    log = tmp_path / "requests.jsonl"
    flags = ("--token", TOKEN, "--level", level, "--request-log", str(log))
    with emulator_process(*flags) as emulator:
        yield Account(emulator)


@pytest.fixture
def project(tmp_path: Path, account: Account) -> PulumiProject:
    """This repo's own program and Pulumi.yaml in a temp folder, configured for the account."""
    workdir = tmp_path / "project"
    (workdir / "stacks").mkdir(parents=True)
    shutil.copy(ROOT / "__main__.py", workdir / "__main__.py")
    shutil.copy(ROOT / "Pulumi.yaml", workdir / "Pulumi.yaml")
    (workdir / ".venv").symlink_to(ROOT / ".venv")
    stack = PulumiProject(workdir).init()
    stack.config_set("caigunn:accessToken", TOKEN, secret=True)
    stack.config_set("caigunn:apiUrl", account.emulator.base_url)
    return stack


def write_stack_file(project: PulumiProject, text: str) -> None:
    (project.workdir / "stacks" / f"{project.stack}.yaml").write_text(text)


def two_chatbots(support_title: str = "Support Desk", sales_plan: str = BASIC) -> str:
    return (
        "chatbots:\n"
        f"  support:\n    title: {support_title}\n    plan_id: {BASIC}\n"
        f"  sales:\n    title: Sales Assistant\n    plan_id: {sales_plan}\n"
    )
