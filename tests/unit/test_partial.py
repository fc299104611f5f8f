"""A PartialFailure reaches the engine as ErrorResourceInitFailed through the real SDK server.

The SDK's dynamic-provider server (pulumi/dynamic/__main__.py) is loaded from its own source and
served over gRPC here, so these tests fail loudly if a new SDK stops working the way
caigunn_provider/dynamic/partial.py relies on. The engine's side (provider_plugin.go parseError
reading that detail as StatusPartialFailure) is exercised by the end-to-end timeout test.
"""

from __future__ import annotations

import base64
import importlib.util
import pickle
import types
from collections.abc import Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc  # type: ignore[import-untyped]
import pytest
from google.rpc import status_pb2  # type: ignore[import-untyped]
from pulumi.dynamic import CreateResult, ResourceProvider, UpdateResult
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from caigunn_provider.dynamic import partial, tracebacks
from caigunn_provider.dynamic.partial import PartialFailure
from caigunn_provider.errors import CaiGunnError

OUTS = {"model_id": None, "pending_event": "e5c1a0f2-1111-4222-8333-444455556666"}


class Failing(ResourceProvider):
    """Fails every create and update, partially or not, as its inputs say."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        if props.get("partial"):
            raise PartialFailure("the training had not ended", outs=OUTS, id_="chatbot-1")
        raise CaiGunnError("the training failed")

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        raise PartialFailure("the training had not ended", outs=OUTS)


def sdk_server() -> types.ModuleType:
    """The SDK server module, from its source without the closing `main()` call."""
    spec = importlib.util.find_spec("pulumi.dynamic")
    assert spec is not None and spec.origin is not None
    source = (Path(spec.origin).parent / "__main__.py").read_text()
    assert source.rstrip().endswith("\nmain()"), "the SDK server no longer ends with main()"
    module = types.ModuleType("sdk_dynamic_server")
    exec(compile(source.rstrip()[: -len("main()")], spec.origin, "exec"), module.__dict__)
    return module


@pytest.fixture(scope="module")
def stub() -> Iterator[Any]:
    module = sdk_server()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    # As in the SDK's main(): the handlers are bound before any provider code is imported.
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(
        module.DynamicResourceProviderServicer(), server
    )
    assert tracebacks.install(module) is True
    assert partial.install(module) is True
    seam = module.traceback
    assert partial.install(module) is True
    assert module.traceback is seam  # twice is once
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield provider_pb2_grpc.ResourceProviderStub(channel)
    finally:
        channel.close()
        server.stop(0)


def struct(props: dict[str, Any]) -> Any:
    import asyncio

    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(props, {}))
    finally:
        loop.close()


PROVIDER = base64.b64encode(pickle.dumps(Failing())).decode()


def init_failed(error: grpc.RpcError) -> Any:
    """The ErrorResourceInitFailed the engine reads from the status details, or None."""
    trailers = dict(error.trailing_metadata() or ())
    raw = trailers.get(partial.STATUS_DETAILS_KEY)
    if raw is None:
        return None
    status = status_pb2.Status.FromString(raw)
    assert status.code == error.code().value[0]
    [detail] = status.details
    found = provider_pb2.ErrorResourceInitFailed()
    assert detail.Unpack(found), detail.type_url
    assert detail.type_url == "type.googleapis.com/pulumirpc.ErrorResourceInitFailed"
    return found


def test_a_create_that_fails_partially_reaches_the_engine_with_its_new_state(stub: Any) -> None:
    request = provider_pb2.CreateRequest(
        urn="urn:pulumi:s::p::pulumi-python:dynamic/caigunn:Model::support",
        properties=struct({"__provider": PROVIDER, "partial": True}),
    )
    with pytest.raises(grpc.RpcError) as caught:
        stub.Create(request)
    found = init_failed(caught.value)
    assert found is not None
    assert found.id == "chatbot-1"
    assert list(found.reasons) == ["Could not do that:\nthe training had not ended"]
    props = rpc.deserialize_properties(found.properties)
    # A None is left out of the serialized state, as the SDK does with every output.
    assert props == {"pending_event": OUTS["pending_event"], "__provider": PROVIDER}
    assert caught.value.details() == "Could not do that:\nthe training had not ended"


def test_an_update_that_fails_partially_keeps_the_provider_in_its_new_outputs(stub: Any) -> None:
    request = provider_pb2.UpdateRequest(
        id="chatbot-1",
        urn="urn:pulumi:s::p::pulumi-python:dynamic/caigunn:Model::support",
        olds=struct({"__provider": PROVIDER}),
        news=struct({"__provider": PROVIDER}),
    )
    with pytest.raises(grpc.RpcError) as caught:
        stub.Update(request)
    found = init_failed(caught.value)
    assert found is not None
    assert found.id == "chatbot-1"
    assert rpc.deserialize_properties(found.properties)["pending_event"] == OUTS["pending_event"]


def test_any_other_failure_is_reported_as_before_without_details(stub: Any) -> None:
    request = provider_pb2.CreateRequest(
        urn="urn:pulumi:s::p::pulumi-python:dynamic/caigunn:Model::support",
        properties=struct({"__provider": PROVIDER, "partial": False}),
    )
    with pytest.raises(grpc.RpcError) as caught:
        stub.Create(request)
    assert init_failed(caught.value) is None
    assert caught.value.code() == grpc.StatusCode.UNKNOWN
    # Still worded by caigunn_provider.tracebacks, beneath the seam.
    assert caught.value.details() == "Could not do that:\nthe training failed"


def test_nothing_is_installed_outside_the_dynamic_provider_server() -> None:
    program = types.ModuleType("__main__")
    assert partial.install(program) is False
