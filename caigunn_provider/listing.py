"""The account's chatbot list: read completely or not at all, once per run, kept current.

The seed API offers nothing but a paged list, in an undocumented order that may shift while it is
read (a colleague creates or deletes a chatbot), with a page size the server may clamp silently.
Two scans are used:

- a fast scan fetches pages side by side without overlap; whatever it finds is live, but a row
  that moved across a page boundary mid-scan may be missed, so it never proves a chatbot gone;
- a proven scan overlaps consecutive pages by one row and checks that every page starts from a
  row already seen (its anchor): then no row that was there all along can have slipped past.
  A page with no anchor means rows vanished before it; the scan steps back until it finds one.

A chatbot is reported gone only by a proven scan. When a proof cannot be had within the request
budget (a server that ignores offset, pages forever, or keeps shifting), ListingError says so.

Both scans watch their progress: a server that ignores offset serves its first page again at
every offset, and churn can add a new row or two to it, so "a page with nothing new" is not the
test; a run of full pages that together bring fewer new rows than one page should is.

The scans know rows only by a key: `scan` reads the chatbot list (keyed by id), and `scan_rows`
reads any other paged list the same way (a chatbot's conversations keyed by uid, a conversation's
messages keyed by id), with its own words for its failures. `Listing` is the chatbot list's alone.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeAlias, TypeVar

from caigunn_provider.client import ChatbotRow
from caigunn_provider.errors import CaiGunnError, ListingError

# A row of the list being read: a chatbot, a conversation, a message.
Row = TypeVar("Row")
# One page of a list: (offset, limit) -> rows.
FetchOf: TypeAlias = Callable[[int, int], list[Row]]
Fetch: TypeAlias = FetchOf[ChatbotRow]
# What tells one row from another across pages (a chatbot's id).
Key: TypeAlias = Callable[[Row], str]
# Told the number of distinct rows read so far after each page (a command line's progress line).
OnPage = Callable[[int], None]
# What the page at offset 1 says of the first page (see _shifted_tells).
_ToldOf: TypeAlias = Literal["ended"] | list[Row] | None
_Told: TypeAlias = _ToldOf[ChatbotRow]

# The page size asked for; servers clamp it silently (30 is common), and the scan adapts.
ASK_LIMIT = 100
# Pages in flight at once once the page size is known, and how many times as many a proven scan
# sends (its own budget allows pages past the end that a refresh's budget does not).
WINDOW = 4
PROVEN_WIDTH = 2
# How many times as many pages a fast scan keeps in flight well before the end the state's hint
# says the list has (16: the account-wide limit's default).
HINTED_WIDTH = 4
MAX_REQUESTS = 5000
# Consecutive full pages that, together, bring fewer new rows than one page does on a server that
# honours offset: then the server is deemed to ignore offset (or the list changes faster than it
# can be read).
MAX_STALLS = 3


@dataclass(frozen=True)
class Words:
    """How a list's failures name it: `the chatbot list` and its `chatbots`."""

    list: str
    rows: str


CHATBOT_LIST = Words("the chatbot list", "chatbots")


def ignored_offset(words: Words) -> str:
    """The failure of a list that keeps giving rows already read at new offsets."""
    return (
        f"{words.list} gave rows already read at new offsets, page after page; the server seems "
        "to ignore offset (or the list changes faster than it can be read), so the list cannot be "
        "read completely"
    )


IGNORED_OFFSET = ignored_offset(CHATBOT_LIST)


@dataclass
class Snapshot(Generic[Row]):
    """The live rows found by one scan by key, in list order, and whether absence is proven."""

    rows: dict[str, Row]
    proven: bool
    page_size: int
    requests: int = 0
    order: list[str] = field(default_factory=list)


class _Pages(Generic[Row]):
    """One scan's bookkeeping: rows seen in order (by key), requests spent, the fetcher."""

    def __init__(
        self,
        fetch: FetchOf[Row],
        max_requests: int,
        on_page: OnPage | None,
        pool: ThreadPoolExecutor,
        key: Key[Row],
        words: Words,
    ) -> None:
        self._fetch = fetch
        self._pool = pool
        self._max_requests = max_requests
        self._on_page = on_page
        self.key = key
        self.words = words
        self.requests = 0
        self.rows: dict[str, Row] = {}

    def fetch(self, offsets: list[int], limit: int) -> list[list[Row]]:
        if len(offsets) == 1:
            self._count(1)
            return [self._fetch(offsets[0], limit)]
        return [future.result() for future in [self.submit(o, limit) for o in offsets]]

    def submit(self, offset: int, limit: int) -> Future[list[Row]]:
        """One page on the pool, counted against the budget."""
        self._count(1)
        return self._pool.submit(self._fetch, offset, limit)

    def _count(self, requests: int) -> None:
        if self.requests + requests > self._max_requests:
            raise ListingError(
                f"{self.words.list} did not end within {self._max_requests} page requests "
                f"({len(self.rows)} {self.words.rows} read); the server may page forever"
            )
        self.requests += requests

    def add(self, rows: Iterable[Row]) -> int:
        fresh = 0
        for row in rows:
            key = self.key(row)
            fresh += key not in self.rows
            self.rows[key] = row
        if self._on_page is not None:
            self._on_page(len(self.rows))
        return fresh

    def anchor(self, page: list[Row]) -> int | None:
        """Index of the first row of page that an earlier page had; None when there is none."""
        return _anchor([self.key(row) for row in page], self.rows)

    def snapshot(self, *, proven: bool, page_size: int) -> Snapshot[Row]:
        return Snapshot(dict(self.rows), proven, page_size, self.requests, list(self.rows))


def _chatbot_id(row: ChatbotRow) -> str:
    return row.id


class _Scan(_Pages[ChatbotRow]):
    """A scan of the chatbot list: its rows keyed by id."""

    def __init__(
        self,
        fetch: Fetch,
        max_requests: int,
        on_page: OnPage | None,
        pool: ThreadPoolExecutor,
    ) -> None:
        super().__init__(fetch, max_requests, on_page, pool, _chatbot_id, CHATBOT_LIST)


class _Progress:
    """Whether the last MAX_STALLS full pages brought, together, at least one page of new rows."""

    def __init__(self, per_page: int) -> None:
        self._per_page = per_page
        self._recent: deque[int] = deque(maxlen=MAX_STALLS)

    def stalled(self, fresh: int) -> bool:
        self._recent.append(fresh)
        return len(self._recent) == MAX_STALLS and sum(self._recent) < self._per_page

    def restart(self) -> None:
        self._recent.clear()


def scan(
    fetch: Fetch,
    *,
    proven: bool,
    window: int = WINDOW,
    max_requests: int = MAX_REQUESTS,
    on_page: OnPage | None = None,
    pool: ThreadPoolExecutor | None = None,
    first_page: Future[list[ChatbotRow]] | None = None,
    size_hint: int = 0,
) -> Snapshot[ChatbotRow]:
    """Read the whole chatbot list once; proven=True also proves that nothing was skipped.

    Pages side by side run on `pool` (a pool of its own when None): long-lived threads keep
    their connections, where new ones would connect again for every window. `first_page` is the
    page at offset 0 (limit ASK_LIMIT) when it was asked for ahead of the scan. `size_hint` is
    how long the list was last seen to be: a fast scan sends pages HINTED_WIDTH times as wide
    until a page short of it, and no wider than usual past it, so that a good hint costs no
    extra request.
    """
    with _pool_for(pool, window) as chosen:
        state = _Scan(fetch, max_requests, on_page, chosen)
        return _scan_with(state, proven, window, first_page, size_hint)


def scan_rows(
    fetch: FetchOf[Row],
    *,
    key: Key[Row],
    words: Words,
    proven: bool,
    window: int = WINDOW,
    max_requests: int = MAX_REQUESTS,
    on_page: OnPage | None = None,
    pool: ThreadPoolExecutor | None = None,
) -> Snapshot[Row]:
    """`scan` for any paged list: its rows told apart by `key`, its failures said in `words`."""
    with _pool_for(pool, window) as chosen:
        state = _Pages(fetch, max_requests, on_page, chosen, key, words)
        return _scan_with(state, proven, window, None, 0)


def _scan_with(
    state: _Pages[Row],
    proven: bool,
    window: int,
    first_page: Future[list[Row]] | None,
    size_hint: int,
) -> Snapshot[Row]:
    """The scan itself, on a state that knows its fetcher, its pool, its key and its words."""
    first, told = _first_pages(state, first_page, proven=proven)
    if _ended(first, told):
        # An empty list tells no page size: the one asked for stands.
        return state.snapshot(proven=True, page_size=len(first) or ASK_LIMIT)
    if proven and len(first) >= 2:
        return _proven_scan(state, len(first), told, window)
    return _fast_scan(state, len(first), window, size_hint)


def _pool_for(
    pool: ThreadPoolExecutor | None, window: int
) -> AbstractContextManager[ThreadPoolExecutor]:
    """`pool` itself (left running), or a pool of its own for one scan, shut down after it once
    the pages still in flight have come back."""
    if pool is not None:
        return nullcontext(pool)
    return ThreadPoolExecutor(max_workers=max(PROVEN_WIDTH, HINTED_WIDTH) * window)


def _first_pages(
    state: _Pages[Row], first_page: Future[list[Row]] | None, *, proven: bool
) -> tuple[list[Row], _ToldOf[Row]]:
    """The first page's rows, read into `state`, and what the page at offset 1 says of them
    (see _shifted_tells), a page only a proven scan asks for beside the first.

    A first page of fewer than two rows does not wait for that page: an empty list is whole, and
    pages of one row cannot overlap. A `first_page` asked for ahead of the scan counts as one of
    its requests, and then no page at offset 1 goes beside it.
    """
    shifted = None
    if first_page is None:
        first_page = state.submit(0, ASK_LIMIT)
        # A proven scan, which creates wait for and whose budget allows a page more, asks beside
        # the first page for the page one row further on: together they tell the list's end from
        # a clamp at once (see _shifted_tells), where one more page alone would cost a round trip.
        shifted = state.submit(1, ASK_LIMIT) if proven else None
    else:
        state.requests += 1
    first = first_page.result()
    state.add(first)
    if len(first) < 2:
        return first, None
    return first, _shifted_tells(first, _page_or_none(shifted), state.key)


def _ended(first: list[Row], told: _ToldOf[Row]) -> bool:
    """Whether the first page holds the whole list: it is empty, or the page at offset 1 says
    the list ends where it does."""
    return not first or told == "ended"


def _first_width(page_size: int, window: int) -> int:
    """How many pages go side by side after the first. A first page shorter than asked is
    either the whole list or a clamp: one more page tells, so pages go side by side only once
    the page size is known."""
    return window if page_size == ASK_LIMIT else 1


def _fast_scan(state: _Pages[Row], page_size: int, window: int, size_hint: int) -> Snapshot[Row]:
    """The rest of a fast scan: what it finds is live, but it proves nothing gone."""
    _fast_rest(state, page_size, window, _first_width(page_size, window), size_hint)
    return state.snapshot(proven=False, page_size=page_size)


def _fast_rest(state: _Pages[Row], page_size: int, window: int, width: int, size_hint: int) -> None:
    """Pages at offsets page_size, 2*page_size, ... side by side, until a short page.

    It also stops when pages keep bringing rows already read (offset ignored): what it has is
    live all the same, and the proven scan, which a question of absence needs, says why it fails.
    """
    progress = _Progress(page_size)
    offset = page_size
    if width == 1:
        # The page size is not known yet: one more page tells a clamp from the list's end.
        [page] = state.fetch([offset], page_size)
        fresh = state.add(page)
        if len(page) < page_size:
            return
        offset += page_size
    # Then `window` pages stay in flight (HINTED_WIDTH times as many well before the hinted
    # end): as the oldest comes back, the next one is sent.
    in_flight: deque[Future[list[Row]]] = deque()
    try:
        while True:
            wide = offset + 2 * page_size <= size_hint
            while len(in_flight) < (HINTED_WIDTH * window if wide else window):
                in_flight.append(state.submit(offset, page_size))
                offset += page_size
                wide = offset + 2 * page_size <= size_hint
            page = in_flight.popleft().result()
            fresh = state.add(page)
            if len(page) < page_size or progress.stalled(fresh):
                return
    finally:
        for future in in_flight:
            future.cancel()


def _page_or_none(page: Future[list[Row]] | None) -> list[Row] | None:
    """A speculative page's rows; None when it was not asked for or failed (it proves nothing)."""
    if page is None:
        return None
    try:
        return page.result()
    except CaiGunnError:
        return None


def _shifted_tells(first: list[Row], shifted: list[Row] | None, key: Key[Row]) -> _ToldOf[Row]:
    """What the page at offset 1 says of the first: "ended" when it is the first less its first
    row (the list ends where the first page does: a page cut short by a clamp would be followed
    by one more row); its rows when it is the first less its first row plus one more (the first
    page was clamped to its length, and the list goes on); None when it says neither (a server
    that ignores offset, a list that changed between the two, or no such page)."""
    if shifted is None:
        return None
    ahead = [key(row) for row in first[1:]]
    if [key(row) for row in shifted] == ahead:
        return "ended"
    if len(shifted) == len(first) and [key(row) for row in shifted[:-1]] == ahead:
        return shifted
    return None


def _proven_scan(
    state: _Pages[Row], page_size: int, told: _ToldOf[Row], window: int
) -> Snapshot[Row]:
    """The rest of a proven scan, given what the page at offset 1 told of the first (not that
    the list ended there: the caller has seen to that).

    A proven scan is what creates wait for, and a run that creates can afford the few pages a
    wider window fetches past the end; a refresh's fast scan cannot.
    """
    position, width = page_size - 1, _first_width(page_size, window)
    if isinstance(told, list):
        # The first page was clamped, and the page at offset 1 read one row past it.
        state.add(told)
        position, width = page_size, PROVEN_WIDTH * window
    _proven_rest(state, position, page_size, PROVEN_WIDTH * window, width)
    return state.snapshot(proven=True, page_size=page_size)


def _proven_rest(
    state: _Pages[Row], position: int, page_size: int, window: int, width: int
) -> None:
    """Overlapping pages, each anchored on a row already seen, until an anchored short page.

    `position` is where the frontier (the last row of the newest anchored page) stands.
    """
    step = page_size - 1
    progress = _Progress(step)
    while True:
        offsets = [position + k * step for k in range(width)]
        width = window
        for offset, page in zip(offsets, state.fetch(offsets, page_size), strict=True):
            if state.anchor(page) is None:
                # Rows vanished before this page (or it lies past the end): find firm ground
                # behind it, then see whether the page joins up with what that brought. Dropping
                # the rest of the window instead would never get past a list that keeps shifting.
                position, ended = _step_back(state, position, page_size)
                progress.restart()
                if ended:
                    return
                if state.anchor(page) is None:
                    break
            fresh = state.add(page)
            position = offset + len(page) - 1
            if len(page) < page_size:
                return
            if progress.stalled(fresh):
                raise ListingError(ignored_offset(state.words))


def _anchor(keys: list[str], seen: Mapping[str, object]) -> int | None:
    """Index of the first of a page's row keys that an earlier page had; None when none is."""
    for index, key in enumerate(keys):
        if key in seen:
            return index
    return None


def _step_back(state: _Pages[Row], position: int, page_size: int) -> tuple[int, bool]:
    """Fetch further and further back until a page has an anchor: (the new frontier position,
    whether that page was the list's last).

    At offset 0 any page is firm ground: nothing can have slipped in before the first row.
    """
    back = page_size - 1
    while True:
        offset = max(0, position - back)
        [page] = state.fetch([offset], page_size)
        if offset == 0 or state.anchor(page) is not None:
            state.add(page)
            return max(offset + len(page) - 1, 0), len(page) < page_size
        back *= 2


class Listing:
    """The account's list for one process (one Pulumi run), shared by every thread.

    The first question scans (single flight: other threads wait for that scan and reuse it);
    the run's own creates, renames and deletes are applied to it as they happen, so it stays
    true for the rest of the run without scanning again.
    """

    def __init__(
        self,
        fetch: Fetch,
        *,
        window: int = WINDOW,
        max_requests: int = MAX_REQUESTS,
        on_page: OnPage | None = None,
    ):
        self._fetch = fetch
        self._window = window
        self._max_requests = max_requests
        self._on_page = on_page
        self._lock = threading.Lock()
        self._snapshot: Snapshot[ChatbotRow] | None = None
        self._created: dict[str, ChatbotRow] = {}
        self._deleted: set[str] = set()
        # Made with the first scan and kept for the process's life (its threads are idle between).
        self._pool: ThreadPoolExecutor | None = None
        self._first_page: Future[list[ChatbotRow]] | None = None
        self._size_hint = 0
        # What a proven scan elsewhere in the run found (note_size), None until one is noted.
        self._noted_size: int | None = None
        self._noted_page_size = 0
        self._seen_keys: dict[str, ChatbotRow] = {}

    def hint_size(self, rows: object) -> None:
        """How long the list was when a chatbot of this stack was made (a scan's pace)."""
        if isinstance(rows, int | float) and rows > 0:
            with self._lock:
                self._size_hint = max(self._size_hint, int(rows))

    def size(self) -> int:
        """How many live chatbots the run's snapshot holds (before any scan: what note_size
        said and this run's creates and deletes since, else 0)."""
        with self._lock:
            if self._snapshot is not None:
                return len(self._merged(self._snapshot).rows)
            return self._noted()

    def note_size(self, rows: int, page_size: int) -> None:
        """How many chatbots a proven scan made elsewhere in this run found (the program's:
        kinds/chatbot/prescan.py), and the page size it was served, for size() and tail()
        until this listing scans itself."""
        with self._lock:
            self._noted_size = max(self._noted_size or 0, rows)
            self._noted_page_size = max(self._noted_page_size, page_size)

    def tail(self) -> tuple[int, int]:
        """How long the list is and the page size it is served in, to look where a new row is
        likely to be: from the run's snapshot, else (before any scan) from what note_size said
        and this run's creates since; a scan when neither is known."""
        with self._lock:
            if self._snapshot is None and self._noted_page_size > 0:
                # A hint: the page looked at holds rows either side of it.
                return self._noted(), self._noted_page_size
        snapshot = self.snapshot(proven=False)
        return len(snapshot.rows), snapshot.page_size

    def _noted(self) -> int:
        if self._noted_size is None:
            return 0
        return max(0, self._noted_size + len(self._created) - len(self._deleted))

    def created(self) -> list[ChatbotRow]:
        """The chatbots this run created, as record_created told them."""
        with self._lock:
            return list(self._created.values())

    def prefetch(self) -> None:
        """Ask for the first page now, ahead of a scan that may follow (a scan takes it over)."""
        with self._lock:
            if self._snapshot is None and self._first_page is None:
                self._first_page = self._pool_().submit(self._fetch, 0, ASK_LIMIT)

    def _pool_(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                max_workers=max(PROVEN_WIDTH, HINTED_WIDTH) * self._window,
                thread_name_prefix="caigunn-list",
            )
        return self._pool

    def _scan(self, *, proven: bool) -> Snapshot[ChatbotRow]:
        first_page, self._first_page = self._first_page, None
        return scan(
            self._fetch,
            proven=proven,
            window=self._window,
            max_requests=self._max_requests,
            on_page=self._on_page,
            pool=self._pool_(),
            first_page=first_page,
            size_hint=self._size_hint,
        )

    def snapshot(self, *, proven: bool) -> Snapshot[ChatbotRow]:
        """The run's snapshot, scanning first if there is none (or it must be proven and is not)."""
        with self._lock:
            current = self._snapshot
            if current is None or (proven and not current.proven):
                current = self._scan(proven=proven)
                self._snapshot = current
            return self._merged(current)

    def find(self, chatbot_id: str) -> ChatbotRow | None:
        """The live row with this id, or None when a proven scan does not have it."""
        found = self.snapshot(proven=False).rows.get(chatbot_id)
        if found is None:
            found = self.snapshot(proven=True).rows.get(chatbot_id)
        return found

    def rescan(self) -> Snapshot[ChatbotRow]:
        """A new proven scan, replacing the run's snapshot (to see what a failed write did)."""
        with self._lock:
            self._snapshot = self._scan(proven=True)
            return self._merged(self._snapshot)

    def page(self, offset: int, limit: int) -> list[ChatbotRow]:
        """One page, outside any scan (to look where a new row is likely to be); its rows are
        kept for seen_key(), so that creates side by side can share what one page showed."""
        rows = self._fetch(offset, limit)
        with self._lock:
            self._seen_keys.update((row.api_key, row) for row in rows if row.api_key)
        return rows

    def seen_key(self, api_key: str) -> ChatbotRow | None:
        """The row with this api_key if a page() of this run showed it."""
        with self._lock:
            return self._seen_keys.get(api_key)

    def record_created(self, row: ChatbotRow) -> None:
        with self._lock:
            self._created[row.id] = row
            self._deleted.discard(row.id)

    def record_renamed(self, chatbot_id: str, title: str) -> None:
        with self._lock:
            for rows in (self._created, self._snapshot.rows if self._snapshot else {}):
                if chatbot_id in rows:
                    old = rows[chatbot_id]
                    rows[chatbot_id] = ChatbotRow(old.id, title, old.api_key, old.plan_id)

    def record_deleted(self, chatbot_id: str) -> None:
        with self._lock:
            self._deleted.add(chatbot_id)
            self._created.pop(chatbot_id, None)

    def _merged(self, snapshot: Snapshot[ChatbotRow]) -> Snapshot[ChatbotRow]:
        rows = {**snapshot.rows, **self._created}
        for gone in self._deleted:
            rows.pop(gone, None)
        order = [key for key in snapshot.order if key in rows]
        order += [key for key in self._created if key not in snapshot.rows]
        return Snapshot(rows, snapshot.proven, snapshot.page_size, snapshot.requests, order)
