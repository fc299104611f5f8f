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
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from caigunn_provider.client import ChatbotRow
from caigunn_provider.errors import ListingError

Fetch = Callable[[int, int], list[ChatbotRow]]
# Told the number of distinct rows read so far after each page (a command line's progress line).
OnPage = Callable[[int], None]

# The page size asked for; servers clamp it silently (30 is common), and the scan adapts.
ASK_LIMIT = 100
# Pages in flight at once once the page size is known.
WINDOW = 4
MAX_REQUESTS = 5000
# Consecutive full pages that bring nothing new before the server is deemed to ignore offset.
MAX_STALLS = 3


@dataclass
class Snapshot:
    """The live chatbots found by one scan, in list order, and whether absence is proven."""

    rows: dict[str, ChatbotRow]
    proven: bool
    page_size: int
    requests: int = 0
    order: list[str] = field(default_factory=list)


class _Scan:
    """One scan's bookkeeping: rows seen in order, requests spent, the fetcher."""

    def __init__(self, fetch: Fetch, max_requests: int, on_page: OnPage | None = None) -> None:
        self._fetch = fetch
        self._max_requests = max_requests
        self._on_page = on_page
        self.requests = 0
        self.rows: dict[str, ChatbotRow] = {}

    def fetch(self, offsets: list[int], limit: int) -> list[list[ChatbotRow]]:
        if self.requests + len(offsets) > self._max_requests:
            raise ListingError(
                f"the chatbot list did not end within {self._max_requests} page requests "
                f"({len(self.rows)} chatbots read); the server may page forever"
            )
        self.requests += len(offsets)
        if len(offsets) == 1:
            return [self._fetch(offsets[0], limit)]
        with ThreadPoolExecutor(max_workers=len(offsets)) as pool:
            return list(pool.map(lambda offset: self._fetch(offset, limit), offsets))

    def add(self, rows: Iterable[ChatbotRow]) -> int:
        fresh = 0
        for row in rows:
            fresh += row.id not in self.rows
            self.rows[row.id] = row
        if self._on_page is not None:
            self._on_page(len(self.rows))
        return fresh

    def snapshot(self, *, proven: bool, page_size: int) -> Snapshot:
        return Snapshot(dict(self.rows), proven, page_size, self.requests, list(self.rows))


def scan(
    fetch: Fetch,
    *,
    proven: bool,
    window: int = WINDOW,
    max_requests: int = MAX_REQUESTS,
    on_page: OnPage | None = None,
) -> Snapshot:
    """Read the whole list once; proven=True also proves that nothing was skipped."""
    state = _Scan(fetch, max_requests, on_page)
    [first] = state.fetch([0], ASK_LIMIT)
    state.add(first)
    if not first:
        return state.snapshot(proven=True, page_size=ASK_LIMIT)
    page_size = len(first)
    # A first page shorter than asked is either the whole list or a clamp: one more page tells,
    # so pages go side by side only once the page size is known.
    width = window if page_size == ASK_LIMIT else 1
    if proven and page_size >= 2:
        # A proven scan is what creates wait for, and a run that creates can afford the few pages
        # a wider window fetches past the end; a refresh's fast scan cannot.
        _proven_rest(state, first, page_size, 2 * window, width)
        return state.snapshot(proven=True, page_size=page_size)
    _fast_rest(state, page_size, window, width)
    return state.snapshot(proven=False, page_size=page_size)


def _fast_rest(state: _Scan, page_size: int, window: int, width: int) -> None:
    """Pages at offsets page_size, 2*page_size, ... side by side, until a short page."""
    offset = page_size
    while True:
        offsets = [offset + k * page_size for k in range(width)]
        for page in state.fetch(offsets, page_size):
            state.add(page)
            if len(page) < page_size:
                return
        offset = offsets[-1] + page_size
        width = window


def _proven_rest(
    state: _Scan, first: list[ChatbotRow], page_size: int, window: int, width: int
) -> None:
    """Overlapping pages, each anchored on a row already seen, until an anchored short page."""
    step = page_size - 1
    # Where the frontier (the last row of the newest anchored page) is believed to stand.
    position = len(first) - 1
    stalls = 0
    while True:
        offsets = [position + k * step for k in range(width)]
        width = window
        for offset, page in zip(offsets, state.fetch(offsets, page_size), strict=True):
            if _anchor(page, state.rows) is None:
                # Rows vanished before this page (or it lies past the end): find firm ground
                # behind it, then see whether the page joins up with what that brought. Dropping
                # the rest of the window instead would never get past a list that keeps shifting.
                position, ended = _step_back(state, position, page_size)
                stalls = 0
                if ended:
                    return
                if _anchor(page, state.rows) is None:
                    break
            fresh = state.add(page)
            position = offset + len(page) - 1
            if len(page) < page_size:
                return
            stalls = 0 if fresh else stalls + 1
            if stalls >= MAX_STALLS:
                raise ListingError(
                    "the chatbot list gave the same rows at different offsets; the server seems "
                    "to ignore offset, so the list cannot be read completely"
                )


def _anchor(page: list[ChatbotRow], seen: dict[str, ChatbotRow]) -> int | None:
    """Index of the first row of page that an earlier page had; None when there is none."""
    for index, row in enumerate(page):
        if row.id in seen:
            return index
    return None


def _step_back(state: _Scan, position: int, page_size: int) -> tuple[int, bool]:
    """Fetch further and further back until a page has an anchor: (the new frontier position,
    whether that page was the list's last).

    At offset 0 any page is firm ground: nothing can have slipped in before the first row.
    """
    back = page_size - 1
    while True:
        offset = max(0, position - back)
        [page] = state.fetch([offset], page_size)
        if offset == 0 or _anchor(page, state.rows) is not None:
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
        self._snapshot: Snapshot | None = None
        self._created: dict[str, ChatbotRow] = {}
        self._deleted: set[str] = set()

    def snapshot(self, *, proven: bool) -> Snapshot:
        """The run's snapshot, scanning first if there is none (or it must be proven and is not)."""
        with self._lock:
            current = self._snapshot
            if current is None or (proven and not current.proven):
                current = scan(
                    self._fetch,
                    proven=proven,
                    window=self._window,
                    max_requests=self._max_requests,
                    on_page=self._on_page,
                )
                self._snapshot = current
            return self._merged(current)

    def find(self, chatbot_id: str) -> ChatbotRow | None:
        """The live row with this id, or None when a proven scan does not have it."""
        found = self.snapshot(proven=False).rows.get(chatbot_id)
        if found is None:
            found = self.snapshot(proven=True).rows.get(chatbot_id)
        return found

    def rescan(self) -> Snapshot:
        """A new proven scan, replacing the run's snapshot (to see what a failed write did)."""
        with self._lock:
            self._snapshot = scan(
                self._fetch,
                proven=True,
                window=self._window,
                max_requests=self._max_requests,
                on_page=self._on_page,
            )
            return self._merged(self._snapshot)

    def page(self, offset: int, limit: int) -> list[ChatbotRow]:
        """One page, outside any scan (to look where a new row is likely to be)."""
        return self._fetch(offset, limit)

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

    def _merged(self, snapshot: Snapshot) -> Snapshot:
        rows = {**snapshot.rows, **self._created}
        for gone in self._deleted:
            rows.pop(gone, None)
        order = [key for key in snapshot.order if key in rows]
        order += [key for key in self._created if key not in snapshot.rows]
        return Snapshot(rows, snapshot.proven, snapshot.page_size, snapshot.requests, order)
