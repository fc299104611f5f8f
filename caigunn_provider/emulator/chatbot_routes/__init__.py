"""The chatbot-level modules: every module of this package is one feature and names its
`ChatbotModule` `MODULE`, named as its file (see caigunn_provider/emulator/chatbot_module.py).
They are found here, in name order, so adding one is adding its file."""

from __future__ import annotations

import importlib
import pkgutil

from caigunn_provider.emulator.chatbot_module import ChatbotColumn, ChatbotModule


def _discover() -> tuple[ChatbotModule, ...]:
    found: list[ChatbotModule] = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        declared = getattr(module, "MODULE", None)
        if not isinstance(declared, ChatbotModule) or declared.name != info.name:
            raise TypeError(f"{module.__name__}: no ChatbotModule MODULE named {info.name!r}")
        found.append(declared)
    return tuple(found)


MODULES = _discover()
COLUMNS: tuple[ChatbotColumn, ...] = tuple(c for module in MODULES for c in module.columns)
