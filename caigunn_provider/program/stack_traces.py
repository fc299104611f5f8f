"""Keep this package's own frames out of the stack trace the SDK sends with every resource.

The Python SDK records where each resource was declared: every frame between the program and the
resource's constructor, about 2 KB per resource, stored in the state. The engine rewrites the
whole state after each step of an up, so those frames cost time in every write, for every
resource, and grow with the stack. Frames inside caigunn_provider tell a user nothing: the
trace keeps the program's own frames (the stack file's `__main__.py`, or the user's program), and
the resource's source position becomes the user's line instead of this package's.

Runs in the program process; installed once by caigunn_provider.program.pipeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
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
        trace = original()
        return type(trace)(frames=program_frames(trace.frames))

    sdk._get_stack_trace = trimmed
    _installed = True
    return True


def program_frames(frames: Sequence[Any]) -> list[Any]:
    """The program's own frames, innermost first: those before the SDK's run loop, without this
    package's and without frames that have no position."""
    kept = []
    for frame in frames:
        uri = _uri(frame)
        if uri.startswith(_SDK):
            break
        if uri and not uri.startswith(_PACKAGE):
            kept.append(frame)
    return kept


def _uri(frame: Any) -> str:
    return str(getattr(getattr(frame, "pc", None), "uri", "") or "")
