"""The dynamic-provider process ends itself once the engine that started it is gone.

The engine starts each provider plugin in a process group of its own, so a `pulumi up` killed
with SIGKILL (a lost CI runner, an OOM kill, `kill -9`) leaves the provider running, reparented,
until the machine stops: nothing tells it. The engine passes its gRPC address as the plugin's
first argument (`pulumi-resource-pulumi-python 127.0.0.1:PORT`), and that address is the signal
chosen here. The parent pid is not: the SDK's launcher is a shell script that runs Python as its
child without exec, so Python's parent is the shell, which outlives the engine too. A listening
socket goes away with its process, whatever killed it, so a connection the engine's address
refuses, twice in a row, means the engine is gone. A slow or timed-out connection proves nothing
and is tried again. Pulumi's own language host watches the engine the same way (a health check).
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType

# Seconds between looks at the engine's address, and refusals in a row that mean it is gone.
INTERVAL = 1.0
REFUSALS = 2
CONNECT_TIMEOUT = 2.0
# Where the running watchdog is kept: on the provider server's module, once per process.
_ATTRIBUTE = "_caigunn_watchdog"
_starting = threading.Lock()

Probe = Callable[[tuple[str, int]], bool]


def engine_address(argv: Sequence[str]) -> tuple[str, int] | None:
    """The engine's address among the plugin's arguments (host:port), or None: the last one,
    since the engine puts its flags (`--tracing <address>`) before it."""
    for arg in reversed(argv[1:]):
        host, colon, port = arg.rpartition(":")
        if colon and host and port.isdigit() and 0 < int(port) < 65536:
            return host.strip("[]"), int(port)
    return None


def engine_gone(address: tuple[str, int]) -> bool:
    """True when the address refuses a connection (nothing listens there any more)."""
    try:
        with socket.create_connection(address, timeout=CONNECT_TIMEOUT):
            return False
    except ConnectionRefusedError:
        return True
    except OSError:
        return False


def install(
    main: ModuleType | None = None,
    argv: Sequence[str] | None = None,
    *,
    probe: Probe = engine_gone,
    interval: float = INTERVAL,
    exit: Callable[[int], object] = os._exit,
) -> bool:
    """Start the watchdog thread in the dynamic-provider server; False where that is not running
    (the program process, tests) or it was not given the engine's address. Idempotent."""
    server = main if main is not None else sys.modules.get("__main__")
    if server is None or not all(
        hasattr(server, name)
        for name in ("_abort_with_traceback", "DynamicResourceProviderServicer")
    ):
        return False
    address = engine_address(sys.argv if argv is None else argv)
    if address is None:
        return False
    with _starting:
        running = getattr(server, _ATTRIBUTE, None)
        if isinstance(running, threading.Thread) and running.is_alive():
            return True
        thread = threading.Thread(
            target=_watch,
            args=(address, probe, interval, exit),
            name="caigunn-engine-watchdog",
            daemon=True,
        )
        setattr(server, _ATTRIBUTE, thread)
        thread.start()
    return True


def _watch(
    address: tuple[str, int], probe: Probe, interval: float, exit: Callable[[int], object]
) -> None:
    refusals = 0
    stop = threading.Event()
    while not stop.wait(interval):
        refusals = refusals + 1 if probe(address) else 0
        if refusals >= REFUSALS:
            # No one is left to report to or to clean up for: end now, threads and all.
            exit(1)
            return
