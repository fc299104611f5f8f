"""The `toys:` section of a stack file: each entry needs a label."""

from __future__ import annotations

from dataclasses import dataclass

from caigunn_provider.stackfile.checks import keyed
from caigunn_provider.stackfile.problems import Problems, key_path, show
from caigunn_provider.stackfile.section import CheckEntry
from caigunn_provider.stackfile.values import check_text
from caigunn_provider.stackfile.yamltree import Entry, Map
from tests.toykind.spec import ToySpec

MAX_LABEL = 40


def _check_toy(name: str, entry: Entry, problems: Problems) -> ToySpec | None:
    path = key_path("toys", name)
    if not isinstance(entry.value, Map):
        problems.add(
            entry.value_line, path, f"expected a mapping with a label (got {show(entry.value)})"
        )
        return None
    fields = keyed(entry.value, path, ("label",), problems)
    label = fields.get("label")
    if label is None:
        problems.add(entry.key_line, f"{path}.label", "missing (required)")
        return None
    text = check_text(
        label.value, label.value_line, f"{path}.label", problems, max_length=MAX_LABEL
    )
    if text is None:
        return None
    return ToySpec(name=name, label=text, line=entry.key_line, label_line=label.value_line)


@dataclass(frozen=True)
class ToySection:
    """The optional `toys:` key."""

    key: str = "toys"
    noun: str = "toy"
    required: bool = False
    max_entries: int = 100

    def checker(self, base_dir: str) -> CheckEntry:
        return _check_toy
