"""More provider calls at once than the four threads of Pulumi's dynamic-provider server.

Pulumi's Python dynamic-provider server (pulumi/dynamic/__main__.py) serves its gRPC calls from
`futures.ThreadPoolExecutor(max_workers=4)`: the engine may ask for many creates at once, but at
most four run, and a call that waits (a training, a crawl: a second or minutes) holds one of the
four. Twenty chatbots trained at once then take five trainings' time. The executor is reached
through gRPC's server state (the only object holding it) and allowed WORKERS threads; it starts
them on demand, as before. Requests to CaiGunn stay bounded by the account-wide limit
(caigunn:maxConcurrency, client/limits.py); a wait sleeps without holding a request slot.
tests/unit/test_workers.py fails if a new SDK or gRPC stops working this way.
"""

from __future__ import annotations

import gc
import sys
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType

# Calls served at once: enough for every wait of a large stack to run side by side.
WORKERS = 64


def server_pools() -> list[ThreadPoolExecutor]:
    """The thread pools of the gRPC servers of this process."""
    try:
        from grpc import _server  # type: ignore[import-untyped]
    except ImportError:
        return []
    state_type = getattr(_server, "_ServerState", None)
    if state_type is None:
        return []
    return [
        obj.thread_pool
        for obj in gc.get_objects()
        if type(obj) is state_type
        and isinstance(getattr(obj, "thread_pool", None), ThreadPoolExecutor)
    ]


def install(main: ModuleType | None = None, workers: int = WORKERS) -> bool:
    """Widen the dynamic-provider server's pool to workers; False where that is not running."""
    server = main if main is not None else sys.modules.get("__main__")
    if server is None or not hasattr(server, "DynamicResourceProviderServicer"):
        return False
    pools = server_pools()
    for pool in pools:
        # ThreadPoolExecutor reads _max_workers on each submit and starts a thread while below.
        pool._max_workers = max(pool._max_workers, workers)
    return bool(pools)
