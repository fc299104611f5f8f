"""The canary leak scan's tools: a project that records what the engine printed, and the scanner."""

from __future__ import annotations

import base64
import gzip
import os
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from secrets import token_hex

from tests.e2e.conftest import make_project
from tests.e2e.pulumi_cli import Outcome, PulumiProject
from tests.support import Admin

# What every api_key starts with in a leak test (the emulator's --api-key-prefix).
API_KEY_PREFIX = "CANARY-KEY-"
GZIP_MAGIC = b"\x1f\x8b"
# The engine's automatic logs of stack commands, encrypted with the stack's secrets provider.
ENCRYPTED_LOG_MAGIC = b"PLOG"


def canary(kind: str) -> str:
    """A token no run has seen before, which says what it is wherever it turns up."""
    return f"CANARY-{kind}-{token_hex(8)}"


class RecordingProject(PulumiProject):
    """A project that keeps what every command printed and whose engine keeps its temporary
    files inside the project folder, so that a scan of the folder sees them too."""

    def __init__(self, workdir: Path, stack: str = "e2e") -> None:
        super().__init__(workdir, stack)
        self.temp = workdir / ".tmp"
        self.temp.mkdir(parents=True, exist_ok=True)
        # TMPDIR is where the engine writes its -v log files (glog) and plugins their own.
        # PULUMI_DEBUG_COMMANDS only unlocks commands: set to show that it leaks nothing.
        self.env.update(TMPDIR=str(self.temp), PULUMI_DEBUG_COMMANDS="true")
        self.printed: list[tuple[str, str]] = []
        self.shown_secrets: list[str] = []
        self.messages: list[str] = []

    def run(self, *args: str, ok: bool | None = True) -> subprocess.CompletedProcess[str]:
        done = super().run(*args, ok=ok)
        # Named by the command only: a `config set` line ends with the token itself.
        label = f"#{len(self.printed) // 2 + 1} pulumi {' '.join(args[:2])}"
        if "--show-secrets" in args:
            # The one place where secrets are asked for, and so are allowed.
            self.shown_secrets.append(done.stdout)
            self.printed.append((f"{label}: stdout not scanned (--show-secrets)", ""))
        else:
            self.printed.append((f"{label}: stdout", done.stdout))
        self.printed.append((f"{label}: stderr", done.stderr))
        return done

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = super().cli(*args)
        label = f"#{len(self.printed) // 2 + 1} python -m caigunn_provider {' '.join(args[:2])}"
        self.printed.append((f"{label}: stdout", done.stdout))
        self.printed.append((f"{label}: stderr", done.stderr))
        return done

    def outcome(self, *args: str, ok: bool | None = True) -> Outcome:
        result = super().outcome(*args, ok=ok)
        # The messages decoded from the JSON events, as a user reads them.
        self.messages.extend(d["message"] for d in result.diagnostics)
        return result


def recording_project(workdir: Path, admin: Admin) -> RecordingProject:
    """This repo's program in workdir, configured for admin's emulator, recording every command."""
    project = make_project(workdir, admin, kind=RecordingProject)
    assert isinstance(project, RecordingProject)
    return project


def base64_forms(secret: bytes) -> list[bytes]:
    """Base64 text that encodes secret wherever it starts in the encoded bytes (the engine logs
    some values as base64 protobuf): the middle of its encoding at each of the three alignments,
    in both alphabets; the first and last four characters also encode neighbouring bytes."""
    forms = []
    for shift in range(3):
        padded = b"\0" * shift + secret
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            forms.append(encode(padded)[4:-4])
    return forms


@dataclass
class LeakScan:
    """Searches artifacts for canaries, as text and as base64; counts what it searched."""

    needles: dict[bytes, str]
    artifacts: int = 0
    scanned_bytes: int = 0
    encrypted_logs: int = 0
    hits: list[str] = field(default_factory=list)

    @classmethod
    def for_canaries(
        cls, tokens: Iterable[str], api_keys: Iterable[str], parts: Mapping[str, str] | None = None
    ) -> LeakScan:
        """A scan for these tokens and api_keys, and for any text with the api_key prefix; parts:
        more text that only a piece of a secret can hold (a canary's prefix), with what it is."""
        needles = {API_KEY_PREFIX.encode(): "an api_key"}
        needles.update({part.encode(): what for part, what in (parts or {}).items()})
        for what, secrets in (("a token", tokens), ("an api_key", api_keys)):
            for secret in secrets:
                needles[secret.encode()] = what
                needles.update(
                    {form: f"{what} in base64" for form in base64_forms(secret.encode())}
                )
        return cls(needles)

    def scan(self, artifact: str, content: str | bytes) -> None:
        data = content.encode() if isinstance(content, str) else content
        if data.startswith(GZIP_MAGIC):  # the engine's automatic logs of commands without a stack
            data = gzip.decompress(data)
            artifact += " (gunzipped)"
        elif data.startswith(ENCRYPTED_LOG_MAGIC):
            self.encrypted_logs += 1
        self.artifacts += 1
        self.scanned_bytes += len(data)
        self.hits.extend(
            f"{artifact}: {what}" for needle, what in self.needles.items() if needle in data
        )

    def scan_folder(self, root: Path) -> None:
        """Every file under root; symbolic links (the project's .venv) are not followed."""
        for folder, _, names in os.walk(root):
            for name in names:
                path = Path(folder, name)
                if not path.is_symlink():
                    self.scan(str(path.relative_to(root)), path.read_bytes())

    def scan_run(self, project: RecordingProject) -> None:
        """What a recording project's commands printed, the messages of their events, and every
        file under its folder."""
        for artifact, printed in project.printed:
            if printed:  # an empty stream is no artifact (nor is unscanned --show-secrets output)
                self.scan(artifact, printed)
        for number, message in enumerate(project.messages, 1):
            self.scan(f"message {number}", message)
        self.scan_folder(project.workdir)

    def summary(self, what: str) -> str:
        return (
            f"leak scan ({what}): {self.artifacts} artifacts, {self.scanned_bytes} bytes, "
            f"{len(self.hits)} hits ({self.encrypted_logs} of the artifacts are automatic logs "
            "encrypted by the engine)"
        )


def plant_tokens(root: Path, tokens: Iterable[str]) -> list[str]:
    """Write each token into two new files under root, one as text and one as base64 protobuf
    (a field tag, a length, the token: the way the engine logs it); the hits a scan of root for
    them must then report, in no order."""
    folder = root / "planted-canaries"
    folder.mkdir()
    expected = []
    for number, token in enumerate(tokens):
        secret = token.encode()
        (folder / f"token-{number}.txt").write_text(f"config: {token}\n")
        # The field's tag and length shift the token by two bytes, then by one more each time.
        encoded = base64.b64encode(b"\x1a" * (number % 3) + b"\n" + bytes([len(secret)]) + secret)
        (folder / f"token-{number}.b64").write_bytes(encoded)
        expected += [
            f"planted-canaries/token-{number}.txt: a token",
            f"planted-canaries/token-{number}.b64: a token in base64",
        ]
    return expected
