"""The README's "Try it on the emulator", followed word for word on the real engine.

The section's ```sh blocks are read from README.md and run as written. The first one (it starts
the emulator) runs in a process of its own, as the user's first terminal; the others run in
order in one bash session, as the second terminal, stopping at the first command that fails.

Set beforehand, as a newcomer's machine would have it: the folder is a fresh clone after `make
setup` (the project's Pulumi.yaml and __main__.py, and a link to this clone's .venv); HOME is a
folder of the test's, and PULUMI_HOME its `.pulumi` (Pulumi finds its home through the user
database, not HOME), so that `pulumi login` writes there, not to the developer's ~/.pulumi; no
PULUMI_*/CAIGUNN_* variable of the developer's, and PULUMI_SKIP_UPDATE_CHECK (no network call).
The section names port 8765, as a user wants a fixed one: a lock makes two runs on one machine
take turns, and a port that something else holds fails the test, naming it.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.pulumi_cli import ROOT
from tests.support import Admin

pytestmark = pytest.mark.e2e

HEADING = "## Try it on the emulator"
PORT = 8765
EMULATOR = "python -m caigunn_provider emulator"
READY = "CaiGunn emulator listening on "


def section_blocks(readme: str) -> list[str]:
    """The ```sh blocks under HEADING, up to the next `## ` heading, in order."""
    start = readme.index(f"\n{HEADING}\n")
    end = readme.find("\n## ", start + 1)
    section = readme[start : end if end != -1 else len(readme)]
    return re.findall(r"^```sh\n(.*?)^```$", section, flags=re.MULTILINE | re.DOTALL)


@pytest.fixture
def port_8765() -> Iterator[None]:
    """The section's port, for this test alone (runs in other worktrees take turns)."""
    lock_path = Path(tempfile.gettempdir()) / f"caigunn-readme-emulator-{PORT}.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", PORT))
            except OSError as exc:
                pytest.fail(f"port {PORT}, which the README names, is in use here: {exc}")
        yield


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    folder = tmp_path / "clone"
    (folder / "stacks").mkdir(parents=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, folder / name)
    (folder / ".venv").symlink_to(ROOT / ".venv")
    return folder


def newcomer_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "CAIGUNN_"))}
    env.pop("VIRTUAL_ENV", None)
    env.update(HOME=str(home), PULUMI_HOME=str(home / ".pulumi"), PULUMI_SKIP_UPDATE_CHECK="true")
    return env


class FirstTerminal:
    """The emulator block, running until the test ends; its output is kept for messages."""

    def __init__(self, block: str, cwd: Path, env: dict[str, str]) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            ["bash", "-c", block],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: stopped below with the emulator
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def wait_ready(self, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines:
                if line.startswith(READY):
                    return line.removeprefix(READY).strip()
            assert self.process.poll() is None, "the emulator stopped:\n" + "".join(self.lines)
            time.sleep(0.1)
        raise AssertionError("the emulator did not start:\n" + "".join(self.lines))

    def stop(self) -> None:
        """Ctrl-C, as the section says; then whatever is left of its process group."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)


def test_the_readme_section_try_it_on_the_emulator_works_word_for_word(
    port_8765: None, clone: Path, tmp_path: Path
) -> None:
    blocks = section_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(blocks) >= 3, blocks
    first, rest = blocks[0], blocks[1:]
    assert EMULATOR in first and not any(EMULATOR in block for block in rest)
    env = newcomer_env(tmp_path / "home")
    (tmp_path / "home").mkdir()

    terminal = FirstTerminal(first, clone, env)
    try:
        url = terminal.wait_ready()
        assert url == f"http://127.0.0.1:{PORT}"
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-x", "-c", "\n".join(rest)],
            cwd=clone,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
        left = Admin(url, token="demo-token").chatbots()
    finally:
        terminal.stop()

    # The two api_keys printed by jq are the chatbots' own: support's, then the adopted one's.
    keys = [line for line in done.stdout.splitlines() if re.fullmatch(r"\S{16,}", line)]
    assert len(keys) == 2 and keys[0] != keys[1], done.stdout
    # destroy kept the adopted chatbot alone, and its key is the second one printed.
    assert [(row["title"], row["api_key"]) for row in left.values()] == [("Hand-made FAQ", keys[1])]
    assert "Added 1 entry to stacks/try.yaml. The next `pulumi up` adopts it" in done.stdout
    # The file names plans, so adopt wrote the plan's name too.
    assert (
        "  hand-made-faq:\n    title: Hand-made FAQ\n    plan: Basic\n"
        in (clone / "stacks" / "try.yaml").read_text()
    )
    assert (clone / "stacks" / "prompts" / "support.md").is_file()
    assert (tmp_path / "home" / ".pulumi" / "credentials.json").is_file()  # login stayed there
    assert "delete[retain]" in done.stdout
    assert terminal.process.returncode is not None
