"""The knowledge, model and webhook keys of a chatbot entry: what a valid entry reads into."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from caigunn_provider.errors import StackFileError
from caigunn_provider.kinds import load_stack_file
from caigunn_provider.kinds.chatbot.spec import ChatbotSpec
from caigunn_provider.kinds.knowledge import digest
from caigunn_provider.kinds.knowledge.section import MODEL_NAMES, KnowledgeSpec
from caigunn_provider.stackfile.urls import url_problem

ROOT = Path(__file__).resolve().parents[2]
HEAD = "chatbots:\n  support:\n    title: Support Desk\n    plan: Pro\n"


def knowledge_of(tmp_path: Path, body: str, files: dict[str, bytes] | None = None) -> KnowledgeSpec:
    knowledge = chatbot_of(tmp_path, body, files).part("knowledge")
    assert knowledge is not None
    return knowledge  # type: ignore[no-any-return]


def chatbot_of(tmp_path: Path, body: str, files: dict[str, bytes] | None = None) -> ChatbotSpec:
    for relative, content in (files or {}).items():
        target = tmp_path / "stacks" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    stack = tmp_path / "stacks" / "dev.yaml"
    stack.parent.mkdir(parents=True, exist_ok=True)
    stack.write_text(HEAD + body, encoding="utf-8")
    chatbot: ChatbotSpec = load_stack_file(stack).section("chatbots")["support"]
    return chatbot


def problems_of(tmp_path: Path, body: str, files: dict[str, bytes] | None = None) -> list[str]:
    with pytest.raises(StackFileError) as caught:
        knowledge_of(tmp_path, body, files)
    return caught.value.problems


def test_an_entry_reads_its_four_kinds_of_item_in_file_order_with_their_digests(
    tmp_path: Path,
) -> None:
    body = (
        "    knowledge:\n"
        "      - text_file: knowledge/returns.md\n"
        "      - text: Opening hours\n"
        "      - file: knowledge/manual.pdf\n"
        "      - website: https://www.example.com/help\n"
        "        single_page: true\n"
        "    model: gpt-4\n"
        "    webhook: https://hooks.example.com/caigunn\n"
    )
    files = {"knowledge/returns.md": b"Returns: 30 days.\n", "knowledge/manual.pdf": b"%PDF-1.4"}
    spec = knowledge_of(tmp_path, body, files)
    assert [item.kind for item in spec.items] == ["text_file", "text", "file", "website"]
    assert [item.line for item in spec.items] == [6, 7, 8, 9]
    returns, hours, manual, site = spec.items
    assert (returns.path, returns.location) == (
        "knowledge/returns.md",
        os.path.join(str(tmp_path / "stacks"), "knowledge/returns.md"),
    )
    assert returns.digest == digest.of_bytes(b"Returns: 30 days.\n")
    assert returns.characters == len("Returns: 30 days.\n")
    assert (hours.text, hours.digest, hours.characters) == (
        "Opening hours",
        digest.of_text("Opening hours"),
        13,
    )
    assert manual.digest == digest.of_bytes(b"%PDF-1.4")
    assert manual.characters == 0
    assert (site.website, site.single_page) == ("https://www.example.com/help", True)
    assert site.digest == digest.of_website("https://www.example.com/help", True)
    assert spec.model == "gpt-4"
    assert spec.lines == {"knowledge": 5, "model": 11}
    assert spec.trains


def test_an_entry_without_the_keys_has_no_knowledge(tmp_path: Path) -> None:
    stack = tmp_path / "dev.yaml"
    stack.write_text(HEAD, encoding="utf-8")
    assert load_stack_file(stack).section("chatbots")["support"].part("knowledge") is None


def test_a_webhook_alone_trains_nothing(tmp_path: Path) -> None:
    chatbot = chatbot_of(tmp_path, "    webhook: http://127.0.0.1:8123/hook\n")
    assert chatbot.part("knowledge") is None
    assert chatbot.part("webhook") == "http://127.0.0.1:8123/hook"


def test_editing_a_text_file_changes_its_digest_and_no_other(tmp_path: Path) -> None:
    body = "    knowledge:\n      - text_file: a.md\n      - text_file: b.md\n"
    before = knowledge_of(tmp_path, body, {"a.md": b"one\n", "b.md": b"two\n"})
    after = knowledge_of(tmp_path, body, {"a.md": b"one, edited\n"})
    assert before.items[0].digest != after.items[0].digest
    assert before.items[1].digest == after.items[1].digest


def test_a_text_files_digest_is_of_its_bytes_as_the_provider_reads_them(tmp_path: Path) -> None:
    body = "    knowledge:\n      - text_file: a.md\n"
    raw = "caf\u00e9\r\n".encode()
    [item] = knowledge_of(tmp_path, body, {"a.md": raw}).items
    assert (item.digest, item.characters) == (digest.of_bytes(raw), 6)


def test_single_page_is_part_of_a_websites_digest() -> None:
    url = "https://www.example.com"
    assert digest.of_website(url, True) != digest.of_website(url, False)


def test_a_path_written_with_dot_slash_is_the_same_item(tmp_path: Path) -> None:
    body = "    knowledge:\n      - text_file: ./a.md\n      - text_file: a.md\n"
    [problem] = problems_of(tmp_path, body, {"a.md": b"one\n"})
    assert problem == (
        f"{tmp_path / 'stacks' / 'dev.yaml'}:7: chatbots.support.knowledge[1]: "
        "duplicate item (the same as item 0)"
    )


def test_a_symbolic_link_out_of_the_stack_files_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.md").write_text("not for the chatbot\n")
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "link.md").symlink_to(tmp_path / "secret.md")
    [problem] = problems_of(tmp_path, "    knowledge:\n      - text_file: link.md\n")
    assert problem.endswith("link.md leads outside the stack file's folder (a symbolic link?)")


def test_the_same_text_twice_is_a_duplicate_but_a_text_and_a_file_of_that_text_are_not(
    tmp_path: Path,
) -> None:
    body = "    knowledge:\n      - text: hi\n      - text_file: a.md\n      - file: a.md\n"
    assert len(knowledge_of(tmp_path, body, {"a.md": b"hi"}).items) == 3
    twice = "    knowledge:\n      - text: hi\n      - text: hi\n"
    [problem] = problems_of(tmp_path, twice)
    assert problem.endswith("chatbots.support.knowledge[1]: duplicate item (the same as item 0)")


@pytest.mark.parametrize(
    "url",
    [
        "https://www.example.com",
        "https://www.example.com/help?page=2#top",
        "http://localhost:8080/hook",
        "http://127.0.0.1/hook",
        "http://[::1]:9000/hook",
    ],
)
def test_an_https_url_or_an_http_one_to_this_machine_is_accepted(url: str) -> None:
    assert url_problem(url) is None


@pytest.mark.parametrize(
    ("url", "what"),
    [
        ("http://example.com", "must be an https:// URL (got 'http://example.com'); http:// is"),
        ("http://10.0.0.1/hook", "must be an https:// URL (got 'http://10.0.0.1/hook'); http://"),
        ("ftp://example.com", "must be an https:// URL (got 'ftp://example.com')"),
        ("https://", "must be an https:// URL (got 'https://')"),
        ("www.example.com", "must be an https:// URL (got 'www.example.com')"),
        ("https://a:b@example.com", "must not carry a user name or password"),
        ("https://example.com:99999", "not a URL (got 'https://example.com:99999')"),
        ("https://exa mple.com", "must be a URL without spaces or control characters"),
        ("https://example.com/\u202e", "must be a URL without spaces or control characters"),
        ("", "must not be empty"),
    ],
)
def test_any_other_url_is_refused_with_the_reason(url: str, what: str) -> None:
    problem = url_problem(url)
    assert problem is not None and problem.startswith(what)


def test_a_refused_url_with_a_password_does_not_show_it() -> None:
    problem = url_problem("https://user:hunter2@example.com")
    assert problem is not None and "hunter2" not in problem


def test_the_schema_lists_exactly_the_loaders_model_names() -> None:
    schema = json.loads((ROOT / "schema" / "stack-file.schema.json").read_text("utf-8"))
    assert schema["$defs"]["chatbot"]["properties"]["model"]["enum"] == list(MODEL_NAMES)
