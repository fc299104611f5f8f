"""Stack outputs that survive a resource that failed: with `pulumi up --continue-on-error` (the
CI recipe's), an output of a failed resource would end the program with a traceback; it shows
as null instead, and the run still fails on that resource's own error.

Runs in the program process. SDKs older than the one pinned fault no output for a failed
resource (nor have Output.recover): there the value is handed on as it is.
"""

from __future__ import annotations

from typing import Any

import pulumi

try:
    from pulumi.runtime.stack import ResourceRegistrationFailed
except ImportError:  # an SDK before faulted outputs
    ResourceRegistrationFailed = None  # type: ignore[assignment,misc]


def settled(value: Any) -> Any:
    """value (an Output or a plain value), or None where its resource failed to register."""
    output = pulumi.Output.from_input(value)
    if ResourceRegistrationFailed is None or not hasattr(output, "recover"):
        return value

    def failed(exc: Exception) -> None:
        if isinstance(exc, ResourceRegistrationFailed):
            return None
        raise exc

    return output.recover(failed)
