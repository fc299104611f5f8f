"""The chatbot settings table (kinds/chatbot/fields.py) is the one source: the loader, the JSON
Schema, the client's parser, the emulator's forms and defaults and the program API agree."""

from __future__ import annotations

import json
from dataclasses import fields as dataclass_fields
from pathlib import Path

from caigunn_provider.client.fields import (
    BOOLEAN_SETTINGS,
    BUTTON_STYLES,
    DEFAULTS,
    READABLE_SETTINGS,
    SETTING_KEYS,
    SETTINGS,
    needs_update,
)
from caigunn_provider.client.parsers import SETTING_FIELDS
from caigunn_provider.emulator import responses
from caigunn_provider.emulator.forms import ChatbotSettingsFields
from caigunn_provider.emulator.models import DEFAULT_SETTINGS
from caigunn_provider.kinds import chatbot_section
from caigunn_provider.kinds.chatbot.args import ChatbotArgs
from caigunn_provider.kinds.chatbot.settings import _CHECKS

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "schema" / "stack-file.schema.json").read_text(encoding="utf-8"))
UPLOADED_FILES = {"avatar", "button_image"}


def chatbot_schema() -> dict[str, object]:
    entry = SCHEMA["properties"]["chatbots"]["additionalProperties"]
    if "$ref" in entry:
        entry = SCHEMA["$defs"][entry["$ref"].rsplit("/", 1)[1]]
    properties: dict[str, object] = entry["properties"]
    return properties


def test_the_loader_checks_every_setting_and_only_those() -> None:
    assert set(_CHECKS) == set(SETTING_KEYS)
    assert set(SETTING_KEYS) <= set(chatbot_section().keys)


def test_the_schema_describes_every_setting() -> None:
    properties = chatbot_schema()
    assert set(SETTING_KEYS) <= set(properties)
    for key in BOOLEAN_SETTINGS:
        assert properties[key] == {**properties[key], "type": "boolean"}  # type: ignore[dict-item]
    style = properties["button_style"]
    assert isinstance(style, dict) and set(style["enum"]) == set(BUTTON_STYLES)


def test_the_client_reads_back_exactly_the_table() -> None:
    assert tuple(SETTING_FIELDS) == SETTING_KEYS


def test_the_emulator_takes_and_defaults_exactly_the_table_plus_its_uploads() -> None:
    assert set(ChatbotSettingsFields.model_fields) == set(SETTING_KEYS) | UPLOADED_FILES
    assert {key: DEFAULT_SETTINGS[key] for key in SETTING_KEYS} == dict(DEFAULTS)
    assert set(DEFAULT_SETTINGS) == set(SETTING_KEYS) | UPLOADED_FILES
    served = getattr(responses, "READABLE_SETTINGS")  # noqa: B009 -- not re-exported on purpose
    assert tuple(served) == READABLE_SETTINGS == ("prompt", "is_shared")


def test_the_program_api_names_every_setting() -> None:
    names = {field.name for field in dataclass_fields(ChatbotArgs)}
    assert set(SETTING_KEYS) <= names
    assert len(SETTINGS) == len(SETTING_KEYS) == len(set(SETTING_KEYS))


def test_needs_update_is_one_answer_for_title_changed_and_taken_out_settings() -> None:
    recorded = {"title": "A", "settings": {"prompt": "Hi", "is_fixed": True}}
    assert needs_update(recorded, "A", {"prompt": "Hi", "is_fixed": True}) is False
    assert needs_update(recorded, "B", {"prompt": "Hi", "is_fixed": True}) is True
    assert needs_update(recorded, "A", {"prompt": "Hello", "is_fixed": True}) is True
    assert needs_update(recorded, "A", {"prompt": "Hi"}) is True  # is_fixed taken out
    assert needs_update({"title": "A", "settings": "garbage"}, "A", {}) is True
