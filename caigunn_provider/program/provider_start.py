"""The provider process, started while the program checks the account.

Runs in the program process. The engine starts a package's default provider at the first
resource that needs it: here, once every check has passed and the first resource is declared.
The process's start (an interpreter loading the SDK, about 0.3 s) would then stand between the
checks and the engine's first step. An invoke of the same package makes the engine load and
configure that provider at once, so its start runs beside the account check's round trip.

The invoke names a function the dynamic provider does not have (it has none), so it fails once
the provider is up; that answer is the expected one and is dropped. It is sent straight to the
engine's resource monitor, outside the SDK's bookkeeping of a program's calls, which belongs to
the program's event loop. Nothing reaches CaiGunn: the provider's configure sends no request.
Started only after the stack file (or the program's arguments) passed its checks, and only for a
run that declares resources: the engine records its default provider in the stack's state, as it
would at the first resource.
"""

from __future__ import annotations

import threading
from typing import Any

from caigunn_provider import timings

# The package of every resource this project declares (pulumi.dynamic's type tokens).
PACKAGE = "pulumi-python"
_NO_SUCH_FUNCTION = f"{PACKAGE}:dynamic:startProvider"


def start() -> None:
    """Have the engine start the provider process now, in the background; nothing where the
    program talks to no engine (the SDK's mocks, in a unit test)."""
    from pulumi.runtime import settings
    from pulumi.runtime.proto import resource_pb2_grpc
    from pulumi.runtime.sync_await import _sync_await

    monitor = settings.get_monitor()
    if not isinstance(monitor, resource_pb2_grpc.ResourceMonitorStub):
        return
    # The engine keeps resources in the state in the order it first hears of them. The SDK sends
    # the stack's own registration only once the program's code yields to its event loop, so it
    # is sent (and answered) first: the provider then follows the stack as it did when the first
    # resource brought it, and a run that stops before declaring anything leaves the state as
    # it found it, order included. The same wait as a synchronous invoke of the program's.
    root = settings.get_root_resource()
    if root is not None:
        if threading.current_thread() is not threading.main_thread():
            # Off the program's own thread (a Python program declaring in an `apply` callback)
            # that loop cannot be waited on: the first resource brings the provider, as before.
            return
        _sync_await(root.urn.future())
    threading.Thread(
        target=_invoke, args=(monitor,), name="caigunn-provider-start", daemon=True
    ).start()


def _invoke(monitor: Any) -> None:
    import grpc  # type: ignore[import-untyped]
    from google.protobuf import struct_pb2  # type: ignore[import-untyped]
    from pulumi.runtime.proto import resource_pb2

    request = resource_pb2.ResourceInvokeRequest(
        tok=_NO_SUCH_FUNCTION, args=struct_pb2.Struct(), acceptResources=True
    )
    try:
        with timings.phase("provider start"):
            monitor.Invoke(request)
    except grpc.RpcError:  # the expected refusal, or an engine gone: either way nothing to do
        pass
