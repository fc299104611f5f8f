"""The dynamic-provider server serves more than four calls at once once the provider loads.

The seam is the SDK server's `grpc.server(futures.ThreadPoolExecutor(max_workers=4))`
(pulumi/dynamic/__main__.py), reached through gRPC's server state: if a new SDK or gRPC stops
working this way, these tests fail loudly.
"""

from __future__ import annotations

import importlib.util
import threading
import types
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path

import grpc  # type: ignore[import-untyped]
import pytest

from caigunn_provider.dynamic import workers


def sdk_server_source() -> str:
    spec = importlib.util.find_spec("pulumi.dynamic")
    assert spec is not None and spec.origin is not None
    return (Path(spec.origin).parent / "__main__.py").read_text()


@pytest.fixture
def pool() -> Iterator[futures.ThreadPoolExecutor]:
    """A gRPC server with four threads, as the SDK's dynamic-provider server makes it."""
    executor = futures.ThreadPoolExecutor(max_workers=4)
    server = grpc.server(executor)
    server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield executor
    finally:
        server.stop(0)
        executor.shutdown(wait=True)


def fake_server() -> types.ModuleType:
    server = types.ModuleType("__main__")
    server.DynamicResourceProviderServicer = object  # type: ignore[attr-defined]
    return server


def test_the_sdk_server_still_serves_from_a_thread_pool_of_four() -> None:
    assert "grpc.server(\n        futures.ThreadPoolExecutor(max_workers=4)," in sdk_server_source()


def test_install_widens_the_server_pool_and_more_than_four_calls_run_at_once(
    pool: futures.ThreadPoolExecutor,
) -> None:
    assert workers.install(fake_server())

    assert pool._max_workers == workers.WORKERS
    started = threading.Barrier(8, timeout=10)
    # Eight calls that each wait for the other seven: they end only if all eight run at once.
    done = [pool.submit(started.wait) for _ in range(8)]
    assert sorted(call.result(timeout=20) for call in done) == list(range(8))


def test_install_does_nothing_outside_the_provider_process(
    pool: futures.ThreadPoolExecutor,
) -> None:
    assert not workers.install(types.ModuleType("__main__"))
    assert pool._max_workers == 4
