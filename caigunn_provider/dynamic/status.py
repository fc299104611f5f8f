"""What the provider says while it works, said to the engine beside the resource it works on.

A dynamic provider's stderr reaches the engine as lines of no resource (pkg/v3 resource/plugin/
plugin.go, the plugin's stderr logged with an empty URN): the display shows each one live on the
stack's row and prints them all again in its Diagnostics section at the end, progress included.
The engine has a better channel: its Engine gRPC service's `Log(LogRequest{severity, message,
urn, ephemeral})` (pkg/v3 host/host_server.go, Log). With `ephemeral`, the message is a status
(host.LogStatus): shown live in the resource's row, never in the Diagnostics section
(backend/display/progress.go, printDiagnostics skips ephemeral payloads) nor counted in the
row's summary of messages (rows.go, recordDiagEventPayload). Without it, the message is kept and
listed under the resource's own name in the Diagnostics.

The engine's address is the provider plugin's last argument (the engine starts every resource
plugin with `host.ServerAddr()` after any flags: resource/plugin/provider_plugin.go and
plugin.go, buildPluginArguments; the SDK's launcher passes it on to `python -m pulumi.dynamic`).
The resource's URN is in the request the SDK's server is serving (pulumi/dynamic/__main__.py:
Create, Update, Delete, Read, Check and Diff each hold theirs as `request`), found up the calling
thread's stack: the server's handlers were bound before any of this code was imported, so there
is no earlier place to catch it, and every provider method runs on the thread of its call.

Anything else (no engine address, no request on the stack: the program process, tests, a thread
of our own; or a Log call that fails) is said on stderr as before, so nothing is ever lost.
tests/unit/test_status.py runs the real SDK server against a fake engine and fails if a new SDK
stops working this way.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import Any, Protocol

# The SDK server's handlers whose request names the resource they work on.
OPERATIONS = frozenset({"Create", "Update", "Delete", "Read", "Check", "Diff"})
# What marks a frame as the SDK server's own (pulumi/dynamic/__main__.py's globals).
SERVER_MARK = "DynamicResourceProviderServicer"
# Seconds a Log call may take: the engine answers at once, so a slow one means it is busy or gone.
LOG_TIMEOUT = 5.0


class Sender(Protocol):
    """One Log call to the engine; True when the engine took it."""

    def __call__(self, message: str, urn: str, *, ephemeral: bool) -> bool: ...


def engine_target(argv: Sequence[str]) -> str | None:
    """The engine's gRPC address (`host:port`): the plugin's last argument, or None."""
    if len(argv) < 2:
        return None
    host, colon, port = argv[-1].rpartition(":")
    if colon and host and port.isdigit() and 0 < int(port) < 65536:
        return argv[-1]
    return None


def current_urn(frame: FrameType | None = None) -> str | None:
    """The URN of the resource whose call this thread serves, or None outside such a call."""
    here: FrameType | None = frame if frame is not None else sys._getframe(1)
    while here is not None:
        if here.f_code.co_name in OPERATIONS and SERVER_MARK in here.f_globals:
            urn = getattr(here.f_locals.get("request"), "urn", None)
            if isinstance(urn, str) and urn:
                return urn
        here = here.f_back
    return None


def current_name() -> str | None:
    """The name of the resource whose call this thread serves (the URN's last part), or None."""
    urn = current_urn(sys._getframe(1))
    return urn.rsplit("::", 1)[-1] if urn is not None else None


class EngineLog:
    """The engine's Log call over one channel, opened at first use; after one failure, never
    tried again (stderr then says everything: a second timeout would only slow the work)."""

    def __init__(self, target: str) -> None:
        self._target = target
        self._lock = threading.Lock()
        self._stub: Any = None
        self._broken = False

    def __call__(self, message: str, urn: str, *, ephemeral: bool) -> bool:
        if self._broken:
            return False
        # Imported here: only the provider server ever talks to the engine.
        import grpc  # type: ignore[import-untyped]
        from pulumi.runtime.proto import engine_pb2

        request = engine_pb2.LogRequest(
            severity=engine_pb2.INFO, message=message, urn=urn, ephemeral=ephemeral
        )
        try:
            self._open().Log(request, timeout=LOG_TIMEOUT)
        except (grpc.RpcError, ValueError):  # a message is never worth failing the work for
            self._broken = True
            return False
        return True

    def _open(self) -> Any:
        with self._lock:
            if self._stub is None:
                import grpc
                from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS
                from pulumi.runtime.proto import engine_pb2_grpc

                channel = grpc.insecure_channel(self._target, options=_GRPC_CHANNEL_OPTIONS)
                self._stub = engine_pb2_grpc.EngineStub(channel)
            return self._stub


_sender: Sender | None = None
_chosen = False
_choosing = threading.Lock()


def sender() -> Sender | None:
    """This process's way to the engine (None without an engine address), chosen once."""
    global _sender, _chosen
    with _choosing:
        if not _chosen:
            target = engine_target(sys.argv)
            _sender = EngineLog(target) if target is not None else None
            _chosen = True
        return _sender


def say(message: str, *, ephemeral: bool) -> None:
    """Say `message` beside the resource being worked on: `ephemeral`, as its live status only;
    otherwise kept, under its name in the Diagnostics. On stderr when the engine cannot hear it."""
    urn = current_urn(sys._getframe(1))
    send = sender() if urn is not None else None
    if send is not None and urn is not None and send(message, urn, ephemeral=ephemeral):
        return
    print(message, file=sys.stderr, flush=True)
