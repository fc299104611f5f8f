"""The dynamic-provider server serves many calls at once, not four.

The seam is the executor the SDK's server hands to `grpc.server` (pulumi/dynamic/__main__.py),
reached through grpc's `_Server._state.thread_pool`: if a new SDK or grpc stops working this way,
these tests fail loudly.
"""

from __future__ import annotations

import importlib.util
import re
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


def fake_server_module() -> types.ModuleType:
    main = types.ModuleType("__main__")
    main.DynamicResourceProviderServicer = object  # type: ignore[attr-defined]
    main.get_provider = lambda props, config: None  # type: ignore[attr-defined]
    return main


@pytest.fixture
def four_worker_server() -> Iterator[futures.ThreadPoolExecutor]:
    """A gRPC server built as the SDK's main() builds it."""
    pool = futures.ThreadPoolExecutor(max_workers=4)
    server = grpc.server(pool)
    server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield pool
    finally:
        server.stop(0)
        pool.shutdown(wait=False)


def concurrent_calls(pool: futures.ThreadPoolExecutor, calls: int) -> int:
    """How many of `calls` blocking tasks the pool runs at the same time."""
    lock, release = threading.Lock(), threading.Event()
    running = peak = 0

    def call() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        release.wait(5)
        with lock:
            running -= 1

    submitted = [pool.submit(call) for _ in range(calls)]
    release.wait(0.5)
    release.set()
    futures.wait(submitted, timeout=10)
    return peak


def test_the_sdk_server_still_serves_from_a_four_worker_pool_in_main() -> None:
    source = sdk_server_source()
    main = re.search(r"\ndef main\(\):(.*?)\n\n", source, re.S)
    assert main is not None, "pulumi/dynamic/__main__.py no longer has main()"
    # Four workers: the ceiling workers.install lifts (and four_worker_server copies).
    pool = re.search(r"grpc\.server\(\s*futures\.ThreadPoolExecutor\(max_workers=(\d+)\)", main[1])
    assert pool is not None, "main() no longer serves from grpc.server(ThreadPoolExecutor(...))"
    assert int(pool[1]) == 4
    assert re.search(r"^def get_provider\(", source, re.M)
    assert re.search(r"^class DynamicResourceProviderServicer\(", source, re.M)
    assert re.search(r"^main\(\)$", source, re.M), "the server no longer runs on import"


def test_grpc_still_keeps_the_executor_where_it_is_looked_for(
    four_worker_server: futures.ThreadPoolExecutor,
) -> None:
    assert four_worker_server in workers.server_pools()
    for name in ("_max_workers", "_adjust_thread_count", "_work_queue", "_shutdown_lock"):
        assert hasattr(four_worker_server, name), f"ThreadPoolExecutor lost {name}"


def test_the_server_runs_at_most_four_calls_before_it_is_widened(
    four_worker_server: futures.ThreadPoolExecutor,
) -> None:
    assert concurrent_calls(four_worker_server, 12) == 4


def test_a_widened_server_runs_every_call_at_once(
    four_worker_server: futures.ThreadPoolExecutor,
) -> None:
    assert workers.install(fake_server_module()) >= 1
    assert four_worker_server._max_workers == workers.worker_count()
    assert concurrent_calls(four_worker_server, 40) == 40


def test_calls_already_waiting_get_threads_when_the_server_is_widened() -> None:
    pool = futures.ThreadPoolExecutor(max_workers=1)
    release = threading.Event()
    started = threading.Semaphore(0)

    def call() -> None:
        started.release()
        release.wait(5)

    waiting = [pool.submit(call) for _ in range(6)]
    assert started.acquire(timeout=5)
    assert workers.widen(pool, 8) is True
    try:
        assert all(started.acquire(timeout=5) for _ in range(5)), "queued calls did not start"
    finally:
        release.set()
        futures.wait(waiting, timeout=10)
        pool.shutdown()


def test_nothing_is_widened_outside_the_dynamic_provider_server(
    four_worker_server: futures.ThreadPoolExecutor,
) -> None:
    assert workers.install(types.ModuleType("__main__")) == 0
    assert four_worker_server._max_workers == 4


def test_the_worker_count_stays_above_the_engines_parallelism() -> None:
    assert workers.worker_count({}) >= workers.MIN_WORKERS
    assert workers.worker_count({"PULUMI_PARALLEL": "200"}) == 200
    assert workers.worker_count({"PULUMI_PARALLEL": "lots"}) >= workers.MIN_WORKERS
