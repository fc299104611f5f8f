"""The bad-input corpus: every case fails with exactly its listed problems, and no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from caigunn_provider.errors import StackFileError
from caigunn_provider.kinds import load_stack_file

from .stackfile_corpus import CORPUS, STACK, Case, load_cases

CASES = load_cases()


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_bad_stack_file_fails_with_exactly_its_listed_problems(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case.write(tmp_path)
    monkeypatch.chdir(tmp_path)
    # Any other exception (RecursionError, UnicodeError, ...) fails the test as it should.
    with pytest.raises(StackFileError) as caught:
        load_stack_file(STACK)
    assert caught.value.problems == case.expected
    # Every message prints anywhere: no control, bidi or surrogate character gets through.
    assert all(line.isprintable() for line in caught.value.problems)


def test_the_corpus_has_at_least_40_cases_with_unique_names() -> None:
    names = [case.name for case in CASES]
    assert len(names) >= 40
    assert len(set(names)) == len(names)


def test_every_committed_bad_file_is_a_case_and_every_case_has_its_expected_problems() -> None:
    names = {case.name for case in CASES}
    assert {path.stem for path in (CORPUS / "bad").glob("*.yaml")} <= names
    assert {path.stem for path in (CORPUS / "bad").glob("*.expected")} == names


def test_no_corpus_file_is_big() -> None:
    # Big or binary inputs are recipes in cases.toml, so the repository stays small.
    assert max(path.stat().st_size for path in CORPUS.rglob("*") if path.is_file()) < 20_000
