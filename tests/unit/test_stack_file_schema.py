"""The JSON Schema agrees with the loader: valid files pass both, shape errors fail both."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from caigunn_provider.kinds import chatbot_section, load_stack_file
from caigunn_provider.kinds.chatbot.section import MAX_CHATBOTS
from caigunn_provider.stackfile.rules import (
    COLOR_PATTERN,
    LOGICAL_NAME_PATTERN,
    MAX_NAME_LENGTH,
    MAX_TITLE_LENGTH,
    ORIGIN_PATTERN,
    bad_character,
)
from caigunn_provider.stackfile.yamltree import parse

from .stackfile_corpus import CORPUS, ROOT, Case, load_cases, plain

SCHEMA_PATH = ROOT / "schema" / "stack-file.schema.json"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA)
CHATBOT = SCHEMA["$defs"]["chatbot"]
MODELINE = "# yaml-language-server: $schema="
# Not $, which Python's re (and so every Python validator) also matches before a final newline.
END = r"(?![\s\S])"

VALID = sorted(
    [
        *(ROOT / "stacks").glob("*.yaml"),
        *(ROOT / "examples").glob("*.yaml"),
        *(CORPUS / "good").glob("*.yaml"),
    ]
)
SHAPE_CASES = [case for case in load_cases() if case.shape]


def schema_errors(text: str) -> list[str]:
    return [error.message for error in VALIDATOR.iter_errors(plain(parse(text).root))]


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("path", VALID, ids=[str(path.relative_to(ROOT)) for path in VALID])
def test_a_valid_stack_file_passes_both_the_loader_and_the_schema(path: Path) -> None:
    load_stack_file(path)
    assert schema_errors(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("case", SHAPE_CASES, ids=[case.name for case in SHAPE_CASES])
def test_a_shape_error_fails_the_schema_as_well_as_the_loader(case: Case) -> None:
    # The loader's side is test_stackfile_corpus; here the schema must refuse the same file.
    assert schema_errors(case.source.decode("utf-8-sig")) != []


def test_the_repositorys_stack_files_and_examples_point_editors_at_the_schema() -> None:
    for path in [*(ROOT / "stacks").glob("*.yaml"), *(ROOT / "examples").glob("*.yaml")]:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith(MODELINE), path
        assert (path.parent / first.removeprefix(MODELINE)).resolve() == SCHEMA_PATH


def test_the_schema_and_the_loader_share_patterns_and_limits() -> None:
    chatbots = SCHEMA["properties"]["chatbots"]
    assert chatbots["propertyNames"] == {
        "pattern": f"^{LOGICAL_NAME_PATTERN}{END}",
        "maxLength": MAX_NAME_LENGTH,
    }
    assert chatbots["maxProperties"] == MAX_CHATBOTS
    assert CHATBOT["properties"]["main_color"]["pattern"] == f"^{COLOR_PATTERN}{END}"
    origins = CHATBOT["properties"]["allowed_domains"]["items"]
    assert origins["pattern"] == f"^{ORIGIN_PATTERN}{END}"
    assert SCHEMA["$defs"]["oneLineText"]["maxLength"] == MAX_TITLE_LENGTH


def test_the_schema_knows_exactly_the_loaders_keys() -> None:
    assert set(CHATBOT["properties"]) == set(chatbot_section().keys)
    assert set(SCHEMA["properties"]) == {"chatbots"}


def test_every_character_the_schema_refuses_in_a_title_the_loader_refuses_too() -> None:
    # The schema can list only some characters; it must never refuse one the loader accepts.
    pattern = re.compile(SCHEMA["$defs"]["oneLineText"]["pattern"])
    refused = [
        char
        for code in range(0x3000)
        if not pattern.search(f"a{(char := chr(code))}a") and not 0xD800 <= code <= 0xDFFF
    ]
    assert refused, "the pattern refuses nothing"
    assert [char for char in refused if bad_character(char, multiline=False) is None] == []
