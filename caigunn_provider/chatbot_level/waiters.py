"""wait_for_event: poll one background job with backoff until it ends, times out, or fails."""

from __future__ import annotations

import time
from collections.abc import Callable

from caigunn_provider.chatbot_level.api import FAILED, Event
from caigunn_provider.errors import BackgroundWorkFailed, WaitTimeout

# The first look comes soon (short jobs end in a second or two), later ones further apart.
FIRST_POLL = 0.25
GROWTH = 1.5
LONGEST_POLL = 10.0
# wait_for_event looks again once the job has run this much longer (a share of its age, at least
# FIRST_POLL, at most LONGEST_POLL): a job is seen ended at most a quarter of its run time late.
AGE_SHARE = 0.25
# While nothing changes, a line of progress this often says the wait goes on.
HEARTBEAT = 10.0

Progress = Callable[[str, float], None]


def wait_for_event(
    look: Callable[[], Event],
    *,
    event_id: str,
    timeout: float,
    progress: Progress | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    age: float = 0.0,
) -> Event:
    """The event once `completed`; BackgroundWorkFailed when `failed`, WaitTimeout past timeout.

    `look` asks CaiGunn once; `progress(stage, elapsed)` hears each new stage and a heartbeat.
    `age` is how long the job has run already (a training started by an earlier step): the looks
    follow the job's age, not the wait's, so a wait that begins late does not look late.
    Nothing is held while sleeping: every chatbot waits on its own thread, and no lock is taken.
    """
    started = clock()
    said, said_at = "", started
    while True:
        event = look()
        now = clock()
        elapsed = now - started
        if progress is not None and (event.stage != said or now - said_at >= HEARTBEAT):
            progress(event.stage, elapsed)
            said, said_at = event.stage, now
        if event.status == FAILED:
            detail = event.data.get("detail")
            raise BackgroundWorkFailed(
                f"CaiGunn's {event.event or 'background work'} failed: "
                f"{detail if detail else 'no detail given'}",
                event_id=event_id,
                event=event.event,
                detail=detail,
            )
        if event.ended:
            return event
        left = timeout - elapsed
        if left <= 0:
            raise WaitTimeout(
                f"CaiGunn's {event.event or 'background work'} had not ended after "
                f"{timeout:g} s (last seen: {event.stage})",
                event_id=event_id,
                stage=event.stage,
            )
        interval = min(max(FIRST_POLL, AGE_SHARE * (max(age, 0.0) + elapsed)), LONGEST_POLL)
        sleep(min(interval, left))
