"""The parts of schema/stack-file.schema.json and docs/stack-file.md that the kinds inside a
chatbot entry own, generated from their own fragments (each kind's schema.json and docs.md).

`make generate` writes both files; tests/unit/test_generated.py fails while either differs from
what this makes. The rest of each file (the entry's own keys, the file's rules) is edited by hand.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from caigunn_provider.kinds import chatbot_section, entry_kinds
from caigunn_provider.kinds.chatbot.section import OWN_KEYS

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "schema" / "stack-file.schema.json"
DOCS = ROOT / "docs" / "stack-file.md"
BEGIN = (
    "<!-- The kinds inside an entry: generated from each kind's docs.md by `make generate`; "
    "edit those. -->\n"
)
END = "<!-- End of the generated part. -->\n"


def schema(current: dict[str, Any]) -> dict[str, Any]:
    """current with the chatbot entry's properties, allOf rules and $defs of every entry kind
    taken from the kinds: the entry's own keys first, then each kind's, in registry order."""
    found: dict[str, Any] = json.loads(json.dumps(current))
    chatbot = found["$defs"]["chatbot"]
    own = set(OWN_KEYS)
    properties = {key: value for key, value in chatbot["properties"].items() if key in own}
    rules = [rule for rule in chatbot.get("allOf", []) if _keys_of(rule) <= own]
    for kind in entry_kinds():
        properties.update(kind.schema["properties"])
        rules.extend(kind.schema.get("allOf", []))
        found["$defs"].update(kind.schema.get("$defs", {}))
    chatbot["properties"], chatbot["allOf"] = properties, rules
    assert set(properties) == set(chatbot_section().keys), "the schema's keys are the loader's"
    return found


def docs(current: str) -> str:
    """current with the part between the markers made of every entry kind's docs.md."""
    head, _, rest = current.partition(BEGIN)
    _, _, tail = rest.partition(END)
    if not rest or not tail:
        raise ValueError(f"{DOCS} has lost its markers of the generated part")
    return head + BEGIN + "\n" + "\n".join(kind.docs for kind in entry_kinds()) + "\n" + END + tail


def _keys_of(rule: Any) -> set[str]:
    """Every key a `required` list names anywhere in a schema rule."""
    if isinstance(rule, dict):
        named = set(rule.get("required", []))
        return named.union(*(_keys_of(value) for value in rule.values()))
    if isinstance(rule, list):
        return set().union(*(_keys_of(item) for item in rule))
    return set()


def render_schema(value: dict[str, Any]) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m caigunn_provider.kinds.generate")
    parser.add_argument("--check", action="store_true", help="exit 1 where a file is stale")
    ns = parser.parse_args(argv)
    wanted = {
        SCHEMA: render_schema(schema(json.loads(SCHEMA.read_text("utf-8")))),
        DOCS: docs(DOCS.read_text("utf-8")),
    }
    stale = [path for path, text in wanted.items() if path.read_text("utf-8") != text]
    if ns.check:
        for path in stale:
            print(f"{path.relative_to(ROOT)} is stale: run `make generate`", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.write_text(wanted[path], "utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
