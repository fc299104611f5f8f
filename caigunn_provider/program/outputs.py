"""Stack outputs that survive a resource that failed: with `pulumi up --continue-on-error` (the
CI recipe's), an output of a failed resource would end the program with a traceback; it shows
as null instead, and the run still fails on that resource's own error.

Runs in the program process.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.runtime.stack import ResourceRegistrationFailed


def settled(value: Any) -> pulumi.Output[Any]:
    """value (an Output or a plain value), or None where its resource failed to register."""

    def failed(exc: Exception) -> None:
        if isinstance(exc, ResourceRegistrationFailed):
            return None
        raise exc

    return pulumi.Output.from_input(value).recover(failed)
