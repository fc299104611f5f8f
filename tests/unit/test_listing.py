"""The account listing's completeness rules, each pinned against the in-process emulator."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator

import pytest

from caigunn_provider.client import CaiGunnClient, ChatbotRow
from caigunn_provider.errors import ListingError
from caigunn_provider.listing import ASK_LIMIT, HINTED_WIDTH, WINDOW, Listing, scan
from tests.support import CHATBOT_PATH, UNKNOWN_ID, Admin, emulator

N = 95  # preloaded chatbots: several clamped pages, fewer than one unclamped page


@pytest.fixture
def account() -> Iterator[tuple[Admin, CaiGunnClient]]:
    with emulator("seed", preload=N) as admin:
        client = CaiGunnClient(admin.base_url, admin.token, backoff_factor=0)
        admin.clear_requests()
        try:
            yield admin, client
        finally:
            client.close()


def list_requests(admin: Admin) -> list[dict[str, object]]:
    return [r for r in admin.requests("GET") if r["path"] == CHATBOT_PATH]


def live_ids(admin: Admin) -> set[str]:
    return set(admin.chatbots())


def test_an_empty_account_is_proven_empty_in_one_round_trip() -> None:
    with emulator("seed") as admin:
        snapshot = scan(CaiGunnClient(admin.base_url, admin.token).list_chatbots_page, proven=True)
        queries = [r["query"] for r in list_requests(admin)]
        offsets = sorted(int(query["offset"]) for query in queries)  # type: ignore[index]
        assert (snapshot.rows, snapshot.proven, offsets) == ({}, True, [0, 1])


@pytest.mark.parametrize("clamp", [None, 7, 30])
@pytest.mark.parametrize("newest_first", [False, True])
@pytest.mark.parametrize("proven", [False, True])
def test_every_row_is_found_whatever_the_clamp_and_order(
    account: tuple[Admin, CaiGunnClient], clamp: int | None, newest_first: bool, proven: bool
) -> None:
    admin, client = account
    admin.set_knobs(max_limit=clamp, newest_first=newest_first)
    admin.clear_requests()

    snapshot = scan(client.list_chatbots_page, proven=proven)

    assert set(snapshot.rows) == live_ids(admin)
    assert snapshot.proven is proven
    page = clamp or ASK_LIMIT
    step = page - 1 if proven else page
    needed = math.ceil((N - (1 if proven else 0)) / step) + (1 if page > N else 0)
    # Side-by-side pages may overshoot the end by at most a window's width (4, or 8 when proven).
    assert needed <= len(list_requests(admin)) <= needed + (8 if proven else 4)


def test_a_proven_scan_never_misses_a_row_while_older_rows_are_deleted(
    account: tuple[Admin, CaiGunnClient],
) -> None:
    admin, client = account
    kept = admin.create("managed")  # not churned: the emulator deletes only preloaded rows
    admin.set_knobs(max_limit=7, churn_every=2, churn="delete")

    snapshot = scan(client.list_chatbots_page, proven=True)

    assert kept in snapshot.rows
    assert live_ids(admin) <= set(snapshot.rows)  # every survivor was read


@pytest.mark.parametrize("churn", ["delete", "insert"])
@pytest.mark.parametrize("newest_first", [False, True])
def test_churn_between_pages_never_hides_a_row_that_was_there_all_along(
    account: tuple[Admin, CaiGunnClient], churn: str, newest_first: bool
) -> None:
    admin, client = account
    before = live_ids(admin)
    admin.set_knobs(max_limit=7, churn_every=3, churn=churn, newest_first=newest_first)

    snapshot = scan(client.list_chatbots_page, proven=True)

    survivors = before & live_ids(admin)
    assert survivors <= set(snapshot.rows)


def test_a_fast_scan_is_not_proof_of_absence_but_find_proves_it(
    account: tuple[Admin, CaiGunnClient],
) -> None:
    admin, client = account
    gone = admin.create("to be deleted")
    admin.delete_out_of_band(gone)
    listing = Listing(client.list_chatbots_page)

    assert listing.snapshot(proven=False).proven is False
    assert listing.find(gone) is None
    assert listing.snapshot(proven=False).proven is True  # find upgraded it to a proven scan


def test_a_present_chatbot_is_found_without_a_proven_scan(
    account: tuple[Admin, CaiGunnClient],
) -> None:
    admin, client = account
    admin.set_knobs(max_limit=30)
    present = next(iter(live_ids(admin)))
    listing = Listing(client.list_chatbots_page)
    admin.clear_requests()

    assert listing.find(present) is not None
    assert len(list_requests(admin)) <= math.ceil(N / 30) + 4


def test_one_scan_serves_every_thread_of_a_run(account: tuple[Admin, CaiGunnClient]) -> None:
    admin, client = account
    admin.set_knobs(max_limit=30, latency_ms=20)
    listing = Listing(client.list_chatbots_page)
    admin.clear_requests()
    ids = sorted(live_ids(admin))[:8]
    found: list[bool] = []
    threads = [
        threading.Thread(target=lambda i=i: found.append(listing.find(i) is not None)) for i in ids
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert found == [True] * 8
    assert len(list_requests(admin)) <= math.ceil(N / 30) + 4


def test_the_run_own_writes_keep_the_snapshot_true(account: tuple[Admin, CaiGunnClient]) -> None:
    admin, client = account
    listing = Listing(client.list_chatbots_page)
    first = listing.snapshot(proven=True)
    victim, renamed = list(first.rows)[:2]
    made = client.create_chatbot("new", "3fa85f64-5717-4562-b3fc-2c963f66afa6")
    [row] = [r for r in admin.rows() if r["api_key"] == made.api_key]
    listing.record_created(ChatbotRow(row["id"], "new", made.api_key))
    listing.record_deleted(victim)
    listing.record_renamed(renamed, "Renamed")
    admin.clear_requests()

    after = listing.snapshot(proven=True)
    assert row["id"] in after.rows and victim not in after.rows
    assert after.rows[renamed].title == "Renamed"
    assert list_requests(admin) == []


# What one scan may spend on a server that ignores offset: the first page (a proven scan's with the
# page one row further on beside it, which then tells nothing), one more page alone (the page size
# is not known before), then one window (a proven scan's is twice as wide) in which MAX_STALLS
# pages show the stall.
FEW_REQUESTS = 3 + 2 * WINDOW

IGNORED_OFFSET = (
    "the chatbot list gave rows already read at new offsets, page after page; the server seems to "
    "ignore offset (or the list changes faster than it can be read), so the list cannot be read "
    "completely"
)


def test_a_server_that_ignores_offset_gets_a_clear_error_never_a_short_list(
    account: tuple[Admin, CaiGunnClient],
) -> None:
    admin, client = account
    admin.set_knobs(max_limit=30, ignore_offset=True)
    with pytest.raises(ListingError) as caught:
        scan(client.list_chatbots_page, proven=True)
    assert str(caught.value) == IGNORED_OFFSET


@pytest.mark.parametrize("clamp", [None, 7, 30])
def test_a_fast_scan_stops_soon_on_a_server_that_ignores_offset_and_proves_nothing(
    account: tuple[Admin, CaiGunnClient], clamp: int | None
) -> None:
    # It used to page on until the request budget (5000) ran out: full pages never end a scan.
    admin, client = account
    admin.set_knobs(max_limit=clamp, ignore_offset=True)
    admin.clear_requests()

    snapshot = scan(client.list_chatbots_page, proven=False)

    assert snapshot.proven is False
    assert set(snapshot.rows) <= live_ids(admin)
    assert len(list_requests(admin)) <= FEW_REQUESTS


@pytest.mark.parametrize("clamp", [None, 7, 30])
def test_an_absence_on_a_server_that_ignores_offset_fails_clearly_within_a_few_requests(
    account: tuple[Admin, CaiGunnClient], clamp: int | None
) -> None:
    # Unclamped, the first page (95 of 100 asked) is in fact the whole list; but so it would look
    # on a server that clamps at 95, and the page at the next offset cannot tell them apart.
    admin, client = account
    admin.set_knobs(max_limit=clamp, ignore_offset=True)
    admin.clear_requests()

    with pytest.raises(ListingError) as caught:
        Listing(client.list_chatbots_page).find(UNKNOWN_ID)

    assert str(caught.value) == IGNORED_OFFSET
    assert len(list_requests(admin)) <= 2 * FEW_REQUESTS  # a fast scan, then a proven one


@pytest.mark.parametrize("churn", ["delete", "insert"])
@pytest.mark.parametrize("newest_first", [False, True])
def test_a_server_that_ignores_offset_is_caught_even_when_churn_brings_a_new_row_now_and_then(
    account: tuple[Admin, CaiGunnClient], churn: str, newest_first: bool
) -> None:
    # Newest first, each insert shows at the top of the repeated page: no page is ever wholly
    # old, and a rule of "a page with nothing new" never fired (the scan ran to 5000 requests).
    admin, client = account
    admin.set_knobs(
        max_limit=7, ignore_offset=True, newest_first=newest_first, churn_every=3, churn=churn
    )
    admin.clear_requests()

    with pytest.raises(ListingError) as caught:
        scan(client.list_chatbots_page, proven=True)

    assert str(caught.value) == IGNORED_OFFSET
    assert len(list_requests(admin)) <= FEW_REQUESTS


def test_a_server_that_pages_forever_gets_a_clear_error_within_the_budget() -> None:
    with emulator("seed", endless=True, max_limit=30) as admin:
        client = CaiGunnClient(admin.base_url, admin.token)
        with pytest.raises(ListingError) as caught:
            scan(client.list_chatbots_page, proven=True, max_requests=40)
        assert str(caught.value).startswith(
            "the chatbot list did not end within 40 page requests ("
        )
        assert len(list_requests(admin)) <= 40


@pytest.mark.parametrize("hint", [N, 10 * N])
def test_a_size_hint_speeds_a_fast_scan_and_an_accurate_one_costs_no_extra_request(
    account: tuple[Admin, CaiGunnClient], hint: int
) -> None:
    admin, client = account
    admin.set_knobs(max_limit=7)
    admin.clear_requests()

    snapshot = scan(client.list_chatbots_page, proven=False, size_hint=hint)

    assert set(snapshot.rows) == live_ids(admin)
    needed = math.ceil(N / 7) + 1  # and the width-one page that finds the clamp
    if hint == N:
        assert len(list_requests(admin)) <= needed + 3
    else:  # a hint far past the end: still every row, at the price of a wide window past it
        assert len(list_requests(admin)) <= needed + HINTED_WIDTH * WINDOW - 1
