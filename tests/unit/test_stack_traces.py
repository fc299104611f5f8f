"""The stack trace each resource carries keeps the program's frames, not this package's."""

from __future__ import annotations

import sys
from pathlib import Path

import pulumi
from pulumi.runtime.proto import source_pb2

from caigunn_provider.program import stack_traces

PACKAGE = Path(stack_traces.__file__).parents[1]
SDK = Path(pulumi.__file__).parent


def frame(path: Path | None, line: int = 1) -> source_pb2.StackFrame:
    if path is None:
        return source_pb2.StackFrame()
    return source_pb2.StackFrame(pc=source_pb2.SourcePosition(uri=path.as_uri(), line=line))


def test_only_the_programs_frames_before_the_sdks_run_loop_are_kept() -> None:
    program = Path("/project/__main__.py")
    frames = [
        frame(PACKAGE / "kinds" / "knowledge" / "declare.py", 45),
        frame(PACKAGE / "program" / "pipeline.py", 60),
        frame(program, 6),
        frame(None),
        frame(Path("/engine/pulumi-language-python-exec"), 188),
        frame(SDK / "runtime" / "stack.py", 141),
        frame(Path("/usr/lib/python3.11/asyncio/events.py"), 80),
    ]
    assert [f.pc.uri for f in stack_traces.program_frames(frames)] == [program.as_uri()]


def test_installing_wraps_the_sdk_once() -> None:
    from pulumi.runtime import resource as sdk

    assert stack_traces.install()
    wrapped = sdk._get_stack_trace
    assert stack_traces.install()
    assert sdk._get_stack_trace is wrapped
    assert isinstance(wrapped(), source_pb2.StackTrace)


class Declared:
    """Three nested `__init__`s, as a resource's constructor chain calls the SDK's trace."""

    def __init__(self, depth: int = 3) -> None:
        from pulumi.runtime import resource as sdk

        if depth > 1:
            Declared.__init__(self, depth - 1)
            return
        self.theirs = sdk._get_stack_trace.__wrapped__()  # type: ignore[attr-defined]
        self.ours = stack_traces.program_trace(sys._getframe(0))


def declare_here() -> Declared:
    return Declared()


def test_the_frame_walk_gives_the_sdks_trace_trimmed() -> None:
    assert stack_traces.install()
    made = declare_here()
    expected = stack_traces.program_frames(made.theirs.frames)
    assert [(f.pc.uri, f.pc.line) for f in made.ours.frames] == [
        (f.pc.uri, f.pc.line) for f in expected
    ]
    # This test's own frame is there: it is outside the package and the SDK.
    assert made.ours.frames[0].pc.uri == Path(__file__).as_uri()
