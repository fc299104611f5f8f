"""The program's early start of the provider process (caigunn_provider/program/provider_start.py):
only toward a real engine, and an unanswered invoke is dropped. The engine's side is proven in
tests/e2e/test_provider_start.py."""

from __future__ import annotations

import threading
from typing import Any

import grpc  # type: ignore[import-untyped]
import pytest
from pulumi.runtime import settings
from pulumi.runtime.proto import resource_pb2_grpc

from caigunn_provider.program import provider_start


class Root:
    """A stack whose registration is answered at once."""

    class urn:  # the Output attribute's name
        @staticmethod
        async def future() -> str:
            return "urn:pulumi:e2e::project::pulumi:pulumi:Stack::project-e2e"


def test_no_invoke_off_the_programs_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    # A Python program may declare its first chatbot in an `apply` callback on another thread,
    # where the stack's registration cannot be waited for: nothing is sent.
    sent: list[Any] = []
    with grpc.insecure_channel("127.0.0.1:1") as channel:
        stub = resource_pb2_grpc.ResourceMonitorStub(channel)
        monkeypatch.setattr(settings, "get_monitor", lambda: stub)
        monkeypatch.setattr(settings, "get_root_resource", lambda: Root())
        monkeypatch.setattr(provider_start, "_invoke", sent.append)
        other = threading.Thread(target=provider_start.start)
        other.start()
        other.join(timeout=10)
    assert not other.is_alive()
    assert sent == []


def test_no_invoke_without_an_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    # The SDK's mocks (a unit test of a program) stand in for the monitor: nothing is sent.
    sent: list[Any] = []
    monkeypatch.setattr(settings, "get_monitor", lambda: object())
    monkeypatch.setattr(provider_start, "_invoke", sent.append)

    provider_start.start()

    assert sent == []


class Recording:
    """A monitor that says what its Invoke raised."""

    def __init__(self, stub: Any) -> None:
        self.stub = stub
        self.raised: list[Any] = []

    def Invoke(self, request: Any) -> Any:  # the gRPC method's name
        try:
            return self.stub.Invoke(request, timeout=5)
        except grpc.RpcError as exc:
            self.raised.append(exc.code())
            raise


def test_an_engine_that_does_not_answer_is_no_failure() -> None:
    # Nothing listens on port 1: the invoke's RpcError is the expected end of the thread's work.
    with grpc.insecure_channel("127.0.0.1:1") as channel:
        monitor = Recording(resource_pb2_grpc.ResourceMonitorStub(channel))
        provider_start._invoke(monitor)
    assert monitor.raised == [grpc.StatusCode.UNAVAILABLE]
