"""The fragments a kind inside a chatbot entry keeps in its folder (schema.json, docs.md), and
their places in the generated schema and docs/stack-file.md (caigunn_provider/kinds/generate.py).
"""

from __future__ import annotations

import inspect
import json
from functools import cached_property
from pathlib import Path
from typing import Any

__all__ = ["FolderFragments", "fragment_docs", "fragment_schema"]


def fragment_schema(module_file: str) -> dict[str, Any]:
    """The schema.json beside a kind's module: its `properties`, maybe `allOf` and `$defs`."""
    text = (Path(module_file).parent / "schema.json").read_text("utf-8")
    found: dict[str, Any] = json.loads(text)
    return found


def fragment_docs(module_file: str) -> str:
    """The docs.md beside a kind's module: its section of docs/stack-file.md."""
    return (Path(module_file).parent / "docs.md").read_text("utf-8")


class FolderFragments:
    """A kind's `schema` and `docs`, read on first use from its module's folder; it takes over
    no chatbot setting unless it says so (`takes`)."""

    takes: tuple[str, ...] = ()

    def export(self, declared: Any) -> None:
        """No stack output of its own unless it says so."""

    @cached_property
    def schema(self) -> dict[str, Any]:
        return fragment_schema(inspect.getfile(type(self)))

    @cached_property
    def docs(self) -> str:
        return fragment_docs(inspect.getfile(type(self)))
