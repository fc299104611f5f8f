"""Keep this package's own frames out of the stack trace the SDK sends with every resource.

The Python SDK records where each resource was declared: every frame between the program and the
resource's constructor, about 2 KB per resource, stored in the state. The engine rewrites the
whole state after each step of an up, so those frames cost time in every write, for every
resource, and grow with the stack. Frames inside caigunn_provider tell a user nothing: the
trace keeps the program's own frames (the stack file's `__main__.py`, or the user's program), and
the resource's source position becomes the user's line instead of this package's.

The trace is made by walking the interpreter's frames (`program_trace`), not as the SDK makes it
(`traceback.extract_stack`, which reads every frame's source line, then a URI for each frame):
the same frames, a tenth of the time, which counts at a thousand resources.

Runs in the program process; installed once by caigunn_provider.program.pipeline.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import pulumi


def _prefixes(folder: Path) -> tuple[str, ...]:
    """A folder's URI prefixes as the SDK writes a frame's (a virtualenv may be a symlink)."""
    return tuple({folder.absolute().as_uri() + "/", folder.resolve().as_uri() + "/"})


# Where this package's files are.
_PACKAGE = _prefixes(Path(__file__).parents[1])
# Where the SDK's are: its frames start the machinery that runs the program (the SDK's run loop,
# asyncio, the language host), which is the same for every resource and tells nobody anything.
_SDK = _prefixes(Path(pulumi.__file__).parent)


def _folders(folder: Path) -> tuple[str, ...]:
    """A folder's path prefixes as frames name their files (a virtualenv may be a symlink)."""
    return tuple({str(folder.absolute()) + os.sep, str(folder.resolve()) + os.sep})


_PACKAGE_FILES = _folders(Path(__file__).parents[1])
_SDK_FILES = _folders(Path(pulumi.__file__).parent)
# The language host's script that runs the program: the outermost frame of every trace, the same
# for every resource (and naming a path on the machine that ran it).
_HOST_EXEC = "pulumi-language-python-exec"
# The SDK's trace starts outside the third `__init__` from the innermost frame: Resource's,
# CustomResource's, then the resource class's own (pulumi/runtime/resource.py, _get_stack_trace).
_INITS = 3

_installed = False


def install() -> bool:
    """Wrap the SDK's stack-trace function (once); False where the SDK has none to wrap."""
    global _installed
    if _installed:
        return True
    try:
        from pulumi.runtime import resource as sdk
    except ImportError:  # pragma: no cover - the SDK is always there in a program
        return False
    original = getattr(sdk, "_get_stack_trace", None)
    if original is None:
        return False

    def trimmed() -> Any:
        return program_trace(sys._getframe(1))

    trimmed.__wrapped__ = original  # type: ignore[attr-defined]
    sdk._get_stack_trace = trimmed
    _installed = True
    return True


def program_frames(frames: Sequence[Any]) -> list[Any]:
    """The program's own frames, innermost first: those before the SDK's run loop or the language
    host's script, without this package's and without frames that have no position."""
    kept = []
    for frame in frames:
        uri = _uri(frame)
        if uri.startswith(_SDK) or uri.endswith(_HOST_EXEC):
            break
        if uri and not uri.startswith(_PACKAGE):
            kept.append(frame)
    return kept


def program_trace(innermost: FrameType | None) -> Any:
    """The trace the SDK would send from this frame, trimmed by program_frames, made from the
    frames themselves: outside the resource's third `__init__`, the program's frames up to the
    SDK's run loop, innermost first."""
    from pulumi.runtime.proto import source_pb2

    frame, inits = innermost, 0
    while frame is not None and inits < _INITS:
        inits += frame.f_code.co_name == "__init__"
        frame = frame.f_back
    if inits < _INITS or frame is None:
        return source_pb2.StackTrace()
    kept = []
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith(_SDK_FILES) or filename.endswith(_HOST_EXEC):
            break
        if filename and not filename.startswith(_PACKAGE_FILES) and frame.f_lineno is not None:
            try:
                uri = Path(filename).as_uri()
            except ValueError:  # a relative name: the SDK gives such a frame no position
                uri = None
            if uri is not None:
                position = source_pb2.SourcePosition(uri=uri, line=frame.f_lineno)
                kept.append(source_pb2.StackFrame(pc=position))
        frame = frame.f_back
    return source_pb2.StackTrace(frames=kept)


def _uri(frame: Any) -> str:
    return str(getattr(getattr(frame, "pc", None), "uri", "") or "")
