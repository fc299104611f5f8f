"""Ends the Pulumi program with one error message and no "unhandled error" line from the engine."""

from __future__ import annotations

import sys
from typing import NoReturn

import pulumi

# The Python language host's code for "the program has reported its own error": it answers the
# engine with Bail instead of an error text, so the engine adds no "an unhandled error occurred"
# line, and `pulumi preview`/`up` still exit non-zero. The SDK's own executor uses it the same way.
ALREADY_REPORTED = 32


def stop(message: str) -> NoReturn:
    """Report message as the stack's error diagnostic and end the program, before anything more.

    The log call is a synchronous RPC, so the engine holds the message before the exit. The
    SystemExit passes through the SDK's runtime, which first waits for the resource registrations
    already sent (a stop after some resources were declared still lets those finish).
    """
    pulumi.log.error(message)
    sys.exit(ALREADY_REPORTED)
