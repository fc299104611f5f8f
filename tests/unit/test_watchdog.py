"""The provider process's watchdog: it ends the process once the engine's address refuses."""

from __future__ import annotations

import socket
import threading
import types

from caigunn_provider.dynamic import watchdog

ARGV = ["/venv/lib/pulumi/dynamic/__main__.py", "127.0.0.1:40123"]


def fake_server() -> types.ModuleType:
    server = types.ModuleType("__main__")
    server._abort_with_traceback = lambda fn: fn  # type: ignore[attr-defined]
    server.DynamicResourceProviderServicer = object  # type: ignore[attr-defined]
    return server


def test_the_engine_address_is_the_plugins_argument() -> None:
    assert watchdog.engine_address(ARGV) == ("127.0.0.1", 40123)
    assert watchdog.engine_address(["main", "[::1]:5000"]) == ("::1", 5000)
    assert watchdog.engine_address(["main"]) is None
    assert watchdog.engine_address(["main", "--flag", "host:notaport", "h:0"]) is None
    # The engine's flags come first: under --tracing, the engine is still the last argument.
    tracing = ["main", "--tracing", "127.0.0.1:9411", "127.0.0.1:40123"]
    assert watchdog.engine_address(tracing) == ("127.0.0.1", 40123)


def test_outside_the_provider_server_nothing_is_started() -> None:
    assert watchdog.install(types.ModuleType("__main__"), ARGV) is False
    assert watchdog.install(fake_server(), ["main"]) is False


def test_two_refusals_in_a_row_end_the_process_and_one_does_not() -> None:
    answers = iter([True, False, True, True])
    asked: list[tuple[str, int]] = []
    ended = threading.Event()
    codes: list[int] = []

    def probe(address: tuple[str, int]) -> bool:
        asked.append(address)
        return next(answers)

    def exit(code: int) -> None:
        codes.append(code)
        ended.set()

    assert watchdog.install(fake_server(), ARGV, probe=probe, interval=0.01, exit=exit)
    assert ended.wait(5)
    assert codes == [1]
    assert asked == [("127.0.0.1", 40123)] * 4


def test_installing_twice_starts_one_watchdog() -> None:
    server = fake_server()
    release = threading.Event()
    codes: list[int] = []

    def probe(address: tuple[str, int]) -> bool:
        release.wait()
        return True

    assert watchdog.install(server, ARGV, probe=probe, interval=0.01, exit=codes.append)
    first = server._caigunn_watchdog
    assert watchdog.install(server, ARGV, probe=probe, interval=0.01, exit=codes.append)
    assert server._caigunn_watchdog is first
    release.set()
    first.join(5)
    assert codes == [1]  # one watchdog ended it once


def test_an_address_nothing_listens_on_is_gone_and_a_listening_one_is_not() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listening:
        address = listening.getsockname()[:2]
        assert watchdog.engine_gone(address) is False
    assert watchdog.engine_gone(address) is True
