"""The stack-file corpus under tests/data/stack-files: its cases, built into real files."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from caigunn_provider.stackfile.yamltree import Map, Seq

CORPUS = Path(__file__).resolve().parents[1] / "data" / "stack-files"
ROOT = Path(__file__).resolve().parents[2]
# Where a case's stack file is written, relative to the test's working directory.
STACK = "stacks/dev.yaml"


@dataclass(frozen=True)
class Case:
    """One bad stack file: its bytes, the files beside it, the exact problems it must produce."""

    name: str
    shape: bool
    source: bytes
    files: dict[str, bytes]
    expected: list[str]

    def write(self, where: Path) -> None:
        """Lay the case out under where: stacks/dev.yaml and its files, relative to stacks/."""
        stack = where / STACK
        stack.parent.mkdir(parents=True, exist_ok=True)
        stack.write_bytes(self.source)
        for relative, content in self.files.items():
            target = stack.parent / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)


def blob(spec: str | dict[str, Any]) -> bytes:
    """Bytes from a recipe: a string (UTF-8), or {text | repeat | size, encoding}."""
    if isinstance(spec, str):
        return spec.encode("utf-8")
    if "repeat" in spec:
        repeat = spec["repeat"]
        body = "".join(repeat["body"].replace("{n}", str(n)) for n in range(repeat["times"]))
        text = repeat.get("head", "") + body + repeat.get("tail", "")
    elif "size" in spec:
        text = "a" * spec["size"]
    else:
        text = spec["text"]
    encoded: bytes = text.encode(spec.get("encoding", "utf-8"))
    return encoded


def load_cases() -> list[Case]:
    manifest = tomllib.loads((CORPUS / "cases.toml").read_text(encoding="utf-8"))
    cases = []
    for raw in manifest["case"]:
        name = raw["name"]
        committed = CORPUS / "bad" / f"{name}.yaml"
        source = blob(raw["stack"]) if "stack" in raw else committed.read_bytes()
        cases.append(
            Case(
                name=name,
                shape=raw.get("shape", False),
                source=source,
                files={path: blob(spec) for path, spec in raw.get("files", {}).items()},
                expected=(CORPUS / "bad" / f"{name}.expected").read_text("utf-8").splitlines(),
            )
        )
    return cases


def plain(value: object) -> object:
    """A parsed stack file as JSON-like data, for the JSON Schema (first of duplicate keys wins)."""
    if isinstance(value, Map):
        result: dict[str, object] = {}
        for entry in value.entries:
            result.setdefault(str(entry.key), plain(entry.value))
        return result
    if isinstance(value, Seq):
        return [plain(item.value) for item in value.items]
    return value
