"""The run pipeline: load the stack file, check the account, let each kind check and recover,
then declare and export. It names no resource kind: the entry point hands it the registered ones.

Runs in the program process. Every check happens before the first resource is declared, at
preview as at up: a failure stops the run with its message alone, and nothing is written.
"""

from __future__ import annotations

import functools
import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from typing import Any, TypeVar

import pulumi
from pulumi.runtime.config import is_config_secret

from caigunn_provider import account as accounts
from caigunn_provider import timings
from caigunn_provider.clean_stop import stop
from caigunn_provider.config import KEYS, TOKEN, ProviderConfig, resolve
from caigunn_provider.errors import CaiGunnError, StackFileError
from caigunn_provider.messages import plain_token
from caigunn_provider.program import provider_start, sdk_costs, stack_traces
from caigunn_provider.program.checkpoint import (
    Checkpoint,
    CheckpointError,
    read_ahead,
    this_stack,
)
from caigunn_provider.program.kind import Kind, Run
from caigunn_provider.stackfile import load_stack_file

STOPPED = "Stopped before changing anything:"
# What heads a list of problems: the stack file's, or those of a Python program's arguments.
INVALID_STACK_FILE = "invalid stack file"
INVALID_PROGRAM = "invalid program"
T = TypeVar("T")


def run(kinds: Sequence[Kind]) -> dict[str, Mapping[str, Any]]:
    """The stack-file program: stacks/<stack>.yaml declared; {section key: {name: resource}}.

    kinds are the registered kinds, handed over by the entry point (caigunn_provider.kinds).
    """
    timings.started("program")
    with timings.phase("load"):
        stack_file = stopping(
            lambda: load_stack_file(
                f"stacks/{pulumi.get_stack()}.yaml", [kind.section for kind in kinds]
            )
        )
    return declare_all(
        stack_file.path, {kind: stack_file.section(kind.section.key) for kind in kinds}
    )


def declare_all(
    source: str, entries: Mapping[Kind, Mapping[str, Any]], *, export: bool = True
) -> dict[str, Any]:
    """Check every kind's entries against the account and the state, then declare (and export).

    source names where the entries came from in messages (a stack file's path, or a program).
    """
    prepared = stopping(lambda: _prepare(source, entries))
    stack_traces.install()
    sdk_costs.install()
    declared: dict[str, Any] = {}
    with timings.phase("declare"):
        for kind, ready in prepared.items():
            declared[kind.section.key] = found = kind.declare(ready)
            if export:
                kind.export(found)
    return declared


def provider_config() -> ProviderConfig:
    """The provider's configuration, from the stack's `caigunn:` config, else the environment."""
    config = pulumi.Config("caigunn")
    resolved = resolve({key: config.get(key.split(":", 1)[1]) for key in KEYS}, os.environ)
    for warning in resolved.warnings:
        pulumi.log.warn(warning)
    if resolved.token_source == "config" and not is_config_secret(TOKEN[0]):
        # The engine tells the program which config keys are secret.
        pulumi.log.warn(plain_token(pulumi.get_stack()))
    return resolved


def _prepare(source: str, entries: Mapping[Kind, Mapping[str, Any]]) -> dict[Kind, Any]:
    config = provider_config()
    reading = read_ahead(this_stack())
    if any(entries.values()):
        provider_start.start()
    with timings.phase("account"):
        account = accounts.connect(config)
    try:
        context = Run(source, config, account, functools.cache(lambda: _checkpoint(reading)))
        with timings.phase("prepare"):
            return {kind: kind.prepare(context, specs) for kind, specs in entries.items()}
    finally:
        account.close()


def stopping(step: Callable[[], T], *, invalid: str = INVALID_STACK_FILE) -> T:
    """Run a step; an expected failure stops the run with its message alone (clean_stop.stop:
    no traceback, no "unhandled error", a non-zero exit status).

    invalid heads a list of problems: what holds them (a Python program says INVALID_PROGRAM,
    since it has no stack file).
    """
    try:
        return step()
    except StackFileError as exc:
        stop(f"{invalid}:\n{exc}")
    except CaiGunnError as exc:
        # A first line of its own: the engine echoes a message's first line in its progress
        # output, and the cause should be read once.
        stop(f"{STOPPED}\n{exc}")


def _checkpoint(reading: Future[Checkpoint]) -> Checkpoint | None:
    """The stack's checkpoint, or None (with a warning) when it cannot be read."""
    try:
        return reading.result()
    except (CheckpointError, OSError, subprocess.SubprocessError) as exc:
        pulumi.log.warn(
            f"could not read this stack's checkpoint ({exc}); a create interrupted by an "
            "earlier run cannot be detected, so it may be made a second time"
        )
        return None


def checkpoint_later() -> Callable[[], Checkpoint | None]:
    """The stack's checkpoint, read in the background from now on; the callable waits for it
    (once) and warns when it cannot be read. For a Python program's session, which checks its
    chatbots one call at a time (caigunn_provider.program.session)."""
    reading = read_ahead(this_stack())
    return functools.cache(lambda: _checkpoint(reading))
