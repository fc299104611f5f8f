"""The resource kinds, one folder each: the registry the entry point hands to the pipeline and
the loader (neither imports it).

Adding a kind: its folder, then one line below, in ENTRY_KINDS for a kind that lives inside a
chatbot entry (knowledge, webhook, opentalk), or in registered() for a top-level section.
docs/ARCHITECTURE.md walks through both. Nothing is imported at the package's import, and the
stack-file side of every kind loads without Pulumi, so that the command line and the emulator
may use a kind's tables and checks without loading the Pulumi SDK.
"""

from __future__ import annotations

import functools
import importlib
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from caigunn_provider.kinds.chatbot.kind import ChatbotKind
    from caigunn_provider.kinds.chatbot.section import ChatbotSection
    from caigunn_provider.program.kind import EntryKind, Kind
    from caigunn_provider.stackfile.model import StackFile
    from caigunn_provider.stackfile.section import Section

# The kinds inside a chatbot entry, in the order they are declared (each folder's kind.py KIND).
ENTRY_KINDS = (
    "knowledge",
    "webhook",
    "opentalk",
    "checks",
)


@functools.cache
def entry_kinds() -> tuple[EntryKind, ...]:
    """Every kind that lives inside a chatbot entry, in ENTRY_KINDS' order."""
    return tuple(
        importlib.import_module(f"caigunn_provider.kinds.{name}.kind").KIND for name in ENTRY_KINDS
    )


def chatbot_section() -> ChatbotSection:
    """The `chatbots:` section, with every entry kind's keys (no Pulumi loaded)."""
    from caigunn_provider.kinds.chatbot.section import ChatbotSection

    return ChatbotSection(entry_kinds())


@functools.cache
def chatbot_kind() -> ChatbotKind:
    """The Chatbot kind of the run pipeline, declaring every entry kind under its chatbots."""
    from caigunn_provider.kinds.chatbot.kind import ChatbotKind

    return ChatbotKind(chatbot_section())


def registered() -> tuple[Kind, ...]:
    """Every top-level kind a stack file may declare, in the order they are declared."""
    return (chatbot_kind(),)


def sections() -> tuple[Section, ...]:
    """The stack file's top-level keys, one per kind (no Pulumi loaded)."""
    return (chatbot_section(),)


def load_stack_file(path: str | os.PathLike[str]) -> StackFile:
    """A stack file read and checked against every registered kind (stackfile.load_stack_file)."""
    from caigunn_provider.stackfile import load_stack_file as load

    return load(path, sections())
