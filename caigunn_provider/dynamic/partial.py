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

install() wraps the server's Create and Update so that their `context.abort` sends that status when
the provider raised PartialFailure, and does what it always did otherwise. It changes nothing
outside the provider server. tests/unit/test_partial.py runs the real SDK server over gRPC and
fails if a new SDK stops working this way.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping
from types import ModuleType
from typing import Any, NamedTuple, NoReturn

import grpc  # type: ignore[import-untyped]
from google.protobuf import any_pb2, struct_pb2  # type: ignore[import-untyped]
from google.rpc import status_pb2  # type: ignore[import-untyped]

from caigunn_provider.errors import CaiGunnError

PROVIDER_KEY = "__provider"
STATUS_DETAILS_KEY = "grpc-status-details-bin"
_MARK = "_caigunn_partial_failure"


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
    """Wrap the server's Create and Update; False where that server is not running."""
    server = main if main is not None else sys.modules.get("__main__")
    servicer = getattr(server, "DynamicResourceProviderServicer", None)
    if servicer is None or not hasattr(server, "_abort_with_traceback"):
        return False
    for name, field in (("Create", "properties"), ("Update", "news")):
        original = getattr(servicer, name)
        if getattr(original, _MARK, False):
            continue
        setattr(servicer, name, _wrapped(original, field))
    return True


def _wrapped(original: Any, field: str) -> Any:
    def handler(self: Any, request: Any, context: Any) -> Any:
        return original(self, request, _Context(context, request, field))

    setattr(handler, _MARK, True)
    handler.__name__ = getattr(original, "__name__", "handler")
    return handler


class _Context:
    """The request's gRPC context, whose abort() reports a PartialFailure as one."""

    def __init__(self, real: Any, request: Any, field: str) -> None:
        self._real = real
        self._request = request
        self._field = field

    def abort(self, code: grpc.StatusCode, details: str) -> NoReturn:
        exc = sys.exc_info()[1]
        if isinstance(exc, PartialFailure):
            props: struct_pb2.Struct = getattr(self._request, self._field)
            has = PROVIDER_KEY in props.fields
            provider = props.fields[PROVIDER_KEY].string_value if has else ""
            resource_id = exc.id or getattr(self._request, "id", "") or ""
            self._real.abort_with_status(status_for(exc, resource_id, provider))
        self._real.abort(code, details)
        raise AssertionError("grpc's abort() returned")  # pragma: no cover

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


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
