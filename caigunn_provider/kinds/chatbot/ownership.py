"""One entry is one chatbot: creating without duplicates, and adopting only what matches.

A create whose answer is lost (a timeout, a dropped connection, a 5xx, an unreadable 2xx) may
have happened. Instead of guessing, the account is compared before and after: a chatbot with the
entry's title (and plan, where the list shows plans) that was not there before and that no other
create of this run has taken is the one. One such chatbot: it is ours. None, even after a short
settle time: the create did not happen, and it is sent once more. More than there are lost creates
of that title waiting to be matched: the user is asked which.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from caigunn_provider import messages
from caigunn_provider.chatbot_level.live import Live, live
from caigunn_provider.client import ChatbotRow, CreatedChatbot
from caigunn_provider.dynamic.runtime import Context
from caigunn_provider.errors import (
    APIConnectionError,
    CaiGunnError,
    OwnershipError,
)
from caigunn_provider.kinds.chatbot.shared import run_of

# Pauses before each look for the chatbot a lost create may have made (a server may show a new
# row a moment late); their sum bounds how long one create waits before sending again.
SETTLE_DELAYS = (0.0, 1.0, 3.0)
# How often a create whose answer was lost is sent again when it surely did not happen.
MAX_POSTS = 3
# Pauses between looks for a created chatbot's row by its api_key (seed level: no id returned).
LOOKUP_DELAYS = (0.0, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)


@dataclass(frozen=True)
class Made:
    """The chatbot an entry now owns."""

    row: ChatbotRow
    expired_at: str | None = None


def create(
    ctx: Context,
    title: str,
    plan_id: str,
    settings: Mapping[str, Any],
    prior_ids: object = None,
) -> Made:
    """Create the entry's chatbot exactly once, or raise without leaving a stray one behind.

    prior_ids are the ids that had the title when this create was checked (its `__prior_ids`,
    from this run's proven scan); without them the run's snapshot is asked.
    """
    key = (title, plan_id)
    if isinstance(prior_ids, list) and all(isinstance(i, str) for i in prior_ids):
        # This run's own creates count too, as they do in the run's snapshot.
        before = set(prior_ids) | _ids_titled(run_of(ctx).listing.created(), title)
    else:
        before = _ids_titled(run_of(ctx).listing.snapshot(proven=True).rows.values(), title)
    cause: BaseException | None = None
    for _ in range(MAX_POSTS):
        run_of(ctx).claims.start_post(key)
        try:
            created = ctx.client.create_chatbot(title, plan_id, settings)
        except CaiGunnError as exc:
            lost = messages.may_have_taken_effect(exc)
            run_of(ctx).claims.end_post(key, lost=lost)
            if not lost:
                raise messages.create_failed(title, exc) from exc
            cause = exc
        else:
            run_of(ctx).claims.end_post(key, lost=False)
            return _made(ctx, created, title, plan_id)
        found = _match_lost_create(ctx, key, before, cause)
        if found is not None:
            return Made(found)
    # Every attempt was proven not to have made a chatbot: nothing is left behind.
    assert cause is not None
    raise messages.create_gave_up(title, cause, MAX_POSTS)


def _made(ctx: Context, created: CreatedChatbot, title: str, plan_id: str) -> Made:
    if created.chatbot_id is not None:
        row = ChatbotRow(created.chatbot_id, title, created.api_key, plan_id)
    else:
        row = _find_by_api_key(ctx, created.api_key, title)
    if not run_of(ctx).claims.take(row.id):
        raise OwnershipError(
            f"CaiGunn answered the create of {title!r} with chatbot {row.id}, "
            "which another entry of this run already owns"
        )
    run_of(ctx).listing.record_created(row)
    return Made(row, created.expired_at)


def apply_ignored_settings(ctx: Context, chatbot_id: str, settings: Mapping[str, Any]) -> None:
    """One PUT for the declared settings a create did not keep, where the API shows them.

    The reference lists the settings as create fields, so the POST carries them; a server that
    ignores some on create is caught by reading back the ones its info answer returns.
    """
    info = ctx.client.get_chatbot(chatbot_id)
    missed = {
        key: value
        for key, value in settings.items()
        if key in info.settings and info.settings[key] != value
    }
    if missed:
        ctx.client.update_chatbot(chatbot_id, missed)


def _find_by_api_key(ctx: Context, api_key: str, title: str) -> ChatbotRow:
    """The new row of a seed-level create (whose answer has no id), found by its api_key.

    It is looked for first where new rows appear, then by scanning the whole list; the create
    did happen, so a failing look is retried for a while rather than creating a second one.
    """
    last: BaseException | None = None
    for delay in LOOKUP_DELAYS:
        time.sleep(delay)
        try:
            found = _look_where_new_rows_appear(ctx, api_key) or _in_rows(
                run_of(ctx).listing.rescan().rows.values(), api_key
            )
        except CaiGunnError as exc:
            last = exc
            continue
        if found is not None:
            return found
    why = "its id could not be found in the chatbot list"
    raise messages.create_unresolved(title, last or CaiGunnError("created"), why)


def _look_where_new_rows_appear(ctx: Context, api_key: str) -> ChatbotRow | None:
    # One look at a time: creates side by side commit close together, so the page one of them
    # fetches usually shows the others' rows too, and they need no request of their own.
    with run_of(ctx).looking:
        seen = run_of(ctx).listing.seen_key(api_key)
        if seen is not None:
            return seen
        size, page_size = run_of(ctx).listing.tail()
        tail = max(0, size - 2)
        places = {"tail": [tail], "head": [0], None: [tail, 0]}[run_of(ctx).new_rows_at]
        for offset in dict.fromkeys(places):
            found = _in_rows(run_of(ctx).listing.page(offset, page_size), api_key)
            if found is not None:
                run_of(ctx).new_rows_at = "head" if offset == 0 and tail else "tail"
                return found
        return None


def _match_lost_create(
    ctx: Context, key: tuple[str, str], before: set[str], cause: BaseException
) -> ChatbotRow | None:
    """The chatbot a lost create made, None when it surely made none; OwnershipError if unsure."""
    title, plan_id = key
    # Another create of this title still waiting for its answer may be told any new row is its.
    run_of(ctx).claims.wait_quiet(key, timeout=120)
    try:
        for delay in _settle_delays(ctx, cause):
            time.sleep(delay)
            with run_of(ctx).matching:
                rows = _read_after_lost_create(ctx, title, cause)
                candidates = [
                    row
                    for row in rows
                    if row.title == title
                    and row.plan_id in (None, plan_id)
                    and row.id not in before
                    and not run_of(ctx).claims.is_taken(row.id)
                ]
                if len(candidates) > run_of(ctx).claims.unmatched(key):
                    raise messages.create_ambiguous(title, cause, candidates)
                if candidates and run_of(ctx).claims.take(candidates[0].id):
                    run_of(ctx).listing.record_created(candidates[0])
                    return candidates[0]
        return None
    finally:
        run_of(ctx).claims.matched(key)


def _read_after_lost_create(ctx: Context, title: str, cause: BaseException) -> list[ChatbotRow]:
    """The whole list, read to find the chatbot a lost create may have made.

    A read that fails (a page refused after all its retries, a list that would not hold still)
    says nothing about that chatbot, so it must not end the create with the list's error: that
    once left a committed chatbot no resource owned, reported only as "GET .../chatbot answered
    429", and the next `pulumi up` created the entry a second time (issue 28, item 9: one page
    of the look answered 429, 429, 503, 500, 429 under 20% failures). Nor may it count as
    "none": the create would be sent again. So the read is tried again for a while, as a
    seed-level create's lookup is; only if it never succeeds does the create end, saying that
    its chatbot may exist and how to adopt it.
    """
    last: BaseException | None = None
    for delay in LOOKUP_DELAYS:
        time.sleep(delay)
        try:
            return list(run_of(ctx).listing.rescan().rows.values())
        except CaiGunnError as exc:
            last = exc
    why = f"the chatbot list could not be read to find it ({last})"
    raise messages.create_unresolved(title, cause, why)


def _settle_delays(ctx: Context, cause: BaseException) -> tuple[float, ...]:
    """How long to look for a lost create's chatbot before deciding it was never made.

    A request that timed out may still be at work on the server: its chatbot can appear as late
    as another timeout's worth of time afterwards, so that much is waited for too.
    """
    if isinstance(cause, APIConnectionError) and cause.timed_out:
        return (*SETTLE_DELAYS, ctx.client.transport.timeout[1])
    return SETTLE_DELAYS


def adopt(
    ctx: Context,
    chatbot_id: str,
    title: str,
    plan_id: str,
    settings: Mapping[str, Any],
    *,
    why: str,
) -> Live:
    """The existing chatbot chatbot_id, if it matches the entry; nothing is written.

    Following Pulumi's import convention, a chatbot whose live title, plan or readable settings
    differ from the entry is not changed to fit: the differences are listed, and the user aligns
    the file first. Settings the API does not return cannot be compared; they are applied by the
    next `pulumi up`.
    """
    found = live(ctx, chatbot_id)
    if found is None:
        raise OwnershipError(
            f"{why}: chatbot {chatbot_id} is not in this CaiGunn account; check the id"
        )
    live_row = found.row
    differences = []
    if live_row.title != title:
        differences.append(
            f"title is {live_row.title!r} in CaiGunn but {title!r} in the stack file"
        )
    if live_row.plan_id is not None and live_row.plan_id != plan_id:
        differences.append(
            f"plan_id is {live_row.plan_id} in CaiGunn but {plan_id} in the stack file"
        )
    for key, value in settings.items():
        if key in found.settings and found.settings[key] != value:
            differences.append(
                f"{key} is {_short(found.settings[key])} in CaiGunn but {_short(value)} in the "
                "stack file"
            )
    if differences:
        raise OwnershipError(
            f"{why}: chatbot {chatbot_id} differs from this entry: {'; '.join(differences)}. "
            "Nothing was changed. Make the entry match the chatbot, run `pulumi up` to adopt it, "
            "then change the entry in a later `pulumi up`"
        )
    if not run_of(ctx).claims.take(chatbot_id):
        raise OwnershipError(f"{why}: chatbot {chatbot_id} is already owned by another entry")
    return found


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _ids_titled(rows: Iterable[ChatbotRow], title: str) -> set[str]:
    return {row.id for row in rows if row.title == title}


def _in_rows(rows: Iterable[ChatbotRow], api_key: str) -> ChatbotRow | None:
    return next((row for row in rows if row.api_key == api_key), None)
