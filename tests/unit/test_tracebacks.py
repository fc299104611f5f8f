"""Expected failures show their message alone in the dynamic-provider server; bugs keep a trace.

The seam is the SDK server's module-global `traceback` (pulumi/dynamic/__main__.py): if a new SDK
stops reporting errors through `traceback.format_exc()` there, these tests fail loudly.
"""

from __future__ import annotations

import importlib.util
import re
import traceback
import types
from pathlib import Path

from caigunn_provider.dynamic import tracebacks
from caigunn_provider.errors import APIError


def sdk_server_source() -> str:
    spec = importlib.util.find_spec("pulumi.dynamic")
    assert spec is not None and spec.origin is not None
    return (Path(spec.origin).parent / "__main__.py").read_text()


def test_the_sdk_server_still_reports_errors_through_the_traceback_global() -> None:
    source = sdk_server_source()
    wrapper = re.search(r"def _abort_with_traceback\(fn\):(.*?)\n\n", source, re.S)
    assert wrapper is not None, "pulumi/dynamic/__main__.py no longer has _abort_with_traceback"
    assert "context.abort(grpc.StatusCode.UNKNOWN, traceback.format_exc())" in wrapper.group(1)
    assert re.search(r"^import traceback$", source, re.M)
    for method in ("Check", "Diff", "Create", "Read", "Update", "Delete"):
        assert re.search(rf"@_abort_with_traceback\n    def {method}\(", source), method


def fake_server() -> types.ModuleType:
    server = types.ModuleType("__main__")
    server._abort_with_traceback = lambda fn: fn  # type: ignore[attr-defined]
    server.DynamicResourceProviderServicer = object  # type: ignore[attr-defined]
    server.traceback = traceback  # type: ignore[attr-defined]
    return server


def report(server: types.ModuleType, exc: BaseException) -> str:
    try:
        raise exc
    except BaseException:
        text: str = server.traceback.format_exc()
    return text


def test_an_expected_failure_is_reported_as_its_message_alone() -> None:
    server = fake_server()
    assert tracebacks.install(server) is True
    error = APIError("GET /x answered 503: busy", status=503, method="GET", url="/x", detail=None)
    assert report(server, error) == "Could not do that:\nGET /x answered 503: busy"
    error.operation = "create this chatbot"
    assert report(server, error) == "Could not create this chatbot:\nGET /x answered 503: busy"


def test_a_bug_keeps_its_traceback_and_says_where_to_report_it() -> None:
    server = fake_server()
    tracebacks.install(server)
    text = report(server, KeyError("title"))
    assert text.startswith("Traceback (most recent call last):")
    assert "KeyError: 'title'" in text
    assert text.endswith(tracebacks.BUG_LINE)


def test_nothing_is_installed_outside_the_dynamic_provider_server() -> None:
    program = types.ModuleType("__main__")
    assert tracebacks.install(program) is False
    assert not hasattr(program, "traceback")


def test_installing_twice_keeps_one_formatter() -> None:
    server = fake_server()
    tracebacks.install(server)
    first = server.traceback
    assert tracebacks.install(server) is True
    assert server.traceback is first
