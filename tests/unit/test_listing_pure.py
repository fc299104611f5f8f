"""The listing's scan and its run-long snapshot as pure functions, against an in-memory list."""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

import pytest

from caigunn_provider.client import ChatbotRow
from caigunn_provider.errors import ListingError
from caigunn_provider.listing import (
    ASK_LIMIT,
    HINTED_WIDTH,
    IGNORED_OFFSET,
    WINDOW,
    Listing,
    scan,
)

N = 95  # rows: several clamped pages, fewer than one unclamped page
# What one scan may spend on a list that ignores offset: the first page (a proven scan's with the
# page one row further on beside it, which then tells nothing), one more page alone (the page size
# is not known before), then one window (a proven scan's is twice as wide) that shows the stall.
FEW_REQUESTS = 3 + 2 * WINDOW


def row(number: int) -> ChatbotRow:
    return ChatbotRow(f"id-{number:04d}", f"Bot {number}", f"key-{number}")


@dataclass
class Account:
    """A chatbot list served page by page the way the seed API may serve it: clamped, newest
    first, ignoring offset, without end, or changing between pages (every `churn_every`-th
    request deletes the oldest row not in `kept`, or inserts a new one)."""

    rows: list[ChatbotRow]
    clamp: int | None = None
    newest_first: bool = False
    ignore_offset: bool = False
    endless: bool = False
    churn_every: int = 0
    churn: str = ""
    kept: set[str] = field(default_factory=set)
    requests: list[tuple[int, int]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fetch(self, offset: int, limit: int) -> list[ChatbotRow]:
        with self._lock:
            self.requests.append((offset, limit))
            if self.churn_every and len(self.requests) % self.churn_every == 0:
                self._change()
            size = min(limit, self.clamp or limit)
            start = 0 if self.ignore_offset else offset
            if self.endless:
                return [row(start + i) for i in range(size)]
            ordered = self.rows[::-1] if self.newest_first else self.rows
            return ordered[start : start + size]

    def _change(self) -> None:
        if self.churn == "insert":
            self.rows.append(row(1000 + len(self.requests)))
        else:
            doomed = next((r for r in self.rows if r.id not in self.kept), None)
            if doomed is not None:
                self.rows.remove(doomed)

    def ids(self) -> set[str]:
        return {r.id for r in self.rows}


def account(**options: object) -> Account:
    return Account([row(i) for i in range(N)], **options)  # type: ignore[arg-type]


def test_an_empty_list_is_proven_empty_in_one_round_trip() -> None:
    empty = Account([])
    snapshot = scan(empty.fetch, proven=True)
    # The first page, and beside it the page one row further on that a proven scan asks for.
    assert (snapshot.rows, snapshot.proven) == ({}, True)
    assert sorted(empty.requests) == [(0, ASK_LIMIT), (1, ASK_LIMIT)]


def test_an_empty_list_is_read_by_a_fast_scan_with_one_request() -> None:
    empty = Account([])
    snapshot = scan(empty.fetch, proven=False)
    assert (snapshot.rows, empty.requests) == ({}, [(0, ASK_LIMIT)])


@pytest.mark.parametrize("clamp", [None, 1, 2, 7, 30, N, N + 1])
@pytest.mark.parametrize("newest_first", [False, True])
@pytest.mark.parametrize("proven", [False, True])
def test_every_row_is_found_in_list_order_whatever_the_clamp_and_order(
    clamp: int | None, newest_first: bool, proven: bool
) -> None:
    listed = account(clamp=clamp, newest_first=newest_first)

    snapshot = scan(listed.fetch, proven=proven)

    assert snapshot.order == [r.id for r in (listed.rows[::-1] if newest_first else listed.rows)]
    # A page of one row cannot overlap its neighbour: a proven scan of it proves nothing.
    assert snapshot.proven is (proven and (clamp or ASK_LIMIT) >= 2)


@pytest.mark.parametrize("clamp", [None, 7, 30])
@pytest.mark.parametrize("proven", [False, True])
def test_a_scan_costs_the_pages_the_list_needs_and_at_most_a_window_more(
    clamp: int | None, proven: bool
) -> None:
    listed = account(clamp=clamp)

    scan(listed.fetch, proven=proven)

    page = clamp or ASK_LIMIT
    step = page - 1 if proven else page
    needed = math.ceil((N - (1 if proven else 0)) / step) + (1 if page > N else 0)
    assert needed <= len(listed.requests) <= needed + (8 if proven else 4)


@pytest.mark.parametrize("clamp", [3, 7, 30])
@pytest.mark.parametrize("churn", ["delete", "insert"])
@pytest.mark.parametrize("newest_first", [False, True])
@pytest.mark.parametrize("churn_every", [1, 2, 3])
def test_a_proven_scan_never_misses_a_row_that_was_there_all_along(
    clamp: int, churn: str, newest_first: bool, churn_every: int
) -> None:
    listed = account(clamp=clamp, newest_first=newest_first, churn_every=churn_every, churn=churn)
    listed.kept = {r.id for r in listed.rows[::5]}
    before = listed.ids()

    snapshot = scan(listed.fetch, proven=True)

    assert snapshot.proven is True
    assert before & listed.ids() <= set(snapshot.rows)  # every survivor was read
    assert listed.kept <= set(snapshot.rows)


def test_a_list_that_ignores_offset_gets_a_clear_error_from_a_proven_scan() -> None:
    listed = account(clamp=30, ignore_offset=True)
    with pytest.raises(ListingError) as caught:
        scan(listed.fetch, proven=True)
    assert str(caught.value) == IGNORED_OFFSET
    assert len(listed.requests) <= FEW_REQUESTS


@pytest.mark.parametrize("clamp", [None, 7, 30])
def test_a_fast_scan_of_a_list_that_ignores_offset_stops_soon_and_proves_nothing(
    clamp: int | None,
) -> None:
    listed = account(clamp=clamp, ignore_offset=True)

    snapshot = scan(listed.fetch, proven=False)

    assert snapshot.proven is False
    assert set(snapshot.rows) <= listed.ids()
    assert len(listed.requests) <= FEW_REQUESTS


@pytest.mark.parametrize("churn", ["delete", "insert"])
@pytest.mark.parametrize("newest_first", [False, True])
def test_a_list_that_ignores_offset_is_caught_even_when_churn_brings_a_new_row_now_and_then(
    churn: str, newest_first: bool
) -> None:
    listed = account(
        clamp=7, ignore_offset=True, newest_first=newest_first, churn_every=3, churn=churn
    )
    with pytest.raises(ListingError) as caught:
        scan(listed.fetch, proven=True)
    assert str(caught.value) == IGNORED_OFFSET
    assert len(listed.requests) <= FEW_REQUESTS


@pytest.mark.parametrize("proven", [False, True])
def test_a_list_without_end_gets_a_clear_error_within_the_budget(proven: bool) -> None:
    listed = account(clamp=30, endless=True)
    with pytest.raises(ListingError) as caught:
        scan(listed.fetch, proven=proven, max_requests=40)
    assert str(caught.value).startswith("the chatbot list did not end within 40 page requests (")
    assert len(listed.requests) <= 40


# A hint far past the end: every row all the same, at the price of a wide window past the end.
@pytest.mark.parametrize(("hint", "extra"), [(N, 3), (10 * N, HINTED_WIDTH * WINDOW - 1)])
def test_a_size_hint_speeds_a_fast_scan_and_an_accurate_one_costs_no_extra_request(
    hint: int, extra: int
) -> None:
    listed = account(clamp=7)

    snapshot = scan(listed.fetch, proven=False, size_hint=hint)

    assert set(snapshot.rows) == listed.ids()
    needed = math.ceil(N / 7) + 1  # and the width-one page that finds the clamp
    assert len(listed.requests) <= needed + extra


def test_progress_is_told_the_rows_read_so_far_after_each_page() -> None:
    listed = account(clamp=30)
    told: list[int] = []

    scan(listed.fetch, proven=True, on_page=told.append)

    # The first page, the page one row further on (one new row), then pages of 30 overlapping by
    # one; the pages the last window sent past the end add nothing.
    assert told == [30, 31, 60, 89, N]


def test_a_fast_scan_is_not_proof_of_absence_but_find_proves_it() -> None:
    listing = Listing(account(clamp=30).fetch)

    assert listing.snapshot(proven=False).proven is False
    assert listing.find("id-9999") is None
    assert listing.snapshot(proven=False).proven is True  # find upgraded it to a proven scan


def test_a_present_row_is_found_without_a_proven_scan() -> None:
    listed = account(clamp=30)
    assert Listing(listed.fetch).find("id-0042") == row(42)
    assert len(listed.requests) <= math.ceil(N / 30) + 4


def test_one_scan_serves_every_thread_of_a_run() -> None:
    listed = account(clamp=30)
    listing = Listing(listed.fetch)
    found: list[bool] = []
    threads = [
        threading.Thread(target=lambda i=i: found.append(listing.find(f"id-{i:04d}") is not None))
        for i in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert found == [True] * 8
    assert len(listed.requests) <= math.ceil(N / 30) + 4


def test_the_runs_own_writes_keep_the_snapshot_true_without_a_request() -> None:
    listed = account()
    listing = Listing(listed.fetch)
    listing.snapshot(proven=True)
    spent = len(listed.requests)

    listing.record_created(ChatbotRow("id-new", "New", "key-new"))
    listing.record_deleted("id-0001")
    listing.record_renamed("id-0002", "Renamed")
    listing.record_renamed("id-new", "New, renamed")

    after = listing.snapshot(proven=True)
    assert after.order == ["id-0000", *[f"id-{i:04d}" for i in range(2, N)], "id-new"]
    assert (after.rows["id-0002"].title, after.rows["id-new"].title) == ("Renamed", "New, renamed")
    assert listing.size() == N
    assert len(listed.requests) == spent


def test_a_page_outside_a_scan_shares_the_keys_it_showed() -> None:
    listing = Listing(account().fetch)
    assert listing.seen_key("key-3") is None
    assert listing.page(0, 5) == [row(i) for i in range(5)]
    assert listing.seen_key("key-3") == row(3)
    assert listing.seen_key("key-7") is None
