"""The stack file: loaded and validated by caigunn_provider/stackfile/loader.py, every problem
reported as file:line: path: what.

The loader's names are imported on first use: the provider process imports this package's rules
(through the configuration) and never reads a stack file, so it does not load YAML.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from caigunn_provider.stackfile.model import StackFile
from caigunn_provider.stackfile.rules import (
    MAX_FILE_BYTES,
    MAX_NAME_LENGTH,
    MAX_TITLE_LENGTH,
    is_valid_logical_name,
)

if TYPE_CHECKING:
    from caigunn_provider.stackfile.loader import load_stack_file
    from caigunn_provider.stackfile.section import Section

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_NAME_LENGTH",
    "MAX_TITLE_LENGTH",
    "Section",
    "StackFile",
    "is_valid_logical_name",
    "load_stack_file",
]

_LOADED = {"Section": "section", "load_stack_file": "loader"}


def __getattr__(name: str) -> Any:
    if name in _LOADED:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LOADED[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
