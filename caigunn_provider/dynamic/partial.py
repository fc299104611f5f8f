"""PartialFailure: a create or update that failed, yet leaves a state the next run must see.

Pulumi's Python dynamic-provider server (pulumi/dynamic/__main__.py) turns every exception of a
provider into a bare gRPC error, so the engine keeps the state it had. The engine itself knows
better (pkg/v3 resource/plugin/provider_plugin.go, parseError): a Create or Update error whose
status details carry a `pulumirpc.ErrorResourceInitFailed{id, properties, reasons}` is a
`StatusPartialFailure`; the step stores those properties as the resource's outputs with the reasons
as its init errors (resource/deploy/step.go), an update keeps its old inputs (engine/update.go),
and a resource with init errors is updated again on the next run even when its diff finds no
change (step_generator.go, `hasInitErrors`). So a wait that timed out can record the job it waited
for, and the next `pulumi up` picks it up.

install() puts a seam into the server (see _Seam) that sends that status when the provider raised
PartialFailure, and does what it always did otherwise. It changes nothing outside the provider
server. tests/unit/test_partial.py runs the real SDK server over gRPC and
fails if a new SDK stops working this way.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping
from types import ModuleType
from typing import Any, NamedTuple

import grpc  # type: ignore[import-untyped]
from google.protobuf import any_pb2, struct_pb2  # type: ignore[import-untyped]
from google.rpc import status_pb2  # type: ignore[import-untyped]

from caigunn_provider.errors import CaiGunnError

PROVIDER_KEY = "__provider"
STATUS_DETAILS_KEY = "grpc-status-details-bin"


class PartialFailure(CaiGunnError):
    """The operation failed, but the resource exists and its state should become `outs`.

    `id` is needed for a create (the resource's id); an update keeps the id it has.
    """

    def __init__(self, message: str, *, outs: Mapping[str, Any], id_: str | None = None) -> None:
        self.outs = dict(outs)
        self.id = id_
        super().__init__(message)


class _Status(NamedTuple):
    """A grpc.Status: what ServicerContext.abort_with_status sends."""

    code: grpc.StatusCode
    details: str
    trailing_metadata: tuple[tuple[str, bytes], ...]


def install(main: ModuleType | None = None) -> bool:
    """Install the seam into the dynamic-provider server; False where that is not running.

    Install caigunn_provider.tracebacks first: this seam wraps whatever `traceback` it finds.
    """
    server = main if main is not None else sys.modules.get("__main__")
    if server is None or not all(
        hasattr(server, name)
        for name in ("_abort_with_traceback", "DynamicResourceProviderServicer", "traceback")
    ):
        return False
    current = server.traceback
    if not isinstance(current, _Seam):
        server.traceback = _Seam(current)  # type: ignore[attr-defined]
    return True


class _Seam:
    """Stands in for `traceback` in the server: a PartialFailure aborts with its status instead.

    The server's handlers were bound to the gRPC server before any provider code ran, so they
    cannot be wrapped; but each one reports a failure as `context.abort(UNKNOWN,
    traceback.format_exc())` from its `_abort_with_traceback` wrapper, whose frame (the first of
    the exception's traceback) holds the request and the context. Aborting with the status from
    here ends the call the same way, with the details the engine reads.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def format_exc(self, *args: Any, **kwargs: Any) -> str:
        exc = sys.exc_info()[1]
        if isinstance(exc, PartialFailure) and exc.__traceback__ is not None:
            where = exc.__traceback__.tb_frame.f_locals
            handler = getattr(where.get("fn"), "__name__", "")
            field = {"Create": "properties", "Update": "news"}.get(handler)
            context, request = where.get("context"), where.get("request")
            if field and context is not None and request is not None:
                props: struct_pb2.Struct = getattr(request, field)
                has = PROVIDER_KEY in props.fields
                provider = props.fields[PROVIDER_KEY].string_value if has else ""
                resource_id = exc.id or (request.id if handler == "Update" else "")
                context.abort_with_status(status_for(exc, resource_id, provider))
        text: str = self._inner.format_exc(*args, **kwargs)
        return text

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def reason(exc: CaiGunnError) -> str:
    """The words the engine shows, as tracebacks.py words any other expected failure."""
    return f"Could not {exc.operation or 'do that'}:\n{exc}"


def status_for(exc: PartialFailure, resource_id: str, provider: str) -> _Status:
    """The gRPC status the engine reads as a partial failure with exc.outs as the new outputs."""
    # Imported here: the SDK's generated protos are only needed in the provider server.
    from pulumi.runtime import rpc
    from pulumi.runtime.proto import provider_pb2

    outs = {**exc.outs, PROVIDER_KEY: provider}
    loop = asyncio.new_event_loop()
    try:
        properties = loop.run_until_complete(rpc.serialize_properties(outs, {}))
    finally:
        loop.close()
    said = reason(exc)
    detail = provider_pb2.ErrorResourceInitFailed(
        id=resource_id, properties=properties, reasons=[said]
    )
    packed = any_pb2.Any()
    packed.Pack(detail)
    code = grpc.StatusCode.UNKNOWN
    status = status_pb2.Status(code=code.value[0], message=said, details=[packed])
    return _Status(code, said, ((STATUS_DETAILS_KEY, status.SerializeToString()),))
