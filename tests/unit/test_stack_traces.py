"""The stack trace each resource carries keeps the program's frames, not this package's."""

from __future__ import annotations

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
