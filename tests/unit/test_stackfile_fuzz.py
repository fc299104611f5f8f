"""Mangled stack files end in a StackFileError with printable messages, never in a traceback."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from caigunn_provider.errors import StackFileError
from caigunn_provider.kinds import load_stack_file

from .stackfile_corpus import CORPUS

SEEDS = sorted((CORPUS / "good").glob("*.yaml")) + sorted((CORPUS / "bad").glob("*.yaml"))
# What hostile edits reach for: YAML indicators, escapes, bidi, BOM, bad UTF-8, surrogates.
PIECES = [
    *(bytes([code]) for code in b"\x00\t\n\r :-?[]{},!|>'\"#%@`\\&*~"),
    *[b"&a ", b"*a", b"!!", b"<<", b"---", b"...", b"\\u", b"\\x", b"0x", b"1e9", b"yes"],
    *[b"\xe2\x80\xae", b"\xef\xbb\xbf", b"\xff", b"\xc3", b"\xed\xa0\x80"],
]


def mangle(data: bytes, rng: random.Random) -> bytes:
    mangled = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        at = rng.randint(0, len(mangled))
        choice = rng.random()
        if choice < 0.4:
            mangled[at:at] = rng.choice(PIECES)
        elif choice < 0.7:
            del mangled[at : at + rng.randint(1, 5)]
        else:
            mangled[at:at] = bytes([rng.randint(0, 255)])
    return bytes(mangled)


@pytest.mark.parametrize("seed", range(4))
def test_a_mangled_stack_file_loads_or_fails_with_printable_problems(
    seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(seed)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "stacks").mkdir()
    sources = [path.read_bytes() for path in SEEDS]
    for _ in range(250):
        (tmp_path / "stacks" / "dev.yaml").write_bytes(mangle(rng.choice(sources), rng))
        try:
            load_stack_file("stacks/dev.yaml")
        except StackFileError as exc:
            assert exc.problems
            assert all(line.isprintable() for line in exc.problems), exc.problems
