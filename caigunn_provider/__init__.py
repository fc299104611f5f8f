"""CaiGunn chatbots as code: a Pulumi dynamic provider for CaiGunn chatbots.

For a Pulumi program:

    import caigunn_provider as caigunn
    bots = caigunn.declare({"support": caigunn.ChatbotArgs(title="Support Desk", plan="Pro")})
    bots["support"].api_key  # a secret Output

`declare()` checks first (token, plans, recovery); `Chatbot` is the resource itself;
`declare_stack_file()` declares stacks/<stack>.yaml. The names load on first use, so that the
command line and the emulator do not load Pulumi.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from caigunn_provider.kinds.chatbot.args import ChatbotArgs
    from caigunn_provider.kinds.chatbot.resource import Chatbot
    from caigunn_provider.library import declare, declare_stack_file

__all__ = ["Chatbot", "ChatbotArgs", "declare", "declare_stack_file"]

_WHERE = {
    "Chatbot": "caigunn_provider.kinds.chatbot.resource",
    "ChatbotArgs": "caigunn_provider.kinds.chatbot.args",
    "declare": "caigunn_provider.library",
    "declare_stack_file": "caigunn_provider.library",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'caigunn_provider' has no attribute {name!r}")
