"""Stack-file loading: valid files, and every bad input reported as file:line: path: what."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from caigunn_provider.errors import CaiGunnError, StackFileError
from caigunn_provider.stackfile import ChatbotSpec, StackFile, load_stack_file

PLAN = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
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


def problems(path: str) -> list[str]:
    with pytest.raises(StackFileError) as caught:
        load_stack_file(path)
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


def bot(
    title: str = "Support Desk",
    plan_id: str = PLAN,
    *,
    import_id: str | None = None,
    protect: str | None = None,
    **more: str,
) -> str:
    """One chatbot entry in YAML flow style; the values are YAML source text."""
    fields = {"title": title, "plan_id": plan_id, "import": import_id, "protect": protect, **more}
    return "{" + ", ".join(f"{k}: {v}" for k, v in fields.items() if v is not None) + "}"


# --- valid files ---------------------------------------------------------------------------------


def test_a_valid_file_loads_every_chatbot_in_file_order(write: Write) -> None:
    path = write(f"""
        # the production chatbots
        chatbots:
          support:
            title: Support Desk
            plan_id: {PLAN.upper()}
          sales.v2:
            title: "Sales: Assistant"
            plan_id: {PLAN}
            import: 65f1a2b3c4d5e6f7a8b9c0d1
            protect: true
        """)
    assert load_stack_file(path) == StackFile(
        path=FILE,
        chatbots={
            "support": ChatbotSpec(
                name="support",
                title="Support Desk",
                plan_id=PLAN,
                import_id=None,
                protect=False,
                line=3,
            ),
            "sales.v2": ChatbotSpec(
                name="sales.v2",
                title="Sales: Assistant",
                plan_id=PLAN,
                import_id="65f1a2b3c4d5e6f7a8b9c0d1",
                protect=True,
                line=6,
            ),
        },
    )


def test_an_empty_chatbots_mapping_is_a_valid_stack_with_no_chatbots(write: Write) -> None:
    assert load_stack_file(write("chatbots: {}\n")) == StackFile(path=FILE, chatbots={})


def test_the_path_is_reported_as_given_when_absolute(tmp_path: Path) -> None:
    path = tmp_path / "prod.yaml"
    path.write_text("chatbots: []\n")
    assert problems(str(path)) == [
        f"{path}:1: chatbots: expected a mapping from logical name to chatbot (got a list)"
    ]


def test_a_title_of_exactly_255_characters_is_accepted(write: Write) -> None:
    path = write(f"chatbots:\n  a: {bot(title='x' * 255)}\n")
    assert load_stack_file(path).chatbots["a"].title == "x" * 255


def test_protect_false_and_a_quoted_numeric_import_id_are_accepted(write: Write) -> None:
    entry = bot(protect="false", import_id="'42'")
    spec = load_stack_file(write(f"chatbots:\n  a: {entry}\n"))
    assert (spec.chatbots["a"].protect, spec.chatbots["a"].import_id) == (False, "42")


# --- the file itself -----------------------------------------------------------------------------


def test_a_missing_file_is_reported_by_its_path(write: Write) -> None:
    assert problems("stacks/prod.yaml") == ["stacks/prod.yaml: file not found"]


def test_a_stack_file_error_is_a_value_error_and_a_caigunn_error(write: Write) -> None:
    with pytest.raises(StackFileError) as caught:
        load_stack_file("stacks/prod.yaml")
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, CaiGunnError)


def test_an_empty_file_is_reported_as_missing_chatbots(write: Write) -> None:
    assert problems(write("")) == [
        f"{FILE}:1: chatbots: missing; the file is empty (write `chatbots: {{}}` for none)"
    ]


def test_a_file_of_only_comments_counts_as_empty(write: Write) -> None:
    assert problems(write("# nothing yet\n")) == [
        f"{FILE}:1: chatbots: missing; the file is empty (write `chatbots: {{}}` for none)"
    ]


def test_a_yaml_syntax_error_is_reported_with_its_line(write: Write) -> None:
    path = write(f"""
        chatbots:
          support:
            title: Support
          plan_id: {PLAN}
            protect: true
        """)
    assert problems(path) == [f"{FILE}:5: invalid YAML: mapping values are not allowed here"]


def test_an_unclosed_quote_names_where_the_string_began(write: Write) -> None:
    path = write('chatbots:\n  a:\n    title: "Support\n')
    assert problems(path) == [
        f"{FILE}:4: invalid YAML: found unexpected end of stream "
        "(while scanning a quoted scalar at line 3)"
    ]


def test_a_second_yaml_document_is_an_error(write: Write) -> None:
    assert problems(write("chatbots: {}\n---\nchatbots: {}\n")) == [
        f"{FILE}:2: invalid YAML: expected a single document in the stream, "
        "but found another document"
    ]


def test_a_file_that_is_not_utf8_is_reported(write: Write) -> None:
    Path(write("")).write_bytes(b"chatbots:\n  a:\n    title: caf\xe9\n")
    assert problems(FILE) == [f"{FILE}:3: the file is not UTF-8 text (invalid continuation byte)"]


# --- structure -----------------------------------------------------------------------------------


def test_a_top_level_that_is_not_a_mapping_is_an_error(write: Write) -> None:
    assert problems(write("- support\n- sales\n")) == [
        f"{FILE}:1: (top level): expected a mapping with a 'chatbots' key (got a list)"
    ]


def test_a_file_without_chatbots_key_says_it_is_missing(write: Write) -> None:
    assert problems(write("# dev\nbots: {}\n")) == [
        f"{FILE}:2: (top level): unknown key 'bots' (did you mean 'chatbots'?)",
        f"{FILE}:2: chatbots: missing (write `chatbots: {{}}` for none)",
    ]


@pytest.mark.parametrize(
    ("value", "shown"),
    [("[support]", "a list"), ("", "null"), ("support", "'support'"), ("3", "3")],
)
def test_chatbots_that_is_not_a_mapping_is_an_error(write: Write, value: str, shown: str) -> None:
    assert problems(write(f"chatbots: {value}\n")) == [
        f"{FILE}:1: chatbots: expected a mapping from logical name to chatbot (got {shown})"
    ]


def test_a_chatbot_entry_that_is_not_a_mapping_is_an_error(write: Write) -> None:
    path = write("chatbots:\n  support: Support Desk\n  sales:\n")
    assert problems(path) == [
        f"{FILE}:2: chatbots.support: expected a mapping with title and plan_id "
        "(got 'Support Desk')",
        f"{FILE}:3: chatbots.sales: expected a mapping with title and plan_id (got null)",
    ]


def test_an_unknown_top_level_key_is_an_error_even_beside_chatbots(write: Write) -> None:
    assert problems(write("chatbots: {}\nregion: eu\n")) == [
        f"{FILE}:2: (top level): unknown key 'region' (known keys: chatbots)"
    ]


# --- duplicate keys ------------------------------------------------------------------------------


def test_a_duplicate_top_level_key_is_an_error(write: Write) -> None:
    path = write(f"chatbots:\n  a: {bot()}\nchatbots: {{}}\n")
    assert problems(path) == [f"{FILE}:3: chatbots: duplicate key (first at line 1)"]


def test_a_duplicate_logical_name_is_an_error(write: Write) -> None:
    path = write(f"chatbots:\n  support: {bot()}\n  sales: {bot()}\n  support: {bot()}\n")
    assert problems(path) == [
        f"{FILE}:4: chatbots.support: duplicate logical name (first at line 2)"
    ]


def test_a_duplicate_chatbot_is_checked_too(write: Write) -> None:
    path = write(f"chatbots:\n  support: {bot()}\n  support:\n    title: x\n    plan_id: nope\n")
    assert problems(path) == [
        f"{FILE}:3: chatbots.support: duplicate logical name (first at line 2)",
        f"{FILE}:5: chatbots.support.plan_id: not a UUID (got 'nope')",
    ]


def test_a_duplicate_key_inside_a_chatbot_is_an_error(write: Write) -> None:
    path = write(f"""
        chatbots:
          support:
            title: Support
            plan_id: {PLAN}
            title: Helpdesk
        """)
    assert problems(path) == [f"{FILE}:5: chatbots.support.title: duplicate key (first at line 3)"]


# --- titles --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "what"),
    [
        ('""', "must not be empty"),
        ("'   '", "must not be blank (got '   ')"),
        ("42", "must be a string (got 42); put it in quotes"),
        ("yes", "must be a string (got true); put it in quotes"),
        ("~", "must be a string (got null)"),
        ("[a, b]", "must be a string (got a list)"),
        ("x" * 256, "must be at most 255 characters (got 256)"),
    ],
)
def test_a_bad_title_is_reported_with_what_was_found(write: Write, title: str, what: str) -> None:
    path = write(f"chatbots:\n  support:\n    plan_id: {PLAN}\n    title: {title}\n")
    assert problems(path) == [f"{FILE}:4: chatbots.support.title: {what}"]


def test_a_missing_title_and_plan_id_are_reported_at_the_chatbot(write: Write) -> None:
    path = write("chatbots:\n  support:\n    protect: true\n")
    assert problems(path) == [
        f"{FILE}:2: chatbots.support.title: missing (required)",
        f"{FILE}:2: chatbots.support.plan_id: missing (required)",
    ]


# --- plan ids ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plan_id", "shown"),
    [
        ("abc", "'abc'"),
        ("3fa85f6457174562b3fc2c963f66afa6", "'3fa85f6457174562b3fc2c963f66afa6'"),
        (f"'{{{PLAN}}}'", f"'{{{PLAN}}}'"),
        (f"urn:uuid:{PLAN}", f"'urn:uuid:{PLAN}'"),
        (f"{PLAN}0", f"'{PLAN}0'"),
        ("12345", "12345"),
        ("2024-01-01", "2024-01-01"),
    ],
)
def test_a_plan_id_that_is_not_a_canonical_uuid_is_an_error(
    write: Write, plan_id: str, shown: str
) -> None:
    path = write(f"chatbots:\n  support:\n    title: Support\n    plan_id: {plan_id}\n")
    assert problems(path) == [f"{FILE}:4: chatbots.support.plan_id: not a UUID (got {shown})"]


def test_an_upper_case_plan_id_is_normalised_to_lower_case(write: Write) -> None:
    path = write(f"chatbots:\n  a: {bot(plan_id=PLAN.upper())}\n")
    assert load_stack_file(path).chatbots["a"].plan_id == PLAN


# --- unknown keys and logical names --------------------------------------------------------------


def test_an_unknown_chatbot_key_suggests_the_closest_known_key(write: Write) -> None:
    path = write(f"""
        chatbots:
          support:
            title: Support
            plan-id: {PLAN}
        """)
    assert problems(path) == [
        f"{FILE}:2: chatbots.support.plan_id: missing (required)",
        f"{FILE}:4: chatbots.support: unknown key 'plan-id' (did you mean 'plan_id'?)",
    ]


def test_an_unknown_chatbot_key_with_no_close_match_lists_the_known_keys(write: Write) -> None:
    path = write(f"chatbots:\n  a: {bot(color='blue')}\n")
    assert problems(path) == [
        f"{FILE}:2: chatbots.a: unknown key 'color' (known keys: title, plan_id, import, protect)"
    ]


@pytest.mark.parametrize("name", ["my bot", "support/desk", "a:b", "'caf\u00e9'"])
def test_a_logical_name_outside_letters_digits_dot_dash_underscore_is_an_error(
    write: Write, name: str
) -> None:
    assert problems(write(f"chatbots:\n  {name}: {bot()}\n")) == [
        f"{FILE}:2: chatbots: logical name {name.strip(chr(39))!r} is not valid: "
        "use only letters, digits, '_', '.' and '-'"
    ]


def test_an_empty_logical_name_is_an_error(write: Write) -> None:
    assert problems(write(f"chatbots:\n  '': {bot()}\n")) == [
        f"{FILE}:2: chatbots: logical name must not be empty"
    ]


def test_a_logical_name_that_yaml_reads_as_a_number_is_an_error(write: Write) -> None:
    assert problems(write(f"chatbots:\n  123: {bot()}\n")) == [
        f"{FILE}:2: chatbots: logical name must be a string (got 123)"
    ]


# --- import and protect --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("''", "(got '')"),
        ("' '", "(got ' ')"),
        ("42", "(got 42); put it in quotes"),
        ("~", "(got null)"),
    ],
)
def test_an_import_that_is_not_a_non_empty_string_is_an_error(
    write: Write, value: str, found: str
) -> None:
    path = write(f"chatbots:\n  a:\n    title: A\n    plan_id: {PLAN}\n    import: {value}\n")
    assert problems(path) == [
        f"{FILE}:5: chatbots.a.import: must be the id of an existing chatbot, a non-empty "
        f"string {found}"
    ]


def test_one_chatbot_imported_twice_is_an_error_at_the_second_import(write: Write) -> None:
    path = write(f"""
        chatbots:
          a: {bot(import_id="bot-1")}
          b:
            title: B
            plan_id: {PLAN}
            import: bot-1
        """)
    assert problems(path) == [
        f"{FILE}:6: chatbots.b.import: chatbot 'bot-1' is already imported by chatbots.a"
    ]


@pytest.mark.parametrize(("value", "shown"), [("'true'", "'true'"), ("1", "1"), ("~", "null")])
def test_protect_that_is_not_a_boolean_is_an_error(write: Write, value: str, shown: str) -> None:
    path = write(f"chatbots:\n  a:\n    title: A\n    plan_id: {PLAN}\n    protect: {value}\n")
    assert problems(path) == [f"{FILE}:5: chatbots.a.protect: must be true or false (got {shown})"]


# --- many problems at once -----------------------------------------------------------------------


def test_every_problem_in_the_file_is_reported_in_one_run_in_line_order(write: Write) -> None:
    path = write("""
        chatbots:
          support:
            title: ""
            plan_id: abc
            protect: "yes"
          sales:
            title: Sales
            plan_id: 3fa85f64-5717-4562-b3fc-2c963f66afa6
            plan-id: x
          bad name:
            title: 7
          support:
            title: again
        settings: {}
        """)
    assert problems(path) == [
        "stacks/dev.yaml:3: chatbots.support.title: must not be empty",
        "stacks/dev.yaml:4: chatbots.support.plan_id: not a UUID (got 'abc')",
        "stacks/dev.yaml:5: chatbots.support.protect: must be true or false (got 'yes')",
        "stacks/dev.yaml:9: chatbots.sales: unknown key 'plan-id' (did you mean 'plan_id'?)",
        "stacks/dev.yaml:10: chatbots: logical name 'bad name' is not valid: use only letters, "
        "digits, '_', '.' and '-'",
        "stacks/dev.yaml:10: chatbots.bad name.plan_id: missing (required)",
        "stacks/dev.yaml:11: chatbots.bad name.title: must be a string (got 7); put it in quotes",
        "stacks/dev.yaml:12: chatbots.support: duplicate logical name (first at line 2)",
        "stacks/dev.yaml:12: chatbots.support.plan_id: missing (required)",
        "stacks/dev.yaml:14: (top level): unknown key 'settings' (known keys: chatbots)",
    ]
