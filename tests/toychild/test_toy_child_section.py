"""The ToyChild kind's stack-file side, without the engine: its keys join a chatbot entry's, the
loader hands it its key and reports its problems at their lines, and it loads without Pulumi."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from caigunn_provider.errors import StackFileError
from caigunn_provider.kinds import entry_kinds
from caigunn_provider.kinds.chatbot.section import OWN_KEYS, ChatbotSection
from caigunn_provider.kinds.chatbot.spec import ChatbotSpec
from caigunn_provider.stackfile import load_stack_file
from tests.e2e.pulumi_cli import ROOT
from tests.support import BASIC
from tests.toychild.kind import KIND as TOY
from tests.toychild.kind import ToyChildSpec, ToyItem, resource_name

SECTION = ChatbotSection((*entry_kinds(), TOY))


def load(tmp_path: Path, text: str, section: ChatbotSection = SECTION) -> dict[str, ChatbotSpec]:
    path = tmp_path / "dev.yaml"
    path.write_text(text)
    return dict(load_stack_file(path, [section]).section("chatbots"))


def bot(toys: str) -> str:
    """A stack file of one chatbot `support` whose `toys:` key (line 5) holds toys."""
    return f"chatbots:\n  support:\n    title: Support Desk\n    plan_id: {BASIC}\n    toys:{toys}"


def problems(tmp_path: Path, text: str, section: ChatbotSection = SECTION) -> list[str]:
    with pytest.raises(StackFileError) as raised:
        load(tmp_path, text, section)
    return [line.replace(str(tmp_path / "dev.yaml"), "dev.yaml") for line in raised.value.problems]


def test_the_toy_key_joins_the_chatbot_entry_keys_after_the_registered_kinds() -> None:
    registered = ChatbotSection(entry_kinds()).keys
    assert "toys" not in registered
    assert SECTION.keys == (*registered, "toys")
    assert SECTION.keys[: len(OWN_KEYS)] == OWN_KEYS
    # Its fragments are the entry kind's share of the schema and the docs.
    assert set(TOY.schema["properties"]) == set(TOY.keys)
    json.dumps(TOY.schema)
    assert TOY.docs.startswith("### ")


def test_a_list_and_a_mapping_of_toys_load_as_its_spec(tmp_path: Path) -> None:
    text = bot(" [red, blue]\n") + f"  sales:\n    title: Sales\n    plan_id: {BASIC}\n"
    text += "    toys:\n      alpha: first one\n      beta:\n"
    specs = load(tmp_path, text)
    assert specs["support"].part("toychild") == ToyChildSpec(
        items=(ToyItem("red", "", 5), ToyItem("blue", "", 5)), line=5
    )
    assert specs["sales"].part("toychild") == ToyChildSpec(
        items=(ToyItem("alpha", "first one", 10), ToyItem("beta", "", 11)), line=9
    )
    assert specs["support"].lines["toys"] == 5
    assert resource_name("support", "red") == "support/toy:red"
    # An entry without the key has no toy part; an empty list declares no toy.
    assert load(tmp_path, bot(" []\n"))["support"].part("toychild") == ToyChildSpec(line=5)


@pytest.mark.parametrize(
    ("toys", "expected"),
    [
        (
            " 5\n",
            "dev.yaml:5: chatbots.support.toys: expected a list of labels or a mapping from "
            "label to note (got 5)",
        ),
        (
            " yes please\n",
            "dev.yaml:5: chatbots.support.toys: expected a list of labels or a mapping from "
            "label to note (got 'yes please')",
        ),
        (
            "\n      - red\n      - Bad Label!\n",
            "dev.yaml:7: chatbots.support.toys[1]: a label is 1 to 40 lower-case letters, digits "
            "and '-', starting with a letter or a digit (got 'Bad Label!')",
        ),
        (
            "\n      - red\n      - 12\n",
            "dev.yaml:7: chatbots.support.toys[1]: must be a string (got 12); put it in quotes",
        ),
        (
            "\n      - red\n      - blue\n      - red\n",
            "dev.yaml:8: chatbots.support.toys[2]: label 'red' is already declared at line 6",
        ),
        (
            "\n      red: [1, 2]\n",
            "dev.yaml:6: chatbots.support.toys.red: must be a string (got a list)",
        ),
        (
            "\n      -red: shiny\n",
            "dev.yaml:6: chatbots.support.toys['-red']: a label is 1 to 40 lower-case letters, "
            "digits and '-', starting with a letter or a digit (got '-red')",
        ),
    ],
)
def test_an_unknown_toy_value_is_a_problem_at_its_line(
    tmp_path: Path, toys: str, expected: str
) -> None:
    assert problems(tmp_path, bot(toys)) == [expected]


def test_too_many_toys_are_refused_at_the_key(tmp_path: Path) -> None:
    labels = ", ".join(f"t{n}" for n in range(251))
    assert problems(tmp_path, bot(f" [{labels}]\n")) == [
        "dev.yaml:5: chatbots.support.toys: at most 250 toys per chatbot (got 251)"
    ]


def test_without_the_kind_the_key_is_unknown(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, bot(" [red]\n"), ChatbotSection(entry_kinds()))
    assert problem.startswith("dev.yaml:5: chatbots.support: unknown key 'toys'")


def test_the_kind_module_loads_without_pulumi() -> None:
    code = (
        "import sys, tests.toychild.kind; print(any(m.startswith('pulumi') for m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False"


SHARED_PICKLE = """\
import pickle
import pulumi.dynamic.dynamic as sdk
from caigunn_provider.dynamic import serialization
import tests.toychild.resource
from tests.toychild.provider import ToyChildProvider

before = dict(vars(pickle._Pickler))
texts = {sdk.serialize_provider(ToyChildProvider()) for _ in range(600)}
assert ToyChildProvider in serialization._SHARED
assert len(texts) == 1, len(texts)
assert dict(vars(pickle._Pickler)) == before, "the SDK's pickle patches were left behind"
print("ok")
"""


def test_the_resource_module_shares_one_pickle_of_its_provider() -> None:
    # In a process of its own: importing the resource module installs the serialization guard.
    done = subprocess.run(
        [sys.executable, "-c", SHARED_PICKLE], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
