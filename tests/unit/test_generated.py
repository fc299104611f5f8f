"""The schema's and docs' parts that the kinds inside an entry own are generated from the kinds."""

from __future__ import annotations

import json

import pytest

from caigunn_provider.kinds import chatbot_section, entry_kinds, generate


def test_the_committed_schema_and_docs_are_what_the_kinds_generate() -> None:
    assert generate.main(["--check"]) == 0, "run `make generate`"


def test_every_entry_kind_owns_its_keys_in_the_schema_and_the_docs() -> None:
    schema = json.loads(generate.SCHEMA.read_text("utf-8"))
    docs = generate.DOCS.read_text("utf-8")
    properties = schema["$defs"]["chatbot"]["properties"]
    for kind in entry_kinds():
        assert set(kind.schema["properties"]) == set(kind.keys), kind.name
        for key in kind.keys:
            assert properties[key] == kind.schema["properties"][key]
            assert f"| `{key}` |" in kind.docs, f"{kind.name}'s docs.md has no row for {key}"
        assert kind.docs in docs
    assert set(properties) == set(chatbot_section().keys)


def test_a_lost_marker_is_said_rather_than_written_over() -> None:
    with pytest.raises(ValueError, match="markers"):
        generate.docs("# Stack files\nno markers here\n")


def test_every_kind_follows_the_architecture_pages_steps() -> None:
    # docs/ARCHITECTURE.md's "Adding a kind": every resource module installs the one-pickle
    # serialization, and every registered kind inside an entry has its fragments.
    root = generate.ROOT
    resources = [
        *root.glob("caigunn_provider/kinds/*/resource.py"),
        *root.glob("tests/toy*/resource.py"),
    ]
    assert len(resources) >= 6
    for path in resources:
        assert "serialization.install(" in path.read_text("utf-8"), path
    for kind in entry_kinds():
        folder = root / "caigunn_provider" / "kinds" / kind.name
        assert {"kind.py", "schema.json", "docs.md"} <= {p.name for p in folder.iterdir()}
