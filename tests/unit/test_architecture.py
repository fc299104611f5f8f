"""docs/ARCHITECTURE.md stays true: every module path and dotted name it cites exists."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
CITED = re.findall(r"`([^`\s]+)`", DOC)
PATHS = sorted({c for c in CITED if "/" in c and c.startswith(("caigunn_provider", "tests"))})
NAMES = sorted({c for c in CITED if "/" not in c and c.startswith("caigunn_provider.")})


def test_the_page_cites_modules_and_names() -> None:
    assert len(PATHS) >= 20 and len(NAMES) >= 20


@pytest.mark.parametrize("cited", PATHS)
def test_every_cited_path_exists(cited: str) -> None:
    # `caigunn_provider/kinds/*/kind.py` stands for every kind's file: at least one must match.
    assert list(ROOT.glob(cited.rstrip("/"))), f"docs/ARCHITECTURE.md cites {cited}, which is gone"


@pytest.mark.parametrize("cited", NAMES)
def test_every_cited_name_imports(cited: str) -> None:
    parts = cited.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            assert hasattr(found, attribute), f"docs/ARCHITECTURE.md cites {cited}: no {attribute}"
            found = getattr(found, attribute)
        return
    pytest.fail(f"docs/ARCHITECTURE.md cites {cited}, which does not import")
