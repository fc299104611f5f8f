"""Adds entries to a stack file through a round-trip YAML library, so the user's text stays.

ruamel.yaml keeps comments, key order, quotes and blank lines. Indentation it applies file-wide,
so the settings are chosen that reproduce the file exactly as it is before anything is added;
the new text is then checked with the stack-file loader before it replaces the file.
"""

from __future__ import annotations

import io
import itertools
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import SingleQuotedScalarString

from caigunn_provider.cli.common import CliError
from caigunn_provider.errors import StackFileError
from caigunn_provider.kinds import load_stack_file

BOM = "\ufeff"
# Long titles stay on one line: folding them would change nothing but make diffs noisy.
WIDTH = 4096


@dataclass(frozen=True)
class NewEntry:
    """One entry to add: `name: {title, plan_id, import}`; plan is the plan's name, if known.

    by_name writes `plan: <name>` instead of the plan_id (for a file whose entries name plans).
    """

    name: str
    chatbot_id: str
    title: str
    plan_id: str
    plan: str | None = None
    by_name: bool = False

    @property
    def plan_key(self) -> tuple[str, str]:
        """The plan as the entry states it: ("plan", name) or ("plan_id", id)."""
        if self.by_name and self.plan is not None:
            return "plan", self.plan
        return "plan_id", self.plan_id


@dataclass(frozen=True)
class Edited:
    """A stack file's new text, and whether its layout could be kept exactly."""

    text: str
    layout_kept: bool


def add_entries(text: str, entries: Sequence[NewEntry]) -> Edited:
    """text with entries appended to its `chatbots` mapping; CliError if it cannot hold them."""
    bom = BOM if text.startswith(BOM) else ""
    body = text.removeprefix(BOM)
    yaml_rt, layout_kept = _round_tripper(body)
    data = _load(yaml_rt, body)
    if data is None:
        # Only comments (or nothing): the key is added as text, so that the comments stay.
        separator = "\n" if body and not body.endswith("\n") else ""
        body = f"{body}{separator}chatbots:\n"
        data = _load(yaml_rt, body)
    if not isinstance(data, CommentedMap):
        raise CliError("the stack file is not a mapping with a `chatbots` key")
    chatbots = data.get("chatbots")
    if chatbots is None:
        chatbots = data["chatbots"] = CommentedMap()
    if not isinstance(chatbots, CommentedMap):
        raise CliError("the stack file's `chatbots` is not a mapping")
    # `chatbots: {}` is a flow mapping; entries added to it must be written as blocks.
    chatbots.fa.set_block_style()
    for entry in entries:
        chatbots[entry.name] = entry_map(entry)
    return Edited(bom + _dump(yaml_rt, data), layout_kept)


def entry_map(entry: NewEntry) -> CommentedMap:
    """An entry as YAML: title, plan (its name) or plan_id (the name as a comment), import."""
    fields = CommentedMap()
    fields["title"] = _string(entry.title)
    key, value = entry.plan_key
    fields[key] = _string(value) if key == "plan" else value
    fields["import"] = entry.chatbot_id
    # A plan name that is not one printable line could end the comment and start YAML.
    if key == "plan_id" and entry.plan and entry.plan.isprintable():
        fields.yaml_add_eol_comment(entry.plan, "plan_id")
    return fields


def render(entries: Sequence[NewEntry]) -> str:
    """The entries as they would be written, under `chatbots:`."""
    return add_entries("chatbots:\n", entries).text


def refused(entries: Iterable[NewEntry]) -> dict[str, str]:
    """{chatbot id: the loader's reason} for entries a stack file cannot hold (a bad title)."""
    reasons: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="caigunn-adopt-") as folder:
        path = Path(folder) / "entry.yaml"
        for entry in entries:
            path.write_text(render([entry]), encoding="utf-8")
            try:
                load_stack_file(path)
            except StackFileError as exc:
                reasons[entry.chatbot_id] = "; ".join(_without_place(p) for p in exc.problems)
    return reasons


def write_checked(path: Path, text: str, shown: str, entries: Sequence[NewEntry]) -> None:
    """Replace path with text, once the loader accepts it and reads every new entry back."""
    temporary = path.with_name(f".{path.name}.adopt.tmp")
    try:
        temporary.write_bytes(text.encode("utf-8"))
        try:
            loaded = load_stack_file(temporary)
        except StackFileError as exc:
            problems = "\n".join(p.replace(str(temporary), shown) for p in exc.problems)
            raise CliError(
                f"the entries were not added: with them {shown} would be invalid:\n{problems}"
            ) from exc
        for entry in entries:
            spec = loaded.section("chatbots").get(entry.name)
            key, value = entry.plan_key
            if spec is None or (spec.title, getattr(spec, key)) != (entry.title, value):
                raise CliError(
                    f"the entries were not added: chatbots.{entry.name} would not read back as "
                    "written (please report this as a bug)"
                )
        if path.exists():
            shutil.copymode(path, temporary)  # a file the team made group-writable stays so
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _load(yaml_rt: YAML, text: str) -> Any:
    try:
        return yaml_rt.load(text)
    except YAMLError as exc:
        raise CliError(f"the stack file is not YAML that can be edited: {exc}") from exc


def _round_tripper(text: str) -> tuple[YAML, bool]:
    """A ruamel.yaml set up to reproduce text exactly, if any usual indentation does."""
    for mapping, sequence, offset in _layouts():
        candidate = _yaml(mapping, sequence, offset, explicit_start=text.startswith("---"))
        try:
            if _dump(candidate, candidate.load(text)) == text:
                return candidate, True
        except YAMLError:
            break
    return _yaml(2, 2, 0, explicit_start=text.startswith("---")), False


def _layouts() -> Iterable[tuple[int, int, int]]:
    # (mapping indent, sequence indent, dash offset), the most common first.
    yield from ((2, 2, 0), (2, 4, 2), (4, 4, 0), (4, 4, 2), (4, 6, 4), (3, 3, 0), (3, 5, 2))
    for mapping, sequence in itertools.product((2, 3, 4, 8), (2, 3, 4, 6, 8)):
        for offset in range(0, sequence - 1):
            yield mapping, sequence, offset


def _yaml(mapping: int, sequence: int, offset: int, *, explicit_start: bool) -> YAML:
    yaml_rt = YAML()
    yaml_rt.preserve_quotes = True
    yaml_rt.width = WIDTH
    yaml_rt.indent(mapping=mapping, sequence=sequence, offset=offset)
    yaml_rt.explicit_start = explicit_start
    return yaml_rt


def _dump(yaml_rt: YAML, data: Any) -> str:
    stream = io.StringIO()
    yaml_rt.dump(data, stream)
    return stream.getvalue()


def _string(text: str) -> str:
    # ruamel.yaml quotes by YAML 1.2 rules; a YAML 1.1 reader takes `yes`, `off` or `1_000` for
    # other types, so a title or plan name that 1.1 would not read back as itself is quoted.
    try:
        plain_ok = yaml.safe_load(text) == text
    except yaml.YAMLError:
        plain_ok = False
    return text if plain_ok else SingleQuotedScalarString(text)


def _without_place(problem: str) -> str:
    """A loader problem without its `file:line: chatbots.<name>.` prefix."""
    rest = problem.split(": ", 1)[-1]
    return rest.split(".", 2)[-1] if rest.startswith("chatbots.") else rest
