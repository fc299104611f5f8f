"""The scan's parts on their own: the first pages, the end they tell, the pool a scan runs on."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from caigunn_provider.client import ChatbotRow
from caigunn_provider.errors import CaiGunnError
from caigunn_provider.listing import (
    ASK_LIMIT,
    MAX_REQUESTS,
    _ended,
    _first_pages,
    _pool_for,
    _Scan,
    _Told,
)


def row(number: int) -> ChatbotRow:
    return ChatbotRow(f"id-{number:04d}", f"Bot {number}", f"key-{number}")


class Served:
    """A list of `size` rows clamped to `clamp` per page, every request recorded; the page at
    offset 1 fails when `shifted_fails`."""

    def __init__(self, size: int, clamp: int = ASK_LIMIT, *, shifted_fails: bool = False) -> None:
        self.rows = [row(i) for i in range(size)]
        self.clamp = clamp
        self.shifted_fails = shifted_fails
        self.requests: list[tuple[int, int]] = []
        self._lock = threading.Lock()

    def fetch(self, offset: int, limit: int) -> list[ChatbotRow]:
        with self._lock:
            self.requests.append((offset, limit))
        if offset == 1 and self.shifted_fails:
            raise CaiGunnError("the page at offset 1 failed")
        return self.rows[offset : offset + min(limit, self.clamp)]


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=2) as running:
        yield running


def first_pages(
    served: Served, pool: ThreadPoolExecutor, *, proven: bool, ahead: bool = False
) -> tuple[_Scan, list[ChatbotRow], _Told]:
    state = _Scan(served.fetch, MAX_REQUESTS, None, pool)
    prefetched = pool.submit(served.fetch, 0, ASK_LIMIT) if ahead else None
    first, told = _first_pages(state, prefetched, proven=proven)
    return state, first, told


def test_a_proven_scan_asks_the_first_page_and_the_one_a_row_further_on_side_by_side(
    pool: ThreadPoolExecutor,
) -> None:
    served = Served(5)
    state, first, told = first_pages(served, pool, proven=True)
    assert sorted(served.requests) == [(0, ASK_LIMIT), (1, ASK_LIMIT)]
    assert (first, told, state.requests) == (served.rows, "ended", 2)
    assert list(state.rows) == [r.id for r in served.rows]  # read into the scan
    assert _ended(first, told)


def test_a_clamped_first_page_is_told_by_the_page_a_row_further_on(
    pool: ThreadPoolExecutor,
) -> None:
    served = Served(50, clamp=30)
    _, first, told = first_pages(served, pool, proven=True)
    assert (first, told) == (served.rows[:30], served.rows[1:31])
    assert not _ended(first, told)


def test_a_fast_scan_asks_the_first_page_alone(pool: ThreadPoolExecutor) -> None:
    served = Served(5)
    state, first, told = first_pages(served, pool, proven=False)
    assert (served.requests, first, told) == ([(0, ASK_LIMIT)], served.rows, None)
    assert state.requests == 1


def test_a_first_page_asked_ahead_counts_and_goes_alone(pool: ThreadPoolExecutor) -> None:
    served = Served(5)
    state, _, told = first_pages(served, pool, proven=True, ahead=True)
    assert (served.requests, told, state.requests) == ([(0, ASK_LIMIT)], None, 1)


@pytest.mark.parametrize("size", [0, 1])
def test_a_first_page_of_fewer_than_two_rows_tells_nothing_more(
    pool: ThreadPoolExecutor, size: int
) -> None:
    _, first, told = first_pages(Served(size), pool, proven=True)
    assert (len(first), told) == (size, None)
    assert _ended(first, None) is (size == 0)


def test_a_failed_page_at_offset_1_proves_nothing(pool: ThreadPoolExecutor) -> None:
    _, first, told = first_pages(Served(5, shifted_fails=True), pool, proven=True)
    assert (len(first), told) == (5, None)
    assert not _ended(first, None)


def test_a_scan_runs_on_the_pool_it_is_given_and_leaves_it_running(
    pool: ThreadPoolExecutor,
) -> None:
    with _pool_for(pool, 4) as chosen:
        assert chosen is pool
    assert pool.submit(lambda: 1).result() == 1


def test_a_scan_given_no_pool_has_one_of_its_own_shut_down_after_it() -> None:
    with _pool_for(None, 4) as own:
        late: Future[int] = own.submit(lambda: 1)
    assert late.result() == 1
    with pytest.raises(RuntimeError):
        own.submit(lambda: 1)
