"""Lift the four-calls-at-a-time ceiling of Pulumi's Python dynamic-provider server.

The SDK's server (pulumi/dynamic/__main__.py, the provider process's __main__) serves its gRPC
calls from `futures.ThreadPoolExecutor(max_workers=4)`, a local of its `main()`: at most four
creates, reads or updates run at once, whatever the engine's `--parallel`. Our code first runs in
that process when a request unpickles our provider, with the server already serving. Its
executor is found through the gRPC server object (`grpc._server._Server._state.thread_pool`) and
its `_max_workers` raised: a ThreadPoolExecutor reads that on every submit and starts a thread per
waiting call up to it, so no launcher or SDK change is needed and it holds for any Pulumi whose
server has this shape. The engine's `--parallel` then bounds the calls in flight (the worker count
is chosen above it), and the client's account-wide limit bounds the requests to CaiGunn.
tests/unit/test_workers.py fails if a new SDK or grpc stops working this way.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType

# Above what the engine sends at once by default (4 per CPU, or PULUMI_PARALLEL, which the
# provider process inherits), so that the engine's parallelism stays the bound; an idle worker
# thread costs a little memory and nothing else.
MIN_WORKERS = 64


def worker_count(environ: dict[str, str] | None = None) -> int:
    """How many calls the provider process may serve at once."""
    env = os.environ if environ is None else environ
    parallel = env.get("PULUMI_PARALLEL", "")
    asked = int(parallel) if parallel.isdigit() else 0
    return max(MIN_WORKERS, 4 * (os.cpu_count() or 1), min(asked, 1024))


def _is_sdk_server(main: ModuleType | None) -> bool:
    return main is not None and all(
        hasattr(main, name) for name in ("DynamicResourceProviderServicer", "get_provider")
    )


def in_provider_process() -> bool:
    """Whether this process is the SDK's dynamic-provider server (not the program)."""
    return _is_sdk_server(sys.modules.get("__main__"))


def server_pools() -> list[ThreadPoolExecutor]:
    """The executors of the gRPC servers running in this process."""
    try:
        server_class = importlib.import_module("grpc._server")._Server
    except (ImportError, AttributeError):  # grpc always comes with the SDK; the test pins this
        return []
    pools = []
    for obj in gc.get_objects():
        if isinstance(obj, server_class):
            pool = getattr(getattr(obj, "_state", None), "thread_pool", None)
            if isinstance(pool, ThreadPoolExecutor):
                pools.append(pool)
    return pools


def widen(pool: ThreadPoolExecutor, workers: int) -> bool:
    """Let `pool` run up to `workers` calls at once, starting threads for calls already waiting."""
    with pool._shutdown_lock:
        if pool._max_workers >= workers:
            return False
        pool._max_workers = workers
        for _ in range(pool._work_queue.qsize()):
            pool._adjust_thread_count()
    return True


_installed = False


def install(main: ModuleType | None = None) -> int:
    """Widen the dynamic-provider server's executor; the pools widened (0 outside that server,
    and once it is done: a later call costs nothing)."""
    global _installed
    if main is None and _installed:
        return 0
    server = main if main is not None else sys.modules.get("__main__")
    if not _is_sdk_server(server):
        return 0
    workers = worker_count()
    widened = sum(widen(pool, workers) for pool in server_pools())
    _installed = _installed or (main is None and widened > 0)
    return widened
