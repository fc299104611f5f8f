"""CaiGunn chatbots as code: a Pulumi dynamic provider for CaiGunn chatbots.

For a Pulumi program:

    import caigunn_provider as caigunn
    support = caigunn.Chatbot(
        "support",
        title="Support Desk",
        plan="Basic",
        prompt="You answer questions about our shop.",
        knowledge=[{"text": "We open at nine."}, {"text_file": "docs/returns.md"}],
    )
    support.api_key  # a secret Output

`Chatbot` takes a stack-file entry's keys as keywords, checks them by the same rules, and checks
the account once a run (token, plans by name, recovery) before it declares the chatbot and what
its keywords declare under it (knowledge items and their model, webhook, Opentalk binding, answer
checks). `declare({name: ChatbotArgs(...)})` checks every entry before declaring any;
`declare_stack_file()` declares stacks/<stack>.yaml. The names load on first use, so that the
command line and the emulator do not load Pulumi.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from caigunn_provider.kinds.chatbot.args import ChatbotArgs
    from caigunn_provider.library import Chatbot, declare, declare_stack_file

__all__ = ["Chatbot", "ChatbotArgs", "declare", "declare_stack_file"]

_WHERE = {
    "Chatbot": "caigunn_provider.library",
    "ChatbotArgs": "caigunn_provider.kinds.chatbot.args",
    "declare": "caigunn_provider.library",
    "declare_stack_file": "caigunn_provider.library",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'caigunn_provider' has no attribute {name!r}")
