"""Chatbot settings (current level): stored from create and update forms, read back as split."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support import (
    CHATBOT_PATH,
    EVERY_SETTING_STORED,
    PRO,
    Admin,
    form_fields,
)

from .api_calls import chatbot_info, create_form, row_by_api_key

pytestmark = pytest.mark.parametrize("level", ["current"])

MESSAGES = EVERY_SETTING_STORED["initial_messages"]
DOMAINS = EVERY_SETTING_STORED["allowed_domains"]
# Every setting as a form carries it, and as the emulator stores it.
EVERY_SETTING_FORM = form_fields(EVERY_SETTING_STORED)
STORED = EVERY_SETTING_STORED


def _stored_settings(admin: Admin, api_key: str) -> dict[str, Any]:
    row = row_by_api_key(admin, api_key)
    return {name: row[name] for name in STORED}


def test_create_stores_every_setting_sent_in_the_documented_encoding(admin: Admin) -> None:
    created = create_form(admin, "configured", PRO, **EVERY_SETTING_FORM)

    assert _stored_settings(admin, created["api_key"]) == STORED


def test_chatbot_info_reads_back_only_prompt_and_is_shared(admin: Admin) -> None:
    created = create_form(admin, "configured", **EVERY_SETTING_FORM)

    info = chatbot_info(admin, created["chatbot_id"])

    assert (info["prompt"], info["is_shared"]) == (STORED["prompt"], True)
    write_only = set(STORED) - {"prompt", "is_shared"}
    assert write_only & set(info) == set()


def test_arrays_may_also_come_as_repeated_fields(admin: Admin) -> None:
    messages = [json.dumps(MESSAGES[0]), "How can I help?"]  # a JSON object, then plain text

    created = create_form(admin, "repeated", allowed_domains=DOMAINS, initial_messages=messages)

    stored = row_by_api_key(admin, created["api_key"])
    assert (stored["allowed_domains"], stored["initial_messages"]) == (DOMAINS, MESSAGES)


def test_one_plain_field_is_a_list_of_one(admin: Admin) -> None:
    created = create_form(
        admin, "single", allowed_domains="https://example.com", initial_messages="Hello"
    )

    stored = row_by_api_key(admin, created["api_key"])
    assert stored["allowed_domains"] == ["https://example.com"]
    assert stored["initial_messages"] == [{"type": "text", "value": "Hello"}]


def test_update_changes_only_the_settings_it_sends(admin: Admin) -> None:
    created = create_form(admin, "kept", **EVERY_SETTING_FORM)
    path = f"{CHATBOT_PATH}/{created['chatbot_id']}"

    response = admin.call("PUT", path, data={"prompt": "Be thorough.", "allowed_domains": "[]"})

    assert response.json() == {"detail": "update successfully"}
    expected = {**STORED, "prompt": "Be thorough.", "allowed_domains": []}
    assert _stored_settings(admin, created["api_key"]) == expected
    assert chatbot_info(admin, created["chatbot_id"])["prompt"] == "Be thorough."


def test_settings_in_the_query_string_are_not_taken(admin: Admin) -> None:
    response = admin.call(
        "POST",
        CHATBOT_PATH,
        params={"title": "query", "plan_id": PRO, "prompt": "from the query"},
    )

    assert row_by_api_key(admin, response.json()["api_key"])["prompt"] == ""


def test_an_uploaded_file_is_kept_by_name(admin: Admin) -> None:
    response = admin.call(
        "POST",
        CHATBOT_PATH,
        data={"title": "face", "plan_id": PRO},
        files={"avatar": ("face.png", b"\x89PNG", "image/png")},
    )

    assert row_by_api_key(admin, response.json()["api_key"])["avatar"] == "face.png"


@pytest.mark.parametrize(
    ("field", "value", "loc", "error_type"),
    [
        ("main_color", "blue", ["body", "main_color"], "string_pattern_mismatch"),
        ("button_style", "round", ["body", "button_style"], "literal_error"),
        ("is_fixed", "maybe", ["body", "is_fixed"], "bool_parsing"),
        ("model_id", "gpt", ["body", "model_id"], "uuid_parsing"),
        (
            "allowed_domains",
            '["https://example.com/path"]',
            ["body", "allowed_domains", 0],
            "string_pattern_mismatch",
        ),
        (
            "initial_messages",
            '[{"type": "image", "value": "x.png"}]',
            ["body", "initial_messages", 0, "type"],
            "literal_error",
        ),
        ("allowed_domains", "[not json", ["body", "allowed_domains", 0], "string_pattern_mismatch"),
    ],
)
def test_a_bad_setting_answers_422_located_in_the_body_and_stores_nothing(
    admin: Admin, field: str, value: str, loc: list[Any], error_type: str
) -> None:
    response = admin.call("POST", CHATBOT_PATH, data={"title": "bad", "plan_id": PRO, field: value})

    assert response.status_code == 422
    assert [(e["loc"], e["type"]) for e in response.json()["detail"]] == [(loc, error_type)]
    assert admin.rows() == []
