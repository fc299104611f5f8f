"""Stack-file loading: what a valid file gives, the limits at their edges, and errors by path.

Every kind of bad input, with its exact message, is in the corpus (test_stackfile_corpus.py);
these tests cover what a corpus file cannot: the specs a valid file yields, the edges of the
limits, paths given in other forms and files beside the stack file.
"""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from caigunn_provider.errors import CaiGunnError, StackFileError
from caigunn_provider.kinds import load_stack_file
from caigunn_provider.kinds.chatbot.section import MAX_CHATBOTS
from caigunn_provider.kinds.chatbot.spec import ChatbotSpec
from caigunn_provider.stackfile import (
    MAX_FILE_BYTES,
    MAX_NAME_LENGTH,
    StackFile,
    is_valid_logical_name,
)
from tests.support import EVERY_SETTING

PLAN = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
CHATBOT_ID = "2b0c6a4e-8f1d-4c3b-9a7e-5d6f0e1a2b3c"
FILE = "stacks/dev.yaml"

Write = Callable[[str], str]


@pytest.fixture
def write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Write:
    """Write stacks/dev.yaml in a temp dir that is the cwd, and return the relative path."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "stacks").mkdir()

    def write(text: str) -> str:
        (tmp_path / FILE).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return FILE

    return write


def problems(path: str | os.PathLike[str]) -> list[str]:
    with pytest.raises(StackFileError) as caught:
        load_stack_file(path)
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


# --- what a valid file gives ---------------------------------------------------------------------


def test_a_valid_file_gives_every_chatbot_in_file_order_with_the_line_of_each_key(
    write: Write,
) -> None:
    path = write(f"""
        # the production chatbots
        chatbots:
          support:
            title: Support Desk
            plan_id: {PLAN.upper()}
          sales.v2:
            title: "Sales: Assistant"
            plan: Pro
            import: {CHATBOT_ID.upper()}
            protect: true
        """)
    stack = load_stack_file(path)
    assert stack == StackFile(
        path=FILE,
        sections={
            "chatbots": {
                "support": ChatbotSpec(
                    name="support",
                    title="Support Desk",
                    plan_id=PLAN,
                    line=3,
                    lines={"title": 4, "plan_id": 5},
                ),
                "sales.v2": ChatbotSpec(
                    name="sales.v2",
                    title="Sales: Assistant",
                    plan="Pro",
                    import_=CHATBOT_ID,
                    protect=True,
                    line=6,
                    lines={"title": 7, "plan": 8, "import": 9, "protect": 10},
                ),
            }
        },
    )
    assert list(stack.section("chatbots")) == ["support", "sales.v2"]


def test_settings_hold_only_what_the_entry_declares_in_the_apis_shape(write: Write) -> None:
    Path("stacks/prompts").mkdir()
    # A Windows checkout's CRLF must not read as another prompt; a UTF-8 BOM is dropped.
    prompt = EVERY_SETTING["prompt"].replace("\n", "\r\n").encode()
    Path("stacks/prompts/support.md").write_bytes(b"\xef\xbb\xbf" + prompt)
    # The model id is written in capitals: ids are read in their canonical (lower-case) form.
    declared = {**EVERY_SETTING, "model_id": EVERY_SETTING["model_id"].upper()}
    del declared["prompt"]
    settings = "".join(f"    {key}: {json.dumps(value)}\n" for key, value in declared.items())
    path = write(
        f"chatbots:\n  support:\n    title: Support Desk\n    plan_id: {PLAN}\n"
        f"    prompt_file: prompts/support.md\n{settings}"
        f'  sales:\n    title: Sales\n    plan_id: {PLAN}\n    prompt: ""\n'
    )
    chatbots = load_stack_file(path).section("chatbots")
    assert chatbots["support"].settings == EVERY_SETTING
    assert chatbots["support"].lines["prompt_file"] == 5
    # An empty prompt is declared (it clears the prompt); an absent one is not managed.
    assert chatbots["sales"].settings == {"prompt": ""}


def test_a_prompt_file_is_found_beside_a_stack_file_given_by_absolute_path(
    tmp_path: Path,
) -> None:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "p.md").write_text("Hi", encoding="utf-8")
    stack = tmp_path / "prod.yaml"
    stack.write_text(
        f"chatbots:\n  a: {{title: A, plan_id: {PLAN}, prompt_file: prompts/p.md}}\n",
        encoding="utf-8",
    )
    assert load_stack_file(stack).section("chatbots")["a"].settings == {"prompt": "Hi"}


def test_yaml_1_1_words_are_strings_as_in_the_editor(write: Write) -> None:
    path = write("""
        chatbots:
          norway: {title: NO, plan: yes}
          launch: {title: 2024-01-01, plan: on}
          octal: {title: 017, plan: off}
        """)
    assert problems(path) == [
        f"{FILE}:4: chatbots.octal.title: must be a string (got 17); put it in quotes"
    ]
    chatbots = load_stack_file(write("chatbots:\n  norway: {title: NO, plan: yes}\n")).section(
        "chatbots"
    )
    assert (chatbots["norway"].title, chatbots["norway"].plan) == ("NO", "yes")


def test_both_plan_keys_on_one_line_name_the_one_written_second(write: Write) -> None:
    path = write(f"chatbots:\n  a: {{title: A, plan: Pro, plan_id: {PLAN}}}\n")
    assert problems(path) == [
        f"{FILE}:2: chatbots.a.plan_id: give either plan_id or plan, not both (plan is at line 2)"
    ]


# --- limits at their edges -----------------------------------------------------------------------


def test_a_file_of_exactly_the_size_limit_loads(write: Write) -> None:
    text = "chatbots: {}\n"
    path = write(text + "#" * (MAX_FILE_BYTES - len(text) - 1) + "\n")
    assert Path(path).stat().st_size == MAX_FILE_BYTES
    assert load_stack_file(path).section("chatbots") == {}


def test_the_chatbot_limit_and_the_name_and_title_lengths_are_inclusive(write: Write) -> None:
    name = "n" * MAX_NAME_LENGTH
    lines = [f"  {name}: {{title: {'t' * 255}, plan_id: {PLAN}}}"]
    lines += [f"  bot{n}: {{title: T, plan_id: {PLAN}}}" for n in range(MAX_CHATBOTS - 1)]
    chatbots = load_stack_file(write("chatbots:\n" + "\n".join(lines) + "\n")).section("chatbots")
    assert len(chatbots) == MAX_CHATBOTS
    assert chatbots[name].title == "t" * 255


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        *[("support", True), ("sales.v2", True), ("9lives", True), ("a-b_c", True)],
        *[("", False), ("-x", False), (".x", False), ("a b", False), ("x" * 101, False)],
        (3, False),
    ],
)
def test_is_valid_logical_name_is_the_loaders_rule(name: object, valid: bool) -> None:
    assert is_valid_logical_name(name) is valid


# --- the file itself -----------------------------------------------------------------------------


def test_a_missing_file_is_reported_by_its_path(write: Write) -> None:
    assert problems("stacks/prod.yaml") == [
        "stacks/prod.yaml: file not found; create it (the smallest is `chatbots: {}`, the "
        "README's first example declares one chatbot), or select the stack it is for with "
        "`pulumi stack select`"
    ]


def test_a_folder_is_reported_as_unreadable(write: Write) -> None:
    assert problems("stacks") == ["stacks: cannot read the file: Is a directory"]


def test_the_path_is_reported_as_given_when_absolute(tmp_path: Path) -> None:
    path = tmp_path / "prod.yaml"
    path.write_text("chatbots: []\n")
    assert problems(path) == [
        f"{path}:1: chatbots: expected a mapping from logical name to chatbot (got a list)"
    ]


def test_a_stack_file_error_is_a_value_error_and_a_caigunn_error(write: Write) -> None:
    with pytest.raises(StackFileError) as caught:
        load_stack_file("stacks/prod.yaml")
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, CaiGunnError)


def test_a_prompt_file_that_links_outside_the_stack_folder_is_refused(
    write: Write, tmp_path: Path
) -> None:
    (tmp_path / "secret.txt").write_text("token", encoding="utf-8")
    Path("stacks/prompt.md").symlink_to(tmp_path / "secret.txt")
    path = write(f"chatbots:\n  a: {{title: A, plan_id: {PLAN}, prompt_file: prompt.md}}\n")
    assert problems(path) == [
        f"{FILE}:2: chatbots.a.prompt_file: stacks/prompt.md leads outside the stack file's "
        "folder (a symbolic link?)"
    ]


def test_problems_of_different_stages_are_reported_stage_by_stage(write: Write) -> None:
    # A refused YAML feature stops the content checks: their findings would be guesses.
    path = write(
        f"chatbots:\n  a: {{title: !!binary eA==, plan_id: nope}}\n  b: {{plan_id: {PLAN}}}\n"
    )
    assert problems(path) == [
        f"{FILE}:2: chatbots.a.title: a tag ('!!binary') is not supported in a stack file; "
        "remove the tag (the only tags allowed are !!str, !!map and !!seq)"
    ]


def test_a_file_with_too_many_values_stops_where_the_limit_is_crossed(
    write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real limit (100,000) takes seconds to reach; the rule is the same at 20.
    monkeypatch.setattr("caigunn_provider.stackfile.yamltree.MAX_NODES", 20)
    path = write("chatbots: {}\nnumbers:\n" + "".join(f"  - {n}\n" for n in range(30)))
    assert problems(path) == [
        f"{FILE}:18: the file holds more than 20 YAML values by here (1,000 chatbots with "
        "every setting need about 31,000); it was not read further"
    ]
