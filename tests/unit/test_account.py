"""The account check: one round trip of requests, every plan whatever the server's paging."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs

import pytest

from caigunn_provider.account import AccountError, connect
from caigunn_provider.config import ProviderConfig
from caigunn_provider.emulator.models import PLANS
from tests.support import BASIC, Admin, emulator
from tests.unit.loopback import loopback, send

PLAN_IDS = sorted(plan.id for plan in PLANS)


def plan_pages(admin: Admin) -> list[dict[str, str]]:
    """The plan list's requests: {offset, limit} of each, in the order served."""
    found = []
    for entry in admin.requests("GET"):
        if entry["path"].endswith("/user/plan"):
            query = entry["query"]
            found.append({"offset": query.get("offset", ""), "limit": query.get("limit", "")})
    return found


def checked(admin: Admin, **knobs: Any) -> list[str]:
    """The plan ids the account check found, after setting the knobs."""
    if knobs:
        admin.set_knobs(**knobs)
    admin.clear_requests()
    account = connect(ProviderConfig(api_url=admin.base_url, token=admin.token))
    try:
        return sorted(plan.id for plan in account.plans)
    finally:
        account.close()


def test_a_short_plan_list_is_read_whole_from_the_two_pages_asked_side_by_side() -> None:
    with emulator("current") as admin:
        assert checked(admin) == PLAN_IDS
        pages = plan_pages(admin)

    # The probe's first page and the one a row further on, and nothing after them.
    assert sorted(page["offset"] for page in pages) == ["0", "1"]


@pytest.mark.parametrize("clamp", [1, 2])
def test_a_clamped_plan_list_is_paged_to_its_end(clamp: int) -> None:
    with emulator("current") as admin:
        assert checked(admin, max_limit=clamp) == PLAN_IDS
        offsets = [page["offset"] for page in plan_pages(admin)]

    assert len(offsets) > 2  # the first page was cut short: it was not taken for the whole list


def test_a_server_that_ignores_offset_still_gives_every_plan_once() -> None:
    with emulator("current") as admin:
        assert checked(admin, ignore_offset=True) == PLAN_IDS


def test_a_seed_server_is_checked_through_its_chatbot_list_in_the_same_round_trip() -> None:
    with emulator("seed") as admin:
        assert checked(admin) == []
        served = [entry["path"] for entry in admin.requests("GET")]

    assert any(path.endswith("/user/chatbot") for path in served)


def test_a_refused_token_stops_the_check_with_the_account_words() -> None:
    with emulator("current") as admin:
        config = ProviderConfig(api_url=admin.base_url, token="wrong-token-0a1b")
        with pytest.raises(AccountError) as refused:
            connect(config)

    assert "wrong-token-0a1b" not in str(refused.value)
    assert "401" in str(refused.value)


def test_a_refusal_of_the_plan_page_asked_beside_the_probe_is_the_accounts_refusal() -> None:
    refusals = [403]  # once: a check that asked for the page again would then pass

    def server(handler: BaseHTTPRequestHandler) -> None:
        path, _, query = handler.path.partition("?")
        offset = parse_qs(query).get("offset", ["0"])[0]
        if path.endswith("/user/plan") and offset == "1" and refusals:
            send(handler, refusals.pop(), b'{"detail": "Forbidden"}')
        elif path.endswith("/user/plan"):
            send(handler, 200, json.dumps({"plans": [{"id": BASIC, "title": "Basic"}]}).encode())
        else:
            send(handler, 200, b'{"chatbots": []}')

    with loopback(server) as url, pytest.raises(AccountError) as refused:
        connect(ProviderConfig(api_url=url, token="refused-token-1a2b"))

    assert "403" in str(refused.value)
