"""Client paging, create and the seed-level answers, against a fake API on a real local server."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from caigunn_provider.client import CaiGunnClient, ChatbotSummary, CreatedChatbot
from caigunn_provider.errors import APIError, NotFoundError, UnsupportedError

from .conftest import MakeClient, MakeFake
from .fakeapi import BASIC_PLAN, CHATBOT_PATH, TOKEN, FakeCaiGunn, Scripted


def offsets(fake: FakeCaiGunn) -> list[int]:
    return [int(seen.query["offset"]) for seen in fake.requests("GET")]


def test_listing_an_empty_account_returns_nothing_after_one_request(
    fake: FakeCaiGunn, client: CaiGunnClient
) -> None:
    assert client.list_chatbots() == []
    assert offsets(fake) == [0]


def test_listing_exactly_one_full_page_stops_at_the_empty_page_after_it(
    make_fake: MakeFake, make_client: MakeClient
) -> None:
    fake = make_fake(rows=10)
    bots = make_client(fake.url, page_size=10).list_chatbots()
    assert [bot.id for bot in bots] == [f"bot-{i:05d}" for i in range(10)]
    assert offsets(fake) == [0, 10]


def test_listing_many_pages_returns_every_chatbot_once_in_order(
    make_fake: MakeFake, make_client: MakeClient
) -> None:
    fake = make_fake(rows=25)
    bots = make_client(fake.url, page_size=10).list_chatbots()
    assert [bot.id for bot in bots] == [f"bot-{i:05d}" for i in range(25)]
    assert bots[3] == ChatbotSummary(id="bot-00003", title="Bot 3", api_key="key-00003")
    assert offsets(fake) == [0, 10, 20, 25]
    assert {seen.query["limit"] for seen in fake.requests()} == {"10"}


def test_a_server_that_clamps_limit_is_paged_by_the_rows_it_actually_returned(
    make_fake: MakeFake, make_client: MakeClient
) -> None:
    fake = make_fake(rows=20, clamp_limit=7)
    bots = make_client(fake.url, page_size=10).list_chatbots()
    assert len(bots) == 20
    assert offsets(fake) == [0, 7, 14, 20]


def test_a_server_that_ignores_offset_ends_the_listing_and_returns_its_rows(
    make_fake: MakeFake, make_client: MakeClient
) -> None:
    fake = make_fake(rows=25, ignore_offset=True)
    bots = make_client(fake.url, page_size=10).list_chatbots()
    # Only the first page is reachable on such a server; the point is that the walk ends.
    assert [bot.id for bot in bots] == [f"bot-{i:05d}" for i in range(10)]
    assert offsets(fake) == [0, 10]


def test_rows_repeated_because_the_list_shifted_are_returned_once(
    make_fake: MakeFake, make_client: MakeClient
) -> None:
    rows = [{"id": i, "title": i, "api_key": f"k{i}"} for i in ["a", "b", "b", "c", "c", "d"]]
    fake = make_fake(rows=rows)
    bots = make_client(fake.url, page_size=2).list_chatbots()
    assert [bot.id for bot in bots] == ["a", "b", "c", "d"]


def test_a_server_that_never_runs_out_of_rows_stops_at_the_page_cap(
    make_fake: MakeFake, make_client: MakeClient
) -> None:
    fake = make_fake(endless=True)
    client = make_client(fake.url, page_size=3, max_pages=4)
    with pytest.raises(APIError) as caught:
        client.list_chatbots()
    assert str(caught.value) == (
        f"gave up listing after 4 pages of GET {fake.url}{CHATBOT_PATH} (12 rows): the server "
        "keeps returning new rows; it may be ignoring offset, or the account is larger than "
        "max_pages * page_size"
    )
    assert len(fake.requests()) == 4


def test_find_chatbot_pages_until_it_meets_the_id(
    make_fake: MakeFake, make_client: MakeClient
) -> None:
    fake = make_fake(rows=25)
    client = make_client(fake.url, page_size=10)
    found = client.find_chatbot("bot-00012")
    assert found == ChatbotSummary(id="bot-00012", title="Bot 12", api_key="key-00012")
    assert offsets(fake) == [0, 10]
    assert client.find_chatbot("bot-99999") is None


def test_find_by_api_key_finds_the_row_with_that_key(
    fake: FakeCaiGunn, make_client: MakeClient
) -> None:
    fake.rows.extend(
        [{"id": "x", "title": "X", "api_key": "kx"}, {"id": "y", "title": "Y", "api_key": "ky"}]
    )
    client = make_client(fake.url)
    assert client.find_by_api_key("ky") == ChatbotSummary(id="y", title="Y", api_key="ky")
    assert client.find_by_api_key("nope") is None


def test_the_token_travels_only_in_the_access_token_header(
    fake: FakeCaiGunn, client: CaiGunnClient
) -> None:
    client.list_chatbots()
    client.create_chatbot("Support", BASIC_PLAN)
    for seen in fake.requests():
        assert seen.headers["caigunn-access-token"] == TOKEN
        others = {k: v for k, v in seen.headers.items() if k != "caigunn-access-token"}
        assert TOKEN not in repr((seen.path, seen.query, seen.form, others))


def test_create_sends_title_and_plan_id_in_the_query_and_as_form_data(
    fake: FakeCaiGunn, client: CaiGunnClient
) -> None:
    created = client.create_chatbot("Support Desk", BASIC_PLAN)
    (post,) = fake.requests("POST")
    assert post.query == {"title": "Support Desk", "plan_id": BASIC_PLAN}
    assert post.form == {"title": "Support Desk", "plan_id": BASIC_PLAN}
    assert post.headers["content-type"] == "application/x-www-form-urlencoded"
    assert created.api_key == fake.rows[0]["api_key"]


def test_create_at_seed_level_returns_the_key_and_no_ids(
    fake: FakeCaiGunn, client: CaiGunnClient
) -> None:
    created = client.create_chatbot("Support", BASIC_PLAN)
    assert created == CreatedChatbot(
        api_key=fake.rows[0]["api_key"],
        expired_at="2031-01-01T00:00:00Z",
        chatbot_id=None,
        webchat_id=None,
    )
    # The seed way to learn the new id: page the list for the key.
    assert client.find_by_api_key(created.api_key) == ChatbotSummary(
        id=fake.rows[0]["id"], title="Support", api_key=created.api_key
    )


def test_create_at_current_level_returns_the_chatbot_and_webchat_ids(
    make_fake: MakeFake, make_client: MakeClient
) -> None:
    fake = make_fake(current=True)
    created = make_client(fake.url).create_chatbot("Support", BASIC_PLAN)
    assert created.chatbot_id == fake.rows[0]["id"]
    assert created.webchat_id == f"web-{fake.rows[0]['id']}"


def test_get_chatbot_at_a_seed_level_server_raises_not_found(
    fake: FakeCaiGunn, client: CaiGunnClient
) -> None:
    with pytest.raises(NotFoundError) as caught:
        client.get_chatbot("bot-00001")
    assert caught.value.status == 404
    assert str(caught.value) == (
        "CaiGunn found no such resource "
        f"(GET {fake.url}{CHATBOT_PATH}/bot-00001 answered 404: Not Found)"
    )


def test_get_chatbot_answered_405_also_raises_not_found(
    fake: FakeCaiGunn, client: CaiGunnClient
) -> None:
    fake.script("GET", Scripted(405, {"detail": "Method Not Allowed"}))
    with pytest.raises(NotFoundError):
        client.get_chatbot("bot-00001")


def test_update_at_a_seed_level_server_raises_not_found_on_404_and_unsupported_on_405(
    fake: FakeCaiGunn, client: CaiGunnClient
) -> None:
    with pytest.raises(NotFoundError):
        client.update_chatbot("bot-00001", title="New")
    fake.script("PUT", Scripted(405, {"detail": "Method Not Allowed"}))
    with pytest.raises(UnsupportedError) as caught:
        client.update_chatbot("bot-00001", title="New")
    assert str(caught.value) == (
        f"this CaiGunn API does not offer the call (PUT {fake.url}{CHATBOT_PATH}/bot-00001 "
        "answered 405: Method Not Allowed); it may be an older API level"
    )


def test_delete_at_a_seed_level_server_raises_not_found_on_404_and_unsupported_on_405(
    fake: FakeCaiGunn, client: CaiGunnClient
) -> None:
    with pytest.raises(NotFoundError):
        client.delete_chatbot("bot-00001")
    fake.script("DELETE", Scripted(405, {"detail": "Method Not Allowed"}))
    with pytest.raises(UnsupportedError):
        client.delete_chatbot("bot-00001")


def test_a_chatbot_id_cannot_escape_its_path_segment(
    fake: FakeCaiGunn, client: CaiGunnClient
) -> None:
    with pytest.raises(NotFoundError):
        client.get_chatbot("../plan?x=1")
    assert fake.requests()[-1].path == f"{CHATBOT_PATH}/..%2Fplan%3Fx%3D1"


def test_list_plans_at_a_seed_level_server_raises_unsupported(client: CaiGunnClient) -> None:
    with pytest.raises(UnsupportedError):
        client.list_plans()


def test_one_client_serves_many_threads_at_once(
    make_fake: MakeFake, make_client: MakeClient
) -> None:
    fake = make_fake(rows=30)
    client = make_client(fake.url, page_size=7)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: client.list_chatbots(), range(16)))
    assert all([bot.id for bot in bots] == [r["id"] for r in fake.rows] for bots in results)


def test_a_listed_chatbot_keeps_its_api_key_out_of_repr() -> None:
    bot = ChatbotSummary(id="b1", title="T", api_key="key-secret-1")
    assert "key-secret-1" not in repr(bot)
    assert "key-secret-1" not in repr(CreatedChatbot("key-secret-1", None, None, None))
