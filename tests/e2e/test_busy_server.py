"""A busy server on the real engine: 429 to every call past 8 at once, and the run still finishes.

The engine may run 64 steps at once and the provider's account-wide limit starts at 16
(caigunn:maxConcurrency), so the emulator (max_in_flight=8) must refuse some calls; the client
slows the whole account on each 429 and tries again, and no create runs twice. At the seed level
the creates find their new rows by listing, so list pages are refused too.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from tests.e2e.conftest import entry, make_project, write_stack_file
from tests.e2e.pulumi_cli import PulumiProject
from tests.support import Admin, emulator

CHATBOTS = 40
MAX_IN_FLIGHT = 8
NAMES = [f"busy-{n:02d}" for n in range(CHATBOTS)]
TITLES = [f"Busy {n:02d}" for n in range(CHATBOTS)]


def _stack_file() -> str:
    return "chatbots:\n" + "".join(
        entry(name, title) for name, title in zip(NAMES, TITLES, strict=True)
    )


def _load(admin: Admin) -> dict[str, int]:
    load: dict[str, int] = admin.call("GET", "/_emulator/in-flight").json()
    return load


def _accepted_creates(admin: Admin) -> int:
    return sum(1 for r in admin.requests("POST") if 200 <= r["status"] < 300)


def _refused(admin: Admin) -> Counter[str]:
    """The requests answered 429 (the emulator's request log), by method."""
    return Counter(r["method"] for r in admin.requests() if r["status"] == 429)


def _up_against_the_busy_server(
    project: PulumiProject, admin: Admin, latency_ms: int = 300
) -> dict[str, int]:
    """`up --parallel 64` of 40 new chatbots against max_in_flight=8 at 300 ms a call by default
    (long enough for calls to overlap on a loaded machine): it ends well, with each declared
    chatbot made exactly once, though the server was kept full and refused calls; the emulator's
    load counts."""
    admin.set_knobs(max_in_flight=MAX_IN_FLIGHT, latency_ms=latency_ms, retry_after=1)
    write_stack_file(project, _stack_file())

    started = time.monotonic()
    first = project.outcome("up", "--parallel", "64")
    seconds = time.monotonic() - started
    load = _load(admin)
    live = admin.chatbots()
    outputs = project.outputs(show_secrets=True)
    print(
        f"\nbusy server: up of {CHATBOTS} in {seconds:.1f} s; {load['refused_busy']} refused as "
        f"busy, {load['most_at_once']} at most at once; requests (method, status): "
        f"{dict(Counter((r['method'], r['status']) for r in admin.requests()))}"
    )

    assert (first.exit_code, first.messages("error")) == (0, [])
    assert first.changes == {"create": CHATBOTS + 1}  # the stack and every chatbot
    assert Counter(bot["title"] for bot in live.values()) == Counter(TITLES)  # each title once
    assert _accepted_creates(admin) == CHATBOTS
    assert sorted(project.resources()) == NAMES
    assert sorted(outputs["api_keys"]) == NAMES
    assert set(outputs["api_keys"].values()) == {bot["api_key"] for bot in live.values()}
    # The server was full (its count of calls served at once reached the limit, and cannot pass
    # it) and refused calls past it: each refusal is in the request log as a 429, and the run
    # still ended well, so every refused call was tried again.
    assert load["most_at_once"] == MAX_IN_FLIGHT
    assert load["refused_busy"] > 0
    assert sum(_refused(admin).values()) == load["refused_busy"]
    return load


@pytest.mark.e2e
def test_up_against_a_server_that_refuses_past_eight_at_once_makes_each_chatbot_once(
    project: PulumiProject, admin: Admin
) -> None:
    # How many calls the server refuses at the default limit of 16 depends on how closely the
    # engine's creates bunch together (2 to 9 in runs; the first 429 halves the client's limit
    # to the server's 8): at a second a call more of them overlap, and the helper asserts that
    # some were refused. The tests below make the server refuse many.
    _up_against_the_busy_server(project, admin, latency_ms=1000)

    second = project.outcome("up", "--expect-no-changes", "--parallel", "64")

    assert second.changes == {"same": CHATBOTS + 1}
    assert len(admin.chatbots()) == CHATBOTS
    assert _accepted_creates(admin) == CHATBOTS


@pytest.mark.e2e
def test_a_raised_account_limit_against_the_busy_server_still_ends_well_and_refreshes(
    project: PulumiProject, admin: Admin, level: str
) -> None:
    # 64 allowed at once: far more calls are refused, creates among them, and tried again.
    project.config_set("caigunn:maxConcurrency", "64")
    before = _up_against_the_busy_server(project, admin)
    posts = Counter(r["status"] for r in admin.requests("POST"))

    refreshed = project.outcome("refresh", "--parallel", "64")
    second = project.outcome("up", "--expect-no-changes", "--parallel", "64")
    after = _load(admin)

    assert before["refused_busy"] > MAX_IN_FLIGHT
    # Creates were refused, and each was sent again until it was made, once: every POST was
    # either refused or made one of the 40 chatbots (each title once, as the helper asserts).
    assert posts[429] > 0
    assert sum(posts.values()) == CHATBOTS + posts[429]
    assert refreshed.changes == {"same": CHATBOTS + 1}
    assert second.changes == {"same": CHATBOTS + 1}
    # At the current level the refresh reads the 40 chatbots one by one, all at once: refused
    # too, and still ended well (the seed level lists them, a page at a time).
    if level == "current":
        assert after["refused_busy"] > before["refused_busy"]
    assert sum(_refused(admin).values()) == after["refused_busy"]
    assert len(admin.chatbots()) == CHATBOTS
    assert _accepted_creates(admin) == CHATBOTS


@pytest.mark.e2e
def test_at_the_seed_level_list_pages_refused_as_busy_are_tried_again_too(
    tmp_path: Path,
) -> None:
    # Two at once and 600 chatbots to list: the scans' pages (the seed creates find their new
    # rows by listing) are refused as well as the creates.
    with emulator("seed", preload=600) as admin:
        project = make_project(tmp_path / "project", admin)
        admin.clear_requests()
        admin.set_knobs(max_in_flight=2, latency_ms=100, retry_after=1)
        write_stack_file(project, _stack_file())

        started = time.monotonic()
        first = project.outcome("up", "--parallel", "64")
        seconds = time.monotonic() - started
        refused = _refused(admin)
        print(f"\nbusy server (2 at once, seed): up in {seconds:.1f} s; refused {dict(refused)}")
        accepted = _accepted_creates(admin)
        titles = Counter(bot["title"] for bot in admin.chatbots().values())
        second = project.outcome("up", "--expect-no-changes", "--parallel", "64")
        load = _load(admin)

    assert (first.exit_code, first.messages("error")) == (0, [])
    assert first.changes == {"create": CHATBOTS + 1}
    assert refused["GET"] > 0 and refused["POST"] > 0
    assert [titles[title] for title in TITLES] == [1] * CHATBOTS  # each title once
    assert sum(titles.values()) == 600 + CHATBOTS
    assert accepted == CHATBOTS
    assert sorted(project.resources()) == NAMES
    assert second.changes == {"same": CHATBOTS + 1}
    assert load["most_at_once"] == 2  # the server was kept full, never past it (it cannot be)
