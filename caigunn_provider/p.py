"""The short names each kind's provider class is pickled under, in `__provider` of the state.

The Python SDK stores every resource's pickled provider in its state twice (inputs and outputs),
and the engine rewrites the whole state after each step. A class pickles by reference, as the path
of its module and its name; so this module's path is short and its names are one letter:
`caigunn_provider.p C` instead of `caigunn_provider.kinds.chatbot.provider ChatbotProvider`, about
90 bytes less per resource (docs/benchmark.md, "Issue 31, fifth pass").

The classes stay where they are; `dynamic/serialization.install` gives a class listed here the
name it is pickled under, and this module finds the class again when a pickle is loaded. States
written before name the long paths, which still load. A name here is never reused for another
class: a state holds it.
"""

from __future__ import annotations

import importlib

# The name in the pickle -> (the module, the class).
CLASSES: dict[str, tuple[str, str]] = {
    "C": ("caigunn_provider.kinds.chatbot.provider", "ChatbotProvider"),
    "I": ("caigunn_provider.kinds.knowledge.provider", "KnowledgeItemProvider"),
    "R": ("caigunn_provider.kinds.knowledge.rows", "KnowledgeRowsProvider"),
    "T": ("caigunn_provider.kinds.model.training", "TrainingProvider"),
    "M": ("caigunn_provider.kinds.model.provider", "ModelProvider"),
    "S": ("caigunn_provider.kinds.checks.serving", "ServingProvider"),
    "W": ("caigunn_provider.kinds.webhook.provider", "WebhookProvider"),
    "O": ("caigunn_provider.kinds.opentalk.provider", "OpentalkProvider"),
}


def short_name(cls: type) -> str | None:
    """The name `cls` is pickled under here, if it has one."""
    place = (cls.__module__, cls.__name__)
    return next((name for name, listed in CLASSES.items() if listed == place), None)


def __getattr__(name: str) -> type:
    """The class a pickle names (`caigunn_provider.p C`), from where it lives."""
    if name not in CLASSES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = CLASSES[name]
    found: type = getattr(importlib.import_module(module), attribute)
    return found
