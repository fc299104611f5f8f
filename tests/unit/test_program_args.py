"""A Python program's chatbot arguments (caigunn.Chatbot, caigunn.ChatbotArgs): the stack-file
entry's keys as keywords, checked by the stack file's own rules, in the program's words."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any, cast

import pulumi
import pytest
from pulumi import _types

import caigunn_provider as caigunn
from caigunn_provider.errors import StackFileError
from caigunn_provider.kinds import chatbot_section
from caigunn_provider.kinds.chatbot import program, resource
from caigunn_provider.kinds.chatbot.args import to_specs
from caigunn_provider.kinds.chatbot.keywords import (
    check_chatbots,
    keywords,
    program_words,
    tree,
)
from caigunn_provider.kinds.chatbot.kind import Planned, Prepared
from caigunn_provider.kinds.chatbot.spec import ChatbotSpec
from caigunn_provider.library import KEYWORDS
from caigunn_provider.program.session import caller
from caigunn_provider.stackfile.yamltree import Map, Opaque, Seq

PLAN_ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
CHATBOT_ID = "9b2c4f1e-0d7a-4c1b-8e55-2a6f3d9c1b77"


def checked(**chatbots: Mapping[str, object]) -> dict[str, ChatbotSpec]:
    """The specs of {name: keywords}, checked as a program's call at __main__.py:12."""
    return check_chatbots(chatbot_section().checker(""), chatbots, "__main__.py", 12)


def problems(**chatbots: Mapping[str, object]) -> list[str]:
    with pytest.raises(StackFileError) as raised:
        checked(**chatbots)
    return raised.value.problems


# --- the keywords --------------------------------------------------------------------------------


def test_chatbot_and_chatbot_args_take_every_stack_file_key_in_one_order() -> None:
    expected = keywords(chatbot_section())

    assert expected[:4] == ("title", "plan", "plan_id", "prompt")
    assert {"knowledge", "model", "webhook", "opentalk", "checks", "import_"} <= set(expected)
    assert (*expected, "opts") == KEYWORDS
    assert tuple(field.name for field in fields(caigunn.ChatbotArgs)) == expected


def test_caigunn_chatbot_is_the_resource_with_its_type_token_and_output_shapes() -> None:
    assert issubclass(caigunn.Chatbot, resource.Chatbot)
    assert caigunn.Chatbot._resource_type_name == resource.Chatbot._resource_type_name
    assert caigunn.Chatbot._resource_type_name == "dynamic/caigunn:Chatbot"
    # The SDK reads the outputs' shapes from the class's own annotations.
    assert _types.resource_types(caigunn.Chatbot) == _types.resource_types(resource.Chatbot)


def test_a_misspelt_keyword_names_every_keyword_and_the_closest() -> None:
    with pytest.raises(TypeError) as raised:
        caigunn.Chatbot("support", title="Support", plann="Basic")  # type: ignore[call-arg]

    said = str(raised.value)
    assert said.startswith(
        "Chatbot() got an unexpected keyword argument 'plann'; it takes: title, plan, plan_id, "
        "prompt, "
    )
    assert said.endswith(", import_, protect, opts; did you mean 'plan'?")
    assert all(keyword in said for keyword in KEYWORDS)


def test_chatbot_args_says_the_same_for_its_keywords() -> None:
    with pytest.raises(TypeError) as raised:
        caigunn.ChatbotArgs(title="Support", knowlege=[{"text": "Hi"}])  # type: ignore[call-arg]

    said = str(raised.value)
    assert said.startswith("ChatbotArgs() got an unexpected keyword argument 'knowlege'; it takes:")
    assert said.endswith(", import_, protect; did you mean 'knowledge'?")
    assert "opts" not in said


@pytest.mark.parametrize(
    ("keyword", "hint"),
    [
        ("settings", "each setting is a keyword of its own (prompt=..., main_color=...)"),
        ("import", "did you mean 'import_'?"),
        ("recover", "it takes: title"),
    ],
)
def test_keywords_of_the_old_and_the_yaml_spelling_say_what_to_write(
    keyword: str, hint: str
) -> None:
    with pytest.raises(TypeError, match=r"unexpected keyword argument") as raised:
        caigunn.Chatbot("support", title="Support", **{keyword: "x"})  # type: ignore[arg-type]

    assert hint in str(raised.value)


def test_positional_arguments_beyond_the_name_are_refused_with_the_keywords() -> None:
    with pytest.raises(TypeError, match=r"only positional argument \(got 2\); give the rest as"):
        caigunn.Chatbot("support", "Support")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"ChatbotArgs\(\) takes keywords only: title, plan"):
        caigunn.ChatbotArgs("Support")  # type: ignore[call-arg]


def test_chatbot_args_stay_a_plain_dataclass() -> None:
    from dataclasses import replace

    args = caigunn.ChatbotArgs(title="Support", plan="Basic", knowledge=[{"text": "Hi"}])

    assert replace(args, title="Help").title == "Help"
    assert args.given()["knowledge"] == [{"text": "Hi"}]
    assert args.given()["webhook"] is None


# --- the checks ----------------------------------------------------------------------------------


def test_a_valid_chatbot_gives_the_stack_file_entrys_spec_at_the_calls_line() -> None:
    specs = checked(
        support={
            "title": "Support",
            "plan": "Basic",
            "prompt": "Be brief.",
            "initial_messages": ("Hi!",),
            "is_shared": True,
            "knowledge": [{"text": "We open at nine."}, {"website": "https://example.com/help"}],
            "model": "gpt-4",
            "webhook": "https://hooks.example.com/caigunn",
            "opentalk": "device-7",
            "checks": [{"ask": "When do you open?", "expect": {"icontains": "nine"}}],
            "import_": CHATBOT_ID.upper(),
            "protect": True,
            "main_color": None,  # None: not given
        }
    )

    spec = specs["support"]
    assert (spec.title, spec.plan, spec.plan_id, spec.import_, spec.protect) == (
        "Support",
        "Basic",
        None,
        CHATBOT_ID,
        True,
    )
    assert spec.settings == {
        "prompt": "Be brief.",
        "initial_messages": ["Hi!"],
        "is_shared": True,
    }
    parts = {kind.name: part for kind, part in spec.parts.items()}
    assert list(parts) == ["knowledge", "webhook", "opentalk", "checks"]
    assert [item.kind for item in parts["knowledge"].items] == ["text", "website"]
    assert parts["knowledge"].model == "gpt-4"
    assert parts["webhook"] == "https://hooks.example.com/caigunn"
    assert parts["checks"].checks[0].ask == "When do you open?"
    assert spec.line == 12 and set(spec.lines.values()) == {12}


def test_problems_name_the_program_line_and_the_path_inside_the_entry() -> None:
    said = problems(
        support={
            "title": "Support",
            "plan": "Basic",
            "knowledge": [{"text": ""}, {"txt": "Hello"}],
            "webhook": "ftp://hooks.example.com",
        }
    )

    assert said == [
        "__main__.py:12: chatbots.support.knowledge[0].text: must not be empty",
        "__main__.py:12: chatbots.support.knowledge[1]: unknown key 'txt' (did you mean 'text'?)",
        "__main__.py:12: chatbots.support.knowledge[1]: missing: an item holds one of text_file, "
        "text, file or website",
        "__main__.py:12: chatbots.support.webhook: must be an https:// URL (got "
        "'ftp://hooks.example.com')",
    ]


def test_problems_speak_of_the_program_and_of_python_values() -> None:
    said = "\n".join(
        problems(
            support={
                "title": True,
                "plan": "Basic",
                "plan_id": PLAN_ID,
                "is_fixed": "yes",
                "knowledge": [
                    {"text_file": "../outside.md"},
                    {"website": "https://a.b", "single_page": None},
                ],
            }
        )
    )

    assert "chatbots.support.title: must be a string (got True)\n" in said
    assert "chatbots.support.plan_id: give either plan_id or plan, not both\n" in said
    assert "chatbots.support.is_fixed: must be True or False (got 'yes')" in said
    assert "must not leave the program's working directory with '..'" in said
    assert "knowledge[1].single_page: must be True or False (got None)" in said
    assert "stack file" not in said and "at line" not in said and "quotes" not in said


def test_a_missing_plan_and_a_bad_name_are_said_as_for_a_stack_file() -> None:
    assert problems(**{"support desk": {"title": "Support"}}) == [
        "__main__.py:12: chatbots: logical name 'support desk' is not valid: use letters, "
        "digits, '_', '.' and '-', starting with a letter or digit",
        "__main__.py:12: chatbots['support desk']: missing plan_id or plan (one is required: a "
        "plan's UUID or name)",
    ]


def test_one_chatbot_id_is_adopted_by_one_entry_across_calls() -> None:
    checker = chatbot_section().checker("")
    check_chatbots(
        checker, {"a": {"title": "A", "plan": "Basic", "import_": CHATBOT_ID}}, "m.py", 3
    )

    with pytest.raises(StackFileError) as raised:
        check_chatbots(
            checker, {"b": {"title": "B", "plan": "Basic", "import_": CHATBOT_ID}}, "m.py", 9
        )

    assert raised.value.problems == [
        f"m.py:9: chatbots.b.import_: chatbot {CHATBOT_ID} is already imported by chatbots.a "
        "(line 3)"
    ]


def test_declare_checks_chatbot_args_and_refuses_anything_else() -> None:
    checker = chatbot_section().checker("")
    args = caigunn.ChatbotArgs(title="Support", plan="Basic", knowledge=[{"text": "Hi"}])

    specs = to_specs({"support": args}, checker, "__main__.py", 4)

    assert specs["support"].part("knowledge") is not None
    with pytest.raises(
        TypeError, match=r"declare\(\) takes \{name: ChatbotArgs\(...\)\}; 'x' is a dict"
    ):
        to_specs({"x": {"title": "X"}}, checker, "__main__.py", 4)  # type: ignore[dict-item]


def test_python_values_take_the_loaders_shapes() -> None:
    shaped = tree(
        {"text_file": Path("docs/a.md"), "items": ("a", 1), "out": pulumi.Output.from_input("x")}, 5
    )

    assert isinstance(shaped, Map)
    by_key = {entry.key: entry.value for entry in shaped.entries}
    assert by_key["text_file"] == "docs/a.md"
    assert isinstance(by_key["items"], Seq) and [i.value for i in by_key["items"].items] == ["a", 1]
    assert by_key["out"] == Opaque("an Output; give a plain value, known before the run")
    nested: list[object] = []
    nested.append(nested)
    assert "nested too deep" in str(tree(nested, 1))


def test_an_output_for_a_title_is_refused_with_why() -> None:
    said = problems(support={"title": pulumi.Output.from_input("Support"), "plan": "Basic"})

    assert said == [
        "__main__.py:12: chatbots.support.title: must be a string (got an Output; give a plain "
        "value, known before the run)"
    ]


def test_program_words_keep_a_line_inside_a_text() -> None:
    assert program_words(
        "p: must not contain U+0007, a control, found at line 2 of the prompt"
    ) == ("p: must not contain U+0007, a control, found at line 2 of the prompt")
    assert program_words("p: give either a or b, not both (a is at line 12)") == (
        "p: give either a or b, not both"
    )


# --- where the program called, and the options --------------------------------------------------


def test_the_caller_is_the_first_frame_outside_the_package() -> None:
    here = caller()
    line = inspect.currentframe().f_lineno - 1  # type: ignore[union-attr]

    assert (Path(here.file).name, here.line) == (Path(__file__).name, line)
    assert str(here) == f"{here.file}:{line}"


def planned(*, protect: bool = False, retain: bool = False) -> Planned:
    return Planned(
        name="support",
        title="Support",
        plan_id=PLAN_ID,
        settings={},
        import_=None,
        recover=None,
        protect=protect,
        retain=retain,
    )


def test_the_programs_options_reach_the_chatbot_and_its_parent_its_parts() -> None:
    component = cast(Any, object())  # a ComponentResource needs the engine; the options do not
    given = pulumi.ResourceOptions(parent=component, ignore_changes=["title"])

    chatbot, parts = program._options(planned(retain=True), given)

    assert (chatbot.parent, chatbot.protect, chatbot.retain_on_delete, chatbot.ignore_changes) == (
        component,
        None,
        True,
        ["title"],
    )
    assert (parts.parent, parts.protect, parts.ignore_changes) == (component, None, None)
    assert given.retain_on_delete is None  # the program's own options are left as they were


@pytest.mark.parametrize(
    ("keyword", "option", "protected"),
    [
        (False, None, None),  # Pulumi's default: the parent's, else unprotected
        (False, False, False),
        (True, None, True),
        (False, True, True),
        (True, False, True),
    ],
)
def test_protect_or_the_options_protect_protects_the_whole_entry(
    keyword: bool, option: bool | None, protected: bool | None
) -> None:
    chatbot, parts = program._options(
        planned(protect=keyword), pulumi.ResourceOptions(protect=option)
    )

    assert (chatbot.protect, parts.protect) == (protected, protected)


def test_the_programs_declare_knows_every_field_an_entry_has() -> None:
    # caigunn.Chatbot makes its resource from a Planned entry as ChatbotKind.declare does, with a
    # program's options (the parts are both's ChatbotKind.declare_parts): a field added to these
    # is to be acted on in both (then added here).
    assert {field.name for field in fields(Planned)} == {
        "name",
        "title",
        "plan_id",
        "settings",
        "import_",
        "recover",
        "protect",
        "notice",
        "parts",
        "retain",
        "expiry",
        "replacing",
        # creates start the program's scan for a stack file's new entries
        # (kinds/chatbot/prescan.py); a program's chatbots, checked one call at a time, leave
        # that scan to the provider, as before.
        "creates",
    }
    # leaving and notes are the whole run's: said by declare(), which sees every entry.
    assert {field.name for field in fields(Prepared)} == {
        "entries",
        "leaving",
        "config",
        "checkpoint",
        "notes",
    }
