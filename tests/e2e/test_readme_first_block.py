"""The README's first block ("Stack files, in a clone of this repository") run as written, on a
machine whose Pulumi has never been logged in.

The block is read from README.md and run line by line in one bash session. Set beforehand, as a
newcomer's terminal would have it after `make setup` (which the test does not repeat: the folder
links this clone's .venv): HOME a folder of the test's and PULUMI_HOME its `.pulumi`, empty; no
PULUMI_*/CAIGUNN_* variable of the developer's. What a person types at the prompts, the test
gives by the means Pulumi documents for them: the passphrase as PULUMI_CONFIG_PASSPHRASE, the
"yes" of `pulumi up` as PULUMI_SKIP_CONFIRMATIONS, and the editor as EDITOR (a `cp` of the stack
file the person would write). The API is an emulator, through CAIGUNN_API_URL; the token is its.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.pulumi_cli import ROOT
from tests.support import emulator

pytestmark = pytest.mark.e2e

HEADING = "## Three ways in"
STACK_FILE = "chatbots:\n  support:\n    title: Support Desk\n    plan: Basic\n"


def first_block(readme: str) -> str:
    """The first ```sh block under HEADING."""
    start = readme.index(f"\n{HEADING}\n")
    found = re.search(r"^```sh\n(.*?)^```$", readme[start:], flags=re.MULTILINE | re.DOTALL)
    assert found, f"no ```sh block under {HEADING}"
    return found.group(1)


def test_the_readmes_first_block_works_on_a_fresh_machine(tmp_path: Path) -> None:
    block = first_block((ROOT / "README.md").read_text(encoding="utf-8"))
    assert "pulumi login" in block.split("pulumi stack init")[0], "log in before a stack"
    # After `make setup` in a fresh clone: the test does not build the virtualenv again.
    assert block.startswith("make setup && . .venv/bin/activate")
    script = block.replace("make setup && ", "", 1)

    clone, home = tmp_path / "clone", tmp_path / "home"
    (clone / "stacks").mkdir(parents=True)
    home.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, clone / name)
    (clone / ".venv").symlink_to(ROOT / ".venv")
    written = tmp_path / "prod.yaml"
    written.write_text(STACK_FILE)

    with emulator(token="first-block-token") as admin:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "CAIGUNN_"))}
        env.pop("VIRTUAL_ENV", None)
        env.update(
            HOME=str(home),
            PULUMI_HOME=str(home / ".pulumi"),
            PULUMI_SKIP_UPDATE_CHECK="true",
            PULUMI_CONFIG_PASSPHRASE="typed-at-the-prompt",
            PULUMI_SKIP_CONFIRMATIONS="true",
            EDITOR=f"cp {written}",
            CAIGUNN_API_URL=admin.base_url,
        )
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-x", "-c", script.replace("<token>", admin.token)],
            cwd=clone,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
        titles = [row["title"] for row in admin.chatbots().values()]

    assert titles == ["Support Desk"]
    # The login went to the newcomer's home, the state too, and the token is kept encrypted.
    assert (home / ".pulumi" / "credentials.json").is_file()
    assert list((home / ".pulumi" / "stacks").rglob("prod.json*"))
    config = (clone / "Pulumi.prod.yaml").read_text()
    assert "caigunn:accessToken:\n    secure:" in config and admin.token not in config
