"""The program's wait for its outputs at exit (caigunn_provider.program.sdk_costs): the SDK's
tasks, awaited as the SDK awaits them, with one callback per task."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine, Iterator
from typing import Any

import pulumi
import pytest
from pulumi.runtime import resource, settings, stack

from caigunn_provider.program import sdk_costs


def run(coroutine: Coroutine[Any, Any, None]) -> None:
    """On a loop of its own, left out of the policy: asyncio.run would leave this thread without
    a current loop, which later tests of the process (pulumi.Output.from_input) need."""
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(coroutine)
    finally:
        loop.close()


@pytest.fixture
def outputs() -> Iterator[set[asyncio.Task[Any]]]:
    held = settings.SETTINGS.outputs
    held.clear()
    yield held
    held.clear()


def test_install_replaces_the_sdks_wait_and_keeps_the_resource_modules_other_logs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Put back after the test: other tests of this process see the SDK as it ships.
    monkeypatch.setattr(stack, "wait_for_rpcs", stack.wait_for_rpcs)
    monkeypatch.setattr(resource, "log", pulumi.log)
    sdk_costs.install()
    assert stack.wait_for_rpcs is sdk_costs.wait_for_rpcs
    quiet = getattr(resource, "log")  # noqa: B009 (not exported by the SDK)
    assert quiet.warn is pulumi.log.warn
    assert quiet.debug("registering resource: ty=x") is None
    sdk_costs.install()  # twice is once
    assert stack.wait_for_rpcs is sdk_costs.wait_for_rpcs


def test_the_wait_ends_once_every_task_has_including_those_made_meanwhile(
    outputs: set[asyncio.Task[Any]],
) -> None:
    ended: list[str] = []

    async def later(name: str, seconds: float, then: float | None = None) -> None:
        await asyncio.sleep(seconds)
        if then is not None:
            # A task that makes another while the wait runs, as an apply does.
            outputs.add(asyncio.ensure_future(later(f"{name}+", then)))
        ended.append(name)

    async def run_wait() -> None:
        outputs.update(asyncio.ensure_future(later(f"t{i}", 0.01 * i)) for i in range(50))
        outputs.add(asyncio.ensure_future(later("maker", 0.02, then=0.05)))
        await sdk_costs.wait_for_outputs()

    run(run_wait())
    assert len(ended) == 52 and "maker+" in ended
    assert not outputs


def test_the_first_failure_is_raised_while_others_still_run_and_the_marker_is_let_pass(
    outputs: set[asyncio.Task[Any]],
) -> None:
    async def fail(after: float, error: BaseException) -> None:
        await asyncio.sleep(after)
        raise error

    async def run_wait() -> None:
        outputs.add(asyncio.ensure_future(fail(0.01, stack.ResourceRegistrationFailed())))
        outputs.add(asyncio.ensure_future(fail(0.05, ValueError("an apply failed"))))
        slow = asyncio.ensure_future(asyncio.sleep(30))
        outputs.add(slow)
        try:
            await sdk_costs.wait_for_outputs()
        finally:
            slow.cancel()

    started = time.monotonic()
    with pytest.raises(ValueError, match="an apply failed"):
        run(run_wait())
    # Raised when it failed, not once the 30 s task had ended.
    assert time.monotonic() - started < 5


def test_a_cancelled_task_ends_the_wait_as_the_sdks_await_would(
    outputs: set[asyncio.Task[Any]],
) -> None:
    async def run_wait() -> None:
        task = asyncio.ensure_future(asyncio.sleep(30))
        outputs.add(task)
        asyncio.get_running_loop().call_later(0.01, task.cancel)
        await sdk_costs.wait_for_outputs()

    with pytest.raises(asyncio.CancelledError):
        run(run_wait())
