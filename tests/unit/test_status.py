"""What the provider says reaches the engine's Log call beside its resource (dynamic/status.py).

The SDK's dynamic-provider server (pulumi/dynamic/__main__.py) is loaded from its own source and
served over gRPC, with a fake of the engine's Engine service to hear the Log calls: these tests
fail loudly if a new SDK stops holding the request (and its URN) where status.py looks for it, or
if the Log call changes shape. What the engine's display does with them is the e2e test's
(tests/e2e/test_progress.py).
"""

from __future__ import annotations

import base64
import pickle
from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc  # type: ignore[import-untyped]
import pytest
from pulumi.dynamic import CreateResult, ResourceProvider
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, provider_pb2, provider_pb2_grpc

from caigunn_provider.chatbot_level.api import COMPLETED, Event
from caigunn_provider.chatbot_level.provider import note, progress
from caigunn_provider.chatbot_level.waiters import wait_for_event
from caigunn_provider.dynamic import status
from caigunn_provider.kinds.chatbot.retain import kept_message
from tests.unit.test_partial import sdk_server, struct

URN = "urn:pulumi:e2e::caigunn-chatbots::pulumi-python:dynamic/caigunn:Model::support"


class Talking(ResourceProvider):
    """Says one lasting line, then waits for a job that is done at the first look."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        note(f"{status.current_name()}: training started")
        wait_for_event(
            lambda: Event("e-1", "training", COMPLETED),
            event_id="e-1",
            timeout=5,
            progress=lambda stage, elapsed: progress(f"support: {stage}"),
        )
        return CreateResult("model-1", {})


PROVIDER = base64.b64encode(pickle.dumps(Talking())).decode()


class Engine(engine_pb2_grpc.EngineServicer):
    """The engine's Log call, remembered."""

    def __init__(self) -> None:
        self.heard: list[tuple[str, str, bool, int]] = []

    def Log(self, request: Any, context: Any) -> Any:
        self.heard.append((request.message, request.urn, request.ephemeral, request.severity))
        from google.protobuf import empty_pb2  # type: ignore[import-untyped]

        return empty_pb2.Empty()


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A fake engine that status.py sends to, as if it were the provider plugin's argument."""
    heard = Engine()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    engine_pb2_grpc.add_EngineServicer_to_server(heard, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    monkeypatch.setattr(status, "_sender", status.EngineLog(f"127.0.0.1:{port}"))
    monkeypatch.setattr(status, "_chosen", True)
    try:
        yield heard
    finally:
        server.stop(0)


@pytest.fixture
def provider_server() -> Iterator[Any]:
    """The SDK's own dynamic-provider server, as the engine sees it."""
    module = sdk_server()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(
        module.DynamicResourceProviderServicer(), server
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield provider_pb2_grpc.ResourceProviderStub(channel)
    finally:
        channel.close()
        server.stop(0)


def test_a_waits_lines_are_ephemeral_and_the_rest_lasts_each_beside_its_resource(
    engine: Engine, provider_server: Any
) -> None:
    request = provider_pb2.CreateRequest(urn=URN, properties=struct({"__provider": PROVIDER}))
    provider_server.Create(request)
    info = engine_pb2.INFO
    assert engine.heard == [
        ("support: training started", URN, False, info),
        ("support: training: done", URN, True, info),
    ]


def test_outside_a_call_of_the_engine_it_is_said_on_stderr(
    engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    note("support: training started")
    status.say("support: training: done", ephemeral=True)
    assert capsys.readouterr().err == "support: training started\nsupport: training: done\n"
    assert engine.heard == []
    assert status.current_urn() is None and status.current_name() is None


def test_an_engine_that_does_not_answer_is_tried_once_then_stderr_says_it_all() -> None:
    gone = status.EngineLog("127.0.0.1:1")  # nothing listens on port 1
    assert gone("support: training: done", URN, ephemeral=True) is False
    assert gone._broken is True
    assert gone("support: training: done", URN, ephemeral=True) is False


@pytest.mark.parametrize(
    ("argv", "target"),
    [
        (["__main__.py", "127.0.0.1:43121"], "127.0.0.1:43121"),
        # Flags come first (plugin.go, buildPluginArguments), the engine's address last.
        (
            ["__main__.py", "--tracing", "127.0.0.1:9", "--logtostderr", "127.0.0.1:43121"],
            "127.0.0.1:43121",
        ),
        (["__main__.py", "[::1]:43121"], "[::1]:43121"),
        (["__main__.py"], None),
        (["__main__.py", "--logtostderr"], None),
        (["__main__.py", "127.0.0.1:0"], None),
        (["__main__.py", "127.0.0.1:http"], None),
    ],
)
def test_the_engine_address_is_the_plugins_last_argument(
    argv: list[str], target: str | None
) -> None:
    assert status.engine_target(argv) == target


def test_the_kept_chatbots_sentence_names_the_entry_the_title_and_the_id() -> None:
    assert kept_message("support", "Support Desk", "6669aea2") == (
        "support: kept chatbot 'Support Desk' (id 6669aea2) because this stack adopted it "
        "(adopted chatbots are never deleted); it is no longer managed"
    )
    assert "kept chatbot (no title) (id x)" in kept_message("support", None, "x")
