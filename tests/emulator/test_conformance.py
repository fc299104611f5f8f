"""The user's own document is the contract: its curl and Python samples run verbatim against us."""

from __future__ import annotations

import ast
import contextlib
import io
import json
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support import BASIC, TOKEN, Admin

from .api_calls import create_by_query, row_by_api_key

PRODUCTION_URL = "https://caigunn-api.ap-mic.com"
_SECTION = re.compile(r"^## (.+)$", re.MULTILINE)
_FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)

# What the current level adds to the seed's create answer (the later public reference).
CURRENT_CREATE_EXTRAS = {"chatbot_id": "string", "webchat_id": "string"}


def doc_samples(doc: Path) -> dict[str, dict[str, str]]:
    """{section title: {fence language: code}} for every `## ` section of the document."""
    text = doc.read_text(encoding="utf-8")
    titles = list(_SECTION.finditer(text))
    samples: dict[str, dict[str, str]] = {}
    for index, title in enumerate(titles):
        end = titles[index + 1].start() if index + 1 < len(titles) else len(text)
        body = text[title.end() : end]
        samples[title.group(1).strip()] = {m.group(1): m.group(2) for m in _FENCE.finditer(body)}
    return samples


def instantiate(code: str, base_url: str, values: dict[str, str]) -> str:
    """The sample with only the base URL and the placeholders swapped for real values."""
    assert PRODUCTION_URL in code, "the sample no longer calls the production URL"
    code = code.replace(PRODUCTION_URL, base_url)
    for placeholder, value in values.items():
        assert re.search(rf"\b{placeholder}\b", code), f"{placeholder} is not in the sample"
        code = re.sub(rf"\b{placeholder}\b", value, code)
    return code


def run_shell(code: str) -> Any:
    """Run a shell sample as written and parse what it prints."""
    done = subprocess.run(["bash", "-c", code], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def run_python(code: str) -> Any:
    """Exec a Python sample as written; CAIGUNN_ACCESS_TOKEN is a bare name, so it is a global."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(code, {"__name__": "doc_sample", "CAIGUNN_ACCESS_TOKEN": TOKEN})
    # The sample prints response.json(), a Python repr rather than JSON.
    return ast.literal_eval(printed.getvalue().strip())


def run_sample(language: str, code: str, base_url: str, values: dict[str, str]) -> Any:
    """Run one sample of the document against the emulator."""
    if language == "shell":
        return run_shell(instantiate(code, base_url, {**values, "CAIGUNN_ACCESS_TOKEN": TOKEN}))
    return run_python(instantiate(code, base_url, values))


def assert_documented_shape(actual: Any, documented: Any, where: str = "$") -> None:
    """Same keys at every level, same JSON types, every list element like the documented one."""
    if isinstance(documented, dict):
        assert isinstance(actual, dict), f"{where}: expected an object, got {actual!r}"
        assert set(actual) == set(documented), f"{where}: keys {sorted(actual)}"
        for key, value in documented.items():
            assert_documented_shape(actual[key], value, f"{where}.{key}")
    elif isinstance(documented, list):
        assert isinstance(actual, list), f"{where}: expected a list, got {actual!r}"
        assert actual, f"{where}: expected at least one element to check"
        for index, item in enumerate(actual):
            assert_documented_shape(item, documented[0], f"{where}[{index}]")
    else:
        assert type(actual) is type(documented), f"{where}: {actual!r} is not like {documented!r}"


@pytest.mark.parametrize("language", ["shell", "python"])
def test_get_all_chatbots_sample_answers_the_documented_shape(
    admin: Admin, doc_path: Path, language: str
) -> None:
    create_by_query(admin, f"listed-{language}")
    section = doc_samples(doc_path)["Get All Chatbots"]
    documented = json.loads(section["json"])

    body = run_sample(language, section[language], admin.base_url, {"OFFSET": "0", "LIMIT": "5"})

    assert_documented_shape(body, documented)
    assert 1 <= len(body["chatbots"]) <= 5


@pytest.mark.parametrize("language", ["shell", "python"])
def test_create_chatbot_sample_creates_a_chatbot_and_answers_the_documented_shape(
    level: str, admin: Admin, doc_path: Path, language: str
) -> None:
    section = doc_samples(doc_path)["Create Chatbot"]
    documented = json.loads(section["json"])
    if level == "current":
        documented = {**CURRENT_CREATE_EXTRAS, **documented}
    title = f"created-by-{language}-sample"

    body = run_sample(
        language, section[language], admin.base_url, {"TITLE": title, "PLAN_ID": BASIC}
    )

    assert_documented_shape(body, documented)
    assert body["expired_at"].endswith("Z")
    assert datetime.fromisoformat(body["expired_at"]) > datetime.now(UTC)
    row = row_by_api_key(admin, body["api_key"])
    assert (row["title"], row["plan_id"], row["is_deleted"]) == (title, BASIC, False)


def test_the_document_has_both_samples_and_an_answer_for_each_call(doc_path: Path) -> None:
    samples = doc_samples(doc_path)

    assert {"Get All Chatbots", "Create Chatbot"} <= set(samples)
    for title in ("Get All Chatbots", "Create Chatbot"):
        assert set(samples[title]) == {"shell", "python", "json"}
