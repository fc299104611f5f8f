"""A Python program's run: the checks the stack-file path makes once, made once per process for
the chatbots a program declares one call at a time (caigunn.Chatbot(...), caigunn.declare()).

Runs in the program process. The first call reads the configuration, checks the account (the
token, what the server can do, the plans) and starts reading the stack's checkpoint; every later
call reuses them, so a program of fifty chatbots checks its token once and lists its plans once.
A failure raises, and the caller stops the run with its message (pipeline.stopping).
"""

from __future__ import annotations

import atexit
import functools
import inspect
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass

from caigunn_provider import account as accounts
from caigunn_provider.account import Account
from caigunn_provider.config import ProviderConfig
from caigunn_provider.program import pipeline, provider_start, stack_traces
from caigunn_provider.program.checkpoint import Checkpoint
from caigunn_provider.program.kind import Run

__all__ = ["Caller", "Session", "caller", "current"]

# This package's modules, whose frames are skipped to find where the program called it.
_PACKAGE = __name__.split(".", 1)[0]
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Session:
    """What every check of the process's run shares: read once, on the first call."""

    config: ProviderConfig
    account: Account
    # The stack's checkpoint (None when unreadable: pipeline warned); waits for the read once.
    checkpoint: Callable[[], Checkpoint | None]

    def run(self, source: str) -> Run:
        """The Run a kind's prepare() gets, its messages naming source (`__main__.py:12`)."""
        return Run(source, self.config, self.account, self.checkpoint)


@dataclass(frozen=True)
class Caller:
    """Where the program called this package: its file (relative to the working directory when
    inside it, as the user reads it) and line. It stands where a stack file's path and line stand
    in messages."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


def current() -> Session:
    """The process's session, opened on the first call (the lock: a program may declare from
    several threads, as an `apply` callback runs on another). Raises a CaiGunnError when the
    configuration or the account cannot be used."""
    with _LOCK:
        return _open()


@functools.cache
def _open() -> Session:
    """Config, account and checkpoint, as pipeline._prepare gets them for a stack file; the
    account stays open for the later calls and is closed when the program ends."""
    config = pipeline.provider_config()
    checkpoint = pipeline.checkpoint_later()
    provider_start.start()
    account = accounts.connect(config)
    atexit.register(account.close)
    # The state keeps the program's frames of each resource's trace, not this package's.
    stack_traces.install()
    return Session(config, account, checkpoint)


def caller() -> Caller:
    """The first frame outside this package: the program's line that declared the chatbot."""
    frame = inspect.currentframe()
    try:
        while frame is not None and _ours(frame.f_globals.get("__name__")):
            frame = frame.f_back
        if frame is None:
            return Caller("the program", 0)
        return Caller(_shown(frame.f_code.co_filename), frame.f_lineno)
    finally:
        del frame  # a frame held by a local makes a reference cycle (inspect's docs)


def _ours(module: object) -> bool:
    return isinstance(module, str) and (module == _PACKAGE or module.startswith(f"{_PACKAGE}."))


def _shown(path: str) -> str:
    """The file as the user names it: relative to the working directory (the project's folder,
    where Pulumi runs the program) when inside it."""
    if not os.path.isabs(path):
        return path
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive
        return path
    return path if relative.startswith(os.pardir) else relative
