"""What `import caigunn_provider` offers a Pulumi program: declare() and declare_stack_file(),
wired to the registered kinds (the package's __init__ loads these names on first use).

Runs in the program process.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from caigunn_provider import kinds
from caigunn_provider.kinds.chatbot.args import PROGRAM, ChatbotArgs, to_specs
from caigunn_provider.kinds.chatbot.resource import Chatbot
from caigunn_provider.program import pipeline

__all__ = ["declare", "declare_stack_file"]


def declare(chatbots: Mapping[str, ChatbotArgs], *, export: bool = False) -> dict[str, Chatbot]:
    """Check, then declare one Chatbot per entry: {name: Chatbot}.

    The same safety as the stack-file path, in one call: the account and token are checked,
    plan names resolved, chatbots the run would update proven to exist, and a create that an
    interrupted run may have made is recovered rather than made twice. Any failure stops the
    run before a resource is declared, with the same one-sentence messages. export=True also
    exports the `chatbots` and `api_keys` stack outputs, as the stack-file path does.
    """
    kind = kinds.chatbot_kind()
    specs = pipeline.stopping(lambda: to_specs(chatbots))
    declared = pipeline.declare_all(PROGRAM, {kind: specs}, export=export)
    found: dict[str, Chatbot] = declared[kind.section.key]
    return found


def declare_stack_file() -> dict[str, Mapping[str, Any]]:
    """stacks/<stack>.yaml declared and exported, as this repository's own program does."""
    return pipeline.run(kinds.registered())
