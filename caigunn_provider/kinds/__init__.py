"""The resource kinds, one folder each; the run pipeline and the loader take them from here.

Adding a kind: its folder (section, spec, resource, provider, client operations, kind), then one
line in registered() below. docs/ARCHITECTURE.md walks through it. Nothing is imported at the
package's import, so that any part (the client's parsers, the emulator) may import a kind's
table without loading Pulumi.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from caigunn_provider.program.kind import Kind
    from caigunn_provider.stackfile.section import Section


def registered() -> tuple[Kind, ...]:
    """Every kind a stack file may declare, in the order they are declared."""
    from caigunn_provider.kinds.chatbot.kind import KIND as CHATBOT

    return (CHATBOT,)


def sections() -> tuple[Section, ...]:
    """The stack file's top-level keys, one per kind."""
    return tuple(kind.section for kind in registered())
