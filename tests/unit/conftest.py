"""Fixtures for the unit tests: a fake CaiGunn API on port 0 and clients pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from caigunn_provider.client import CaiGunnClient

from .fakeapi import TOKEN, FakeCaiGunn

MakeFake = Callable[..., FakeCaiGunn]
MakeClient = Callable[..., CaiGunnClient]


@pytest.fixture
def make_fake() -> Iterator[MakeFake]:
    """Start fakes with the given knobs; all are stopped at the end of the test."""
    started: list[FakeCaiGunn] = []

    def make(**knobs: Any) -> FakeCaiGunn:
        fake = FakeCaiGunn(**knobs).start()
        started.append(fake)
        return fake

    yield make
    for fake in started:
        fake.stop()


@pytest.fixture
def fake(make_fake: MakeFake) -> FakeCaiGunn:
    return make_fake()


@pytest.fixture
def make_client() -> Iterator[MakeClient]:
    """Clients with no backoff (tests stay fast) and a short timeout; closed at the end."""
    made: list[CaiGunnClient] = []

    def make(base_url: str, **options: Any) -> CaiGunnClient:
        options = {"token": TOKEN, "backoff_factor": 0.0, "timeout": 5.0, **options}
        client = CaiGunnClient(base_url, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(fake: FakeCaiGunn, make_client: MakeClient) -> CaiGunnClient:
    return make_client(fake.url)
