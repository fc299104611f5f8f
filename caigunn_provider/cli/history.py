"""A chatbot's conversations read completely as of one moment T, while talks go on.

The conversation list is ordered by `last_sent_at`, newest first, and its `start_at`/`end_at`
bound that moving time: a conversation talked in after T leaves the list bounded by `end_at=T`
(its last talk is now later) and jumps to the front of any list that still holds it. So:

1. the list up to T is read with the chatbot list's proven scan (listing.scan_rows): a
   conversation that stays in it is found, one that leaves had a talk after T;
2. each of those has its last talk in [T, now] from then on, and [T, E1] (E1: the moment this
   round starts) only loses rows while it is read, never reorders: the same proven scan finds
   every one that had no further talk meanwhile; the others are in [E1, now], and so on;
3. it ends when the list since the last round's start comes back in one answer shorter than a
   page (a page size seen on this server, or empty when none was seen): one answer is one
   moment, so every conversation still missing is in it.

"Now" is this machine's clock, taken as the server's: a server clock behind it by more than a
round lasts could stamp a talk into a window already read.

A conversation found after T may have begun after T: it is kept when it has messages up to T
(the caller reads them with `end_at=T`, a set that no later talk changes). Rounds that never get
short enough (talks come faster than pages are read) end in a ListingError.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from caigunn_provider.errors import ListingError
from caigunn_provider.kinds.checks.talk import Conversation, Message, TalkAPI
from caigunn_provider.listing import (
    ASK_LIMIT,
    PROVEN_WIDTH,
    WINDOW,
    OnPage,
    Snapshot,
    Words,
    scan_rows,
)

# Rounds after the first before the list is given up on as changing too fast.
MAX_ROUNDS = 8

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Found:
    """The conversations up to T in list order, and those found later whose messages decide."""

    settled: list[Conversation] = field(default_factory=list)
    # Talked in after T: kept only if they have messages up to T.
    moved: list[Conversation] = field(default_factory=list)
    rounds: int = 0


def _page_size(snapshot: Snapshot[Conversation]) -> int:
    """A page size this server surely serves in full (0: none known). A scan's first page is
    as long as the server's page or the whole list, whichever is shorter; an empty list tells
    nothing (the scan then says the size asked for, which the server may clamp)."""
    return snapshot.page_size if snapshot.rows else 0


def _uid(conversation: Conversation) -> str:
    return conversation.uid


def _message_id(message: Message) -> str:
    return message.id


class History:
    """One chatbot's conversations and messages, read through its talk client."""

    def __init__(
        self,
        api: TalkAPI,
        entry: str,
        *,
        on_page: OnPage | None = None,
        clock: Clock = utc_now,
        max_rounds: int = MAX_ROUNDS,
    ) -> None:
        self._api = api
        self._entry = entry
        self._on_page = on_page
        self._clock = clock
        self._max_rounds = max_rounds
        self.pool = ThreadPoolExecutor(
            max_workers=PROVEN_WIDTH * WINDOW, thread_name_prefix="caigunn-history"
        )

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def conversations(self, since: datetime | None, as_of: datetime) -> Found:
        """Every conversation with a talk in [since, as_of] (as_of in the past): those still
        there in list order, then those talked in since."""
        first = self._scan(since, as_of)
        found = Found(settled=[first.rows[uid] for uid in first.order])
        seen = set(first.order)
        page_size = _page_size(first)
        lower = as_of
        while True:
            start = self._clock()
            # Step 3: all that is missing is in this one answer, if it is short.
            last = self._api.uids(0, ASK_LIMIT, start_at=lower)
            if len(last) < max(page_size, 1):
                found.moved += [row for row in last if row.uid not in seen]
                return found
            if found.rounds >= self._max_rounds:
                raise ListingError(
                    f"the conversations of {self._entry!r} kept moving: after {found.rounds} "
                    "rounds a page of them still had talks since the last round began, so the "
                    "list as of its time cannot be read completely; try again when the chatbot "
                    "is quieter"
                )
            # Step 2: the list between the last bound and now, which only loses rows.
            found.rounds += 1
            snapshot = self._scan(lower, start)
            page_size = max(page_size, _page_size(snapshot))
            for uid in snapshot.order:
                if uid not in seen:
                    seen.add(uid)
                    found.moved.append(snapshot.rows[uid])
            lower = start

    def messages(self, uid: str, since: datetime | None, as_of: datetime) -> list[Message]:
        """The conversation's messages in [since, as_of], each once, in the list's order
        (oldest first on CaiGunn); a list no later talk changes."""

        def page(offset: int, limit: int) -> list[Message]:
            return self._api.messages(uid, offset, limit, start_at=since, end_at=as_of)

        words = Words(f"the messages of conversation {uid!r}", "messages")
        snapshot = scan_rows(page, key=_message_id, words=words, proven=True, pool=self.pool)
        return [snapshot.rows[key] for key in snapshot.order]

    def _scan(self, start: datetime | None, end: datetime) -> Snapshot[Conversation]:
        def page(offset: int, limit: int) -> list[Conversation]:
            return self._api.uids(offset, limit, start_at=start, end_at=end)

        words = Words(f"the conversation list of {self._entry!r}", "conversations")
        return scan_rows(
            page, key=_uid, words=words, proven=True, on_page=self._on_page, pool=self.pool
        )
