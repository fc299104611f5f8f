"""The route map: generated from the routing table into --help and docs/emulator.md, and /docs."""

from __future__ import annotations

from pathlib import Path

import pytest

from caigunn_provider.emulator.knobs import Knobs
from caigunn_provider.emulator.route_docs import markdown_routes
from caigunn_provider.emulator.server import build_parser
from caigunn_provider.emulator.urls import ROUTES, RouteSpec
from tests.support import Admin

DOC = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"


def test_docs_emulator_md_holds_the_route_map_generated_from_the_routing_table() -> None:
    # On failure: python -m caigunn_provider.emulator.route_docs, and paste it into the page.
    assert markdown_routes() in DOC.read_text(encoding="utf-8")


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: f"{route.method} {route.path}")
def test_every_route_is_in_docs_emulator_md_with_a_curl_example(route: RouteSpec) -> None:
    text = DOC.read_text(encoding="utf-8")
    method, path = route.method, route.path

    assert f"- `{method} {path}`" in text
    section = text.split(f"- `{method} {path}`", 1)[1].split("\n- `", 1)[0]
    assert "curl -s" in section


def test_every_knob_is_in_docs_emulator_md() -> None:
    text = DOC.read_text(encoding="utf-8")

    assert [name for name in Knobs.model_fields if f"| `{name}` |" not in text] == []


def test_help_lists_every_route_with_curl_and_a_chatbot_made_by_hand(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "1000")
    help_text = build_parser().format_help()

    missing = [
        f"{r.method} {r.path}" for r in ROUTES if f"  {r.method} {r.path}  (" not in help_text
    ]
    assert missing == []
    assert "a chatbot made by hand" in help_text
    assert help_text.count("curl -s") > len(ROUTES)


@pytest.mark.parametrize("level", ["current", "seed"])
def test_the_docs_page_is_served_without_a_token_and_says_it_is_the_emulator(
    admin: Admin, level: str
) -> None:
    page = admin.call("GET", "/docs", token="")
    schema = admin.call("GET", "/openapi.json", token="").json()

    assert page.status_code == 200 and "CaiGunn emulator" in page.text
    assert schema["info"]["title"] == "CaiGunn emulator"
    assert "emulator" in schema["info"]["description"]
    served = {(method.upper(), path) for path, item in schema["paths"].items() for method in item}
    expected = {(r.method, r.path) for r in ROUTES if level in r.levels}
    assert served == expected
    assert admin.requests() == []  # the emulator's own pages are not CaiGunn calls
