"""Phase timings for the benchmark: written only when $CAIGUNN_TIMINGS names a file."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from caigunn_provider import timings


def test_nothing_is_written_or_wrapped_without_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(timings.ENV, raising=False)

    class Provider:
        def create(self) -> str:
            return "made"

    create = Provider.create
    timings.time_operations(Provider)
    with timings.phase("load"):
        pass
    assert Provider.create is create
    assert list(tmp_path.iterdir()) == []


def test_phases_and_operations_are_written_one_json_line_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "t.jsonl"
    monkeypatch.setenv(timings.ENV, str(out))

    class KnowledgeItemProvider:
        def create(self, props: dict[str, str]) -> str:
            return props["name"]

    timings.time_operations(KnowledgeItemProvider)
    with timings.phase("declare"):
        assert KnowledgeItemProvider().create({"name": "x"}) == "x"
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(line["process"], line["phase"]) for line in lines] == [
        ("provider", "create KnowledgeItemProvider"),
        ("program", "declare"),
    ]
    assert all(line["start"] <= line["end"] for line in lines)


def test_a_process_started_before_now_and_not_long_ago() -> None:
    started = timings.process_started()
    assert started is not None
    assert time.time() - 3600 < started <= time.time()
