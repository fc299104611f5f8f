"""What the SDK costs per resource in the program process, cut where it grows with the run.

Runs in the program process; install() is called once the run's checks have passed.

**The wait at exit.** Before the program ends, the SDK waits for every output task it made
(`pulumi.runtime.stack.wait_for_rpcs`). It does so with `asyncio.wait(FIRST_COMPLETED)` over all
the tasks still pending, again after each one ends: every pass adds and removes a callback on each
pending task, so a run of n resources pays in the order of n x n. At 180 resources (a knowledge
stack of 20 chatbots) that was 1.5 s of the program's CPU; at 1,000 chatbots, 335,000 callbacks,
taken from the engine and the provider on a small machine. Here each task gets one callback when
it is first seen, and the wait wakes when one ends: the same tasks awaited, the first failure
(other than the SDK's own ResourceRegistrationFailed marker) raised as soon as it is seen, and the
SDK's RPC loop unchanged.

**The debug lines.** The SDK's resource module sends four debug lines per resource to the engine
("registering resource", "resource registration prepared", ...), each a blocking round trip on
the program's event loop, for lines the engine shows only under `--debug`. They are not sent.

Each part replaces the SDK's own only where the SDK is the one it was written against (the names
it uses are there), and leaves it alone otherwise.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pulumi
from pulumi.runtime import resource, settings, stack

_ORIGINAL = stack.wait_for_rpcs


def install() -> None:
    """Use wait_for_rpcs below, and the resource module's log without debug lines, in this
    process (idempotent)."""
    needed = (
        hasattr(settings, "SETTINGS")
        and hasattr(settings, "_get_rpc_manager")
        and hasattr(stack, "ResourceRegistrationFailed")
    )
    if needed and stack.wait_for_rpcs is _ORIGINAL:
        stack.wait_for_rpcs = wait_for_rpcs
    if getattr(resource, "log", None) is pulumi.log:
        setattr(resource, "log", _WithoutDebug())  # noqa: B010 (not exported by the SDK)


class _WithoutDebug:
    """pulumi.log as the SDK's resource module sees it: the same, its debug lines aside."""

    def __getattr__(self, name: str) -> Any:
        return getattr(pulumi.log, name)

    @staticmethod
    def debug(*_args: Any, **_kwargs: Any) -> None:
        return None


async def wait_for_rpcs(await_all_outstanding_tasks: bool = True) -> None:
    """The SDK's wait_for_rpcs, with the outputs awaited by wait_for_outputs."""
    rpc_manager = settings._get_rpc_manager()
    while True:
        # As the SDK does: each RPC in turn, so that this blocks rather than busy-waits.
        while len(rpc_manager.rpcs) > 0:
            await asyncio.sleep(0)
            try:
                await rpc_manager.rpcs.pop()
            except Exception as exn:
                if rpc_manager.unhandled_exception is not None:
                    cause = rpc_manager.unhandled_exception.with_traceback(
                        rpc_manager.exception_traceback
                    )
                    raise exn from cause
                raise
        if rpc_manager.unhandled_exception is not None:
            raise rpc_manager.unhandled_exception.with_traceback(rpc_manager.exception_traceback)
        if await_all_outstanding_tasks:
            await wait_for_outputs()
        if len(rpc_manager.rpcs) == 0:
            break


async def wait_for_outputs() -> None:
    """Until every output task the SDK holds (SETTINGS.outputs, which grows meanwhile) has ended;
    the first that failed (or was cancelled) raises here, a ResourceRegistrationFailed aside."""
    config = settings.SETTINGS
    pending: set[asyncio.Task[Any]] = set()
    failed: list[asyncio.Task[Any]] = []
    ended = asyncio.Event()

    def on_done(task: asyncio.Task[Any]) -> None:
        pending.discard(task)
        if task.cancelled() or (
            task.exception() is not None
            and not isinstance(
                # The SDK faults a failed registration's outputs with its marker: the engine has
                # reported that failure already, and the SDK's own wait lets it pass too.
                task.exception(),
                stack.ResourceRegistrationFailed,
            )
        ):
            failed.append(task)
        ended.set()

    while True:
        with config.lock:
            fresh = list(config.outputs)
            config.outputs.clear()
        for task in fresh:
            if task not in pending:
                pending.add(task)
                task.add_done_callback(on_done)
        if failed:
            await failed[0]  # raises its exception (or CancelledError)
        if not pending:
            with config.lock:
                if not config.outputs:
                    return
            continue
        ended.clear()
        await ended.wait()
