"""Every background job of a run is started before any wait for one holds an engine slot.

A training is two steps: one starts it (short) and one waits for it (long). The engine runs at
most `--parallel` steps at once, and a wait holds its slot for the whole training. Declared one
entry after another, the waits of the first chatbots would fill the slots while later chatbots'
items and trainings queue behind them, although CaiGunn could be training them all already.

So the waits are held back in the program: a wait's resource is registered only once every
start of the run has ended (done, or failed: a failure under `--continue-on-error` holds back
nothing). Only where the waits could take every slot, though: when the run has at least as many
starts as the engine runs steps at once. With fewer, the waits leave slots free for the starts,
and holding them back would only cost something: without `--continue-on-error` the engine starts
no step after a failed one, so one chatbot's failed start would keep every other chatbot's model
out of service until the next run. Where it holds, the engine never sees a wait before the last
start, and all the trainings run on CaiGunn side by side while the waits take their turns. The
gate is an input of the wait that adds no dependency to the state (it names no resource), and it
is known at preview.

Runs in the program process. caigunn_provider.kinds.chatbot.kind.ChatbotKind.declare opens one
per run and closes it once every entry is declared; kinds hand it their starts and waits.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pulumi

from caigunn_provider.program.outputs import settled


class StartsFirst:
    """The starts of one run, and a gate that opens once the run's last start has ended."""

    def __init__(self) -> None:
        self._starts: list[pulumi.Output[Any]] = []
        self._closed: asyncio.Future[None] | None = None

    def start(self, resource: pulumi.Resource) -> None:
        """A resource whose step starts background work (its URN resolves when the step ends)."""
        self._starts.append(settled(resource.urn))

    def after(self, value: pulumi.Input[Any]) -> pulumi.Output[Any]:
        """value, resolved only once the gate is open: give it to a wait's resource."""
        opened: pulumi.Output[bool] = pulumi.Output.from_input(self._opened())
        return pulumi.Output.all(value, opened).apply(lambda both: both[0])

    def close(self) -> None:
        """Every start of the run is declared: the gate opens once they have all ended."""
        closed = self._future()
        if not closed.done():
            closed.set_result(None)

    async def _opened(self) -> bool:
        await self._future()
        if len(self._starts) < engine_slots():
            return True
        for start in list(self._starts):
            await start.future(with_unknowns=True)
        return True

    def _future(self) -> asyncio.Future[None]:
        if self._closed is None:
            self._closed = asyncio.get_event_loop().create_future()
        return self._closed


def engine_slots() -> int:
    """How many steps the engine runs at once: its `--parallel`, as it told the program, else
    its default (4 per CPU)."""
    from pulumi.runtime import settings

    told = getattr(settings.SETTINGS, "parallel", None)
    if isinstance(told, int) and not isinstance(told, bool) and told > 0:
        return told
    return 4 * (os.cpu_count() or 1)
