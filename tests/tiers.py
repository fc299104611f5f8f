"""Which tier a test belongs to: `e2e` (the real engine), `server` (a server socket), or fast.

tests/e2e is the engine's and tests/emulator the server's, by folder. Elsewhere a test is `server`
when it, a fixture it uses, or a helper of the suite they call (followed through tests/ modules)
refers to a server starter: the `admin` fixture, tests/support.py's emulator, the emulator's own
starters, the socket module, or a server class (socketserver's, or a suite class that starts
one). tests/conftest.py applies the marks; in the fast tier a server socket that was missed fails
the test (see forbid_listening).
"""

from __future__ import annotations

import http.server
import inspect
import socket
import socketserver
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from caigunn_provider.emulator.process import emulator_process
from caigunn_provider.emulator.threaded import ThreadedEmulator
from tests.support import emulator

TESTS = Path(__file__).resolve().parent
E2E, SERVER = "e2e", "server"
BY_FOLDER = {"e2e": E2E, "emulator": SERVER}
SERVER_FIXTURES = frozenset({"admin"})
SERVER_STARTERS: tuple[object, ...] = (
    emulator,
    emulator_process,
    ThreadedEmulator,
    socket,
    socket.socket,
    socket.create_server,
    socket.create_connection,
    socketserver,
    http.server,
)


def tier(item: pytest.Item) -> str | None:
    """The mark a test needs (E2E, SERVER), or None for the fast tier."""
    folder = Path(str(item.path)).resolve().relative_to(TESTS).parts[0]
    if folder in BY_FOLDER:
        return BY_FOLDER[folder]
    fixtures = getattr(item, "fixturenames", ())
    if SERVER_FIXTURES.intersection(fixtures):
        return SERVER
    functions = [getattr(item, "function", None)]
    definitions = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
    functions += [definition.func for name in fixtures for definition in definitions.get(name, ())]
    seen: set[types.CodeType] = set()
    if any(_reaches_a_server(function, seen) for function in functions if function is not None):
        return SERVER
    return None


def _reaches_a_server(function: Callable[..., Any], seen: set[types.CodeType]) -> bool:
    """Whether function's code names a server starter, directly or through helpers in tests/."""
    function = inspect.unwrap(function)
    code = getattr(function, "__code__", None)
    if code is None or code in seen:
        return False
    seen.add(code)
    scope = getattr(function, "__globals__", {})
    for name in _names(code):
        value = scope.get(name)
        if any(value is starter for starter in SERVER_STARTERS):
            return True
        if inspect.isfunction(value) and _is_suite_helper(value) and _reaches_a_server(value, seen):
            return True
        if inspect.isclass(value) and _class_reaches_a_server(value, seen):
            return True
    return False


def _class_reaches_a_server(cls: type, seen: set[types.CodeType]) -> bool:
    """A server class (socketserver's, the emulator's), or a suite class whose methods start one."""
    if issubclass(cls, socketserver.BaseServer | ThreadedEmulator):
        return True
    if cls.__module__.split(".")[0] != "tests" or cls.__module__ == __name__:
        return False
    return any(
        _reaches_a_server(member, seen)
        for member in vars(cls).values()
        if inspect.isfunction(member)
    )


def _names(code: types.CodeType) -> Iterator[str]:
    """Global (and attribute) names the code refers to, nested functions included."""
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _names(const)


def _is_suite_helper(value: types.FunctionType) -> bool:
    # This module's own guard names the socket module to forbid it, not to use it.
    return value.__module__.split(".")[0] == "tests" and value.__module__ != __name__


@contextmanager
def forbid_listening(nodeid: str) -> Iterator[None]:
    """Fail a fast-tier test that starts listening on a socket: it must be marked `server`."""
    real = socket.socket.listen

    def refuse(self: socket.socket, backlog: int = 0, /) -> None:
        raise AssertionError(
            f"{nodeid} opens a server socket but is not marked `server`: tests/tiers.py decides "
            "the tier from the fixtures and helpers a test uses; add the starter it uses to "
            "SERVER_STARTERS or SERVER_FIXTURES"
        )

    socket.socket.listen = refuse  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        socket.socket.listen = real  # type: ignore[method-assign]
