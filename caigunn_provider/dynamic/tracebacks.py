"""Expected failures reach the user as their message alone, bugs keep their traceback.

Pulumi's Python dynamic-provider server (pulumi/dynamic/__main__.py, run as the provider
process's __main__) reports every exception a provider raises as `traceback.format_exc()`, and the
engine prints that text verbatim. That server looks `traceback` up as a module global at call
time, so the one seam that changes what it reports, without touching its gRPC handlers, is that
global: it is replaced here by a stand-in whose format_exc() gives a CaiGunnError's message alone
and a bug's full traceback plus a line saying where to report it.
tests/unit/test_tracebacks.py fails if a new SDK stops working this way.
"""

from __future__ import annotations

import sys
import traceback
from types import ModuleType
from typing import Any

from caigunn_provider.errors import CaiGunnError

BUG_LINE = (
    "This is a bug in the CaiGunn provider (caigunn_provider), not a problem with your stack "
    "file or account: please report it with the text above (README.md, 'Reporting a bug')."
)


class _Formatter:
    """Stands in for the `traceback` module inside the dynamic-provider server."""

    def __init__(self, real: ModuleType) -> None:
        self._real = real

    def format_exc(self, *args: Any, **kwargs: Any) -> str:
        exc = sys.exc_info()[1]
        if isinstance(exc, CaiGunnError):
            # A first line of its own: the engine echoes a message's first line in its progress
            # output, and the cause itself should be read once, in the diagnostics.
            return f"Could not {exc.operation or 'do that'}:\n{exc}"
        return f"{self._real.format_exc(*args, **kwargs)}\n{BUG_LINE}"

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def install(main: ModuleType | None = None) -> bool:
    """Install the formatter into the dynamic-provider server; False where that is not running."""
    server = main if main is not None else sys.modules.get("__main__")
    if server is None or not all(
        hasattr(server, name)
        for name in ("_abort_with_traceback", "DynamicResourceProviderServicer")
    ):
        return False
    current = getattr(server, "traceback", None)
    if isinstance(current, _Formatter):
        return True
    if current is not traceback:
        return False
    server.traceback = _Formatter(traceback)  # type: ignore[attr-defined]
    return True
