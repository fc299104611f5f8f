"""The checks and checks_file keys of a chatbot entry: what a valid entry reads into, and every
rule's problem at its file and line (a checks file's own, under the stack-file line naming it)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from caigunn_provider.errors import StackFileError
from caigunn_provider.kinds import entry_kinds, load_stack_file
from caigunn_provider.kinds.chatbot.preflight import refuse_parts
from caigunn_provider.kinds.checks.kind import KIND
from caigunn_provider.kinds.checks.section import MAX_CHECKS_FILE_BYTES
from caigunn_provider.kinds.checks.spec import ChecksSpec
from caigunn_provider.stackfile.yamltree import parse

from .stackfile_corpus import ROOT, plain

HEAD = "chatbots:\n  support:\n    title: Support Desk\n    plan: Pro\n"
STACK = "stacks/dev.yaml"
AT = "stacks/dev.yaml:{line}: chatbots.support"
FILE = "stacks/checks/support.yaml"
ONE = "      - ask: Hi?\n        expect: {contains: Hello}\n"


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Paths in messages as a project shows them: relative to the project folder.
    monkeypatch.chdir(tmp_path)


def write(files: dict[str, str | bytes]) -> None:
    for relative, content in files.items():
        target = Path("stacks") / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode("utf-8")
        target.write_bytes(content)


def checks_of(body: str, files: dict[str, str | bytes] | None = None) -> ChecksSpec:
    write({"dev.yaml": HEAD + body, **(files or {})})
    checks = load_stack_file(STACK).section("chatbots")["support"].part("checks")
    assert checks is not None
    return checks  # type: ignore[no-any-return]


def problems_of(body: str, files: dict[str, str | bytes] | None = None) -> list[str]:
    with pytest.raises(StackFileError) as caught:
        checks_of(body, files)
    return caught.value.problems


def one_problem(body: str, files: dict[str, str | bytes] | None = None) -> str:
    [problem] = problems_of(body, files)
    return problem


def check(item: str) -> str:
    """An entry whose `checks:` holds one item written at line 6 (its keys indented under it)."""
    return "    checks:\n" + item


# --- a valid entry -------------------------------------------------------------------------------

SUPPORT_FILE = """\
# The returns desk's own checks.
- ask: "Where do I send a return?"
  expect:
    contains_any: ["Returns Dept", "returns desk"]

- ask: Is shipping free?
  expect: {regex: "(?i)\\\\bfree\\\\b", not_regex: "\\\\$\\\\d+"}
"""

BOTH = (
    "    checks:\n"
    '      - ask: "How many days do I have for returns?"\n'
    "        expect:\n"
    '          icontains: "30 days"\n'
    '      - ask: "Do you sell Acme products?"\n'
    "        expect:\n"
    '          not_icontains: "acme"\n'
    "          max_chars: 600\n"
    "        repeat: 3\n"
    "        min_pass: 2\n"
    "    checks_file: checks/support.yaml\n"
)


def test_an_entry_reads_its_checks_then_those_of_its_checks_file(tmp_path: Path) -> None:
    spec = checks_of(BOTH, {"checks/support.yaml": SUPPORT_FILE})
    assert [check.ask for check in spec.checks] == [
        "How many days do I have for returns?",
        "Do you sell Acme products?",
        "Where do I send a return?",
        "Is shipping free?",
    ]
    returns, acme, send, shipping = spec.checks
    assert returns.expect == {"icontains": "30 days"}
    assert (returns.repeat, returns.min_pass) == (1, 1)
    assert acme.expect == {"not_icontains": "acme", "max_chars": 600}
    assert list(acme.expect) == ["not_icontains", "max_chars"]  # the order written
    assert (acme.repeat, acme.min_pass) == (3, 2)
    assert send.expect == {"contains_any": ["Returns Dept", "returns desk"]}
    assert shipping.expect == {"regex": r"(?i)\bfree\b", "not_regex": r"\$\d+"}
    # Where each `- ask:` stands: the checks file by its name as shown, an inline one by its line
    # (the stack file's name does not reach an entry kind's check).
    assert [check.where for check in spec.checks] == [
        "line 6",
        "line 9",
        f"{FILE}:2",
        f"{FILE}:6",
    ]
    assert (spec.line, dict(spec.lines)) == (5, {"checks": 5, "checks_file": 15})
    assert spec.talks == 1 + 3 + 1 + 1
    assert not spec.all_negative
    assert acme.as_props() == {
        "ask": "Do you sell Acme products?",
        "expect": {"not_icontains": "acme", "max_chars": 600},
        "repeat": 3,
        "min_pass": 2,
    }


def test_the_valid_entry_passes_the_json_schema_too() -> None:
    text = HEAD + BOTH
    schema = json.loads((ROOT / "schema" / "stack-file.schema.json").read_text("utf-8"))
    validator = Draft202012Validator(schema)
    assert [error.message for error in validator.iter_errors(plain(parse(text).root))] == []
    wrong = text.replace("icontains:", "icontain:")
    assert list(validator.iter_errors(plain(parse(wrong).root))) != []


def test_an_entry_without_the_keys_has_no_checks() -> None:
    write({"dev.yaml": HEAD})
    assert load_stack_file(STACK).section("chatbots")["support"].part("checks") is None


def test_a_checks_file_alone_is_enough_and_its_line_is_the_entrys() -> None:
    spec = checks_of(
        "    checks_file: ./checks/support.yaml\n", {"checks/support.yaml": SUPPORT_FILE}
    )
    assert len(spec.checks) == 2
    assert (spec.line, dict(spec.lines)) == (5, {"checks_file": 5})


def test_an_empty_checks_list_is_fine_beside_a_checks_file() -> None:
    body = "    checks: []\n    checks_file: checks/support.yaml\n"
    assert len(checks_of(body, {"checks/support.yaml": SUPPORT_FILE}).checks) == 2


def test_the_kind_is_registered_last_and_refused_at_the_seed_level() -> None:
    assert entry_kinds()[-1] is KIND
    assert (KIND.name, KIND.keys, KIND.needs, KIND.takes) == (
        "checks",
        ("checks", "checks_file"),
        ("answer checks",),
        ("prompt", "model_id"),
    )
    write({"dev.yaml": HEAD + check(ONE)})
    chatbots = load_stack_file(STACK).section("chatbots")
    assert refuse_parts(STACK, chatbots) == [
        f"{AT.format(line=5)}.checks: checks needs the current CaiGunn API (its chatbot-level "
        "routes: answer checks), and this one offers only list and create; remove them from "
        "the entry"
    ]


# --- the checks themselves -----------------------------------------------------------------------


# An item whose question is fine; what follows `expect: ` is each case's.
HI = "      - ask: Hi?\n        expect: "
A = "{contains: a}\n"
LIST = "a list of checks such as `- ask: <question>` with its `expect:`"
MAPPING = 'must be a mapping of one or more assertions, such as `icontains: "30 days"`'
NOT_READ = "not a regular expression Python reads"
WHOLE = "must be a whole number"
RULES = [
    (
        "      - expect: {contains: a}\n",
        6,
        "ask",
        "missing: the question to ask the chatbot (required)",
    ),
    (
        "      - ask: 42\n        expect: " + A,
        6,
        "ask",
        "must be a string (got 42); put it in quotes",
    ),
    ("      - ask: '  '\n        expect: " + A, 6, "ask", "must not be blank (got '  ')"),
    (
        '      - ask: "Hi\\u202e?"\n        expect: ' + A,
        6,
        "ask",
        "must not contain U+202E RIGHT-TO-LEFT OVERRIDE, a bidi control character, found at line 1",
    ),
    (
        '      - ask: "a\\x1bb"\n        expect: ' + A,
        6,
        "ask",
        "must not contain U+001B ESCAPE, a control character, found at line 1",
    ),
    (
        "      - ask: Hi?\n",
        6,
        "expect",
        'missing: what the answer must satisfy, such as `icontains: "30 days"`',
    ),
    (HI + "hello\n", 7, "expect", f"{MAPPING} (got 'hello')"),
    (HI + "{}\n", 7, "expect", f"{MAPPING} (got a mapping)"),
    (HI + "{icontain: a}\n", 7, "expect", "unknown key 'icontain' (did you mean 'icontains'?)"),
    (
        HI + "{not_contain: a}\n",
        7,
        "expect",
        "unknown key 'not_contain' (did you mean 'not_contains'?)",
    ),
    (HI + A + "        asks: 2\n", 8, "", "unknown key 'asks' (did you mean 'ask'?)"),
    (HI + "{contains: ''}\n", 7, "expect.contains", "must not be empty"),
    (HI + "{equals: ' '}\n", 7, "expect.equals", "must not be blank (got ' ')"),
    (HI + "{starts_with: [a]}\n", 7, "expect.starts_with", "must be a string (got a list)"),
    (
        HI + "{contains_any: []}\n",
        7,
        "expect.contains_any",
        "must be a non-empty list of strings (got an empty list)",
    ),
    (
        HI + "{icontains_all: a}\n",
        7,
        "expect.icontains_all",
        "must be a non-empty list of strings (got 'a')",
    ),
    (
        HI + "\n          contains_all: [a, ' ']\n",
        8,
        "expect.contains_all[1]",
        "must not be blank (got ' ')",
    ),
    (HI + "{max_chars: 0}\n", 7, "expect.max_chars", f"{WHOLE} of 1 or more (got 0)"),
    (HI + "{max_chars: '600'}\n", 7, "expect.max_chars", f"{WHOLE} of 1 or more (got '600')"),
    (HI + "{max_chars: true}\n", 7, "expect.max_chars", f"{WHOLE} of 1 or more (got true)"),
    (
        HI + "{regex: '(a'}\n",
        7,
        "expect.regex",
        f"{NOT_READ}: missing ), unterminated subpattern at position 0",
    ),
    (
        HI + "{not_regex: '(?<=a+)b'}\n",
        7,
        "expect.not_regex",
        f"{NOT_READ}: look-behind requires fixed-width pattern",
    ),
    (
        HI + "{regex: '(a|aa)+$'}\n",
        7,
        "expect.regex",
        "this pattern takes too long on some answers (nested repetition?)",
    ),
    (HI + A + "        repeat: 0\n", 8, "repeat", f"{WHOLE} from 1 to 10 (got 0)"),
    (HI + A + "        repeat: 11\n", 8, "repeat", f"{WHOLE} from 1 to 10 (got 11)"),
    (HI + A + "        repeat: 2.0\n", 8, "repeat", f"{WHOLE} from 1 to 10 (got 2.0)"),
    (
        HI + A + "        repeat: 3\n        min_pass: 4\n",
        9,
        "min_pass",
        "must be at most the check's repeat, 3 (got 4)",
    ),
    (
        HI + A + "        min_pass: 2\n",
        8,
        "min_pass",
        "must be at most the check's repeat, 1 when not given (got 2); add `repeat:` to ask the "
        "question more than once",
    ),
    (HI + A + "        min_pass: 0\n", 8, "min_pass", f"{WHOLE} from 1 to 10 (got 0)"),
    ("      - Hi?\n", 6, "", "expected a mapping with ask and expect (got 'Hi?')"),
]


@pytest.mark.parametrize(("item", "line", "key", "what"), RULES)
def test_each_rule_of_a_check_is_said_at_its_line(
    item: str, line: int, key: str, what: str
) -> None:
    where = f"checks[0].{key}" if key else "checks[0]"
    assert one_problem(check(item)) == f"{AT.format(line=line)}.{where}: {what}"


def test_a_question_may_have_2000_characters_and_no_more() -> None:
    assert (
        len(
            checks_of(check(f"      - ask: {'a' * 2000}\n        expect: {{contains: a}}\n")).checks
        )
        == 1
    )
    assert one_problem(check(f"      - ask: {'a' * 2001}\n        expect: {{contains: a}}\n")) == (
        f"{AT.format(line=6)}.checks[0].ask: must be at most 2,000 characters (got 2,001)"
    )


def test_a_question_may_span_lines_as_a_prompt_does() -> None:
    spec = checks_of(
        check(
            "      - ask: |\n          Hello,\n          \tanyone?\n        expect: {contains: a}\n"
        )
    )
    assert spec.checks[0].ask == "Hello,\n\tanyone?\n"


def test_an_assertion_written_twice_is_a_duplicate_key() -> None:
    item = "      - ask: Hi?\n        expect:\n          contains: a\n          contains: b\n"
    assert one_problem(check(item)) == (
        f"{AT.format(line=9)}.checks[0].expect.contains: duplicate key (first at line 8)"
    )


def test_every_problem_of_every_check_is_said_in_one_run() -> None:
    items = (
        "      - ask: ''\n        expect: {contains: a}\n"
        "      - ask: Hi?\n        expect: {icontain: a, max_chars: -1}\n        repeat: 20\n"
    )
    assert problems_of(check(items)) == [
        f"{AT.format(line=6)}.checks[0].ask: must not be empty",
        f"{AT.format(line=9)}.checks[1].expect: unknown key 'icontain' (did you mean 'icontains'?)",
        f"{AT.format(line=9)}.checks[1].expect.max_chars: {WHOLE} of 1 or more (got -1)",
        f"{AT.format(line=10)}.checks[1].repeat: {WHOLE} from 1 to 10 (got 20)",
    ]


def test_checks_must_be_a_list() -> None:
    assert one_problem("    checks:\n      ask: Hi?\n") == (
        f"{AT.format(line=6)}.checks: must be {LIST} (got a mapping)"
    )


def test_an_empty_list_without_a_checks_file_is_no_checks() -> None:
    assert one_problem("    checks: []\n") == (
        f"{AT.format(line=5)}.checks: no checks: write {LIST}, or remove the key for an entry "
        "without checks"
    )


def test_an_entry_has_at_most_100_checks_counting_those_of_its_file() -> None:
    inline = "    checks:\n" + ONE * 60
    in_file = "- ask: Hi?\n  expect: {contains: Hello}\n" * 41
    body = inline + "    checks_file: checks/support.yaml\n"
    assert one_problem(body, {"checks/support.yaml": in_file}) == (
        f"{AT.format(line=5)}.checks: 101 checks (60 under checks and 41 in its checks_file); "
        "an entry may have at most 100, each asked whenever its model or prompt changes"
    )
    forty = "- ask: Hi?\n  expect: {contains: Hello}\n" * 40
    assert len(checks_of(body, {"checks/support.yaml": forty}).checks) == 100


def test_a_checks_file_alone_may_hold_100_checks_and_no_more() -> None:
    body = "    checks_file: checks/support.yaml\n"
    item = "- ask: Hi?\n  expect: {contains: Hello}\n"
    assert len(checks_of(body, {"checks/support.yaml": item * 100}).checks) == 100
    assert one_problem(body, {"checks/support.yaml": item * 101}) == (
        f"{AT.format(line=5)}.checks_file: 101 checks (101 in its checks_file); an entry may "
        "have at most 100, each asked whenever its model or prompt changes"
    )


def test_only_negative_checks_are_told_apart() -> None:
    negative = check(
        "      - ask: Do you sell Acme?\n        expect: {not_icontains: acme, max_chars: 600}\n"
        "      - ask: Price?\n        expect: {not_regex: '\\$'}\n"
    )
    assert checks_of(negative).all_negative
    assert not checks_of(negative + ONE).all_negative


# --- the checks file -----------------------------------------------------------------------------

IN_FILE = "    checks_file: checks/support.yaml\n"
AT_FILE = f"{AT.format(line=5)}.checks_file"
# A problem inside the checks file starts with its own file and line, then names the entry's key.
NAMED_BY = " (the chatbots.support.checks_file at stacks/dev.yaml:5)"


def test_a_problem_in_a_checks_file_is_said_at_its_own_file_and_line() -> None:
    text = "# Support's checks\n- ask: Hi?\n  expect:\n    icontain: hello\n"
    assert one_problem(IN_FILE, {"checks/support.yaml": text}) == (
        f"{FILE}:4: checks[0].expect: unknown key 'icontain' (did you mean 'icontains'?) "
        f"(the chatbots.support.checks_file at stacks/dev.yaml:5)"
    )


NONE = f"no checks: {FILE} holds none; write {LIST}"
BIDI = "U+202E RIGHT-TO-LEFT OVERRIDE, a bidi control character"
FILE_PROBLEMS = [
    ("", NONE),
    ("# nothing yet\n", NONE),
    ("[]\n", NONE),
    (
        "checks:\n  - ask: Hi?\n",
        f"{FILE}:1: checks: the file must hold {LIST}, as under an entry's `checks:` (got a "
        "mapping)",
    ),
    (
        "- ask: Hi?\n  expect: {contains: 'a}\n",
        f"{FILE}:2: invalid YAML: this value opens a quote (') that is not closed on its line; "
        "add the closing ' at the value's end",
    ),
    (
        "- ask: &q Hi?\n  expect: {contains: *q}\n",
        f"{FILE}:2: checks[0].expect.contains: an alias (*q) is not supported in a stack file; "
        "write the value out where it is used",
    ),
    (
        "- ask: Hi?\n  expect: {contains: a}  # \u202e\n",
        f"{FILE}:2: column 28: the file holds {BIDI}, outside any value (in a comment?): it can "
        "make the file read differently in review than it runs",
    ),
]


@pytest.mark.parametrize(("text", "what"), FILE_PROBLEMS)
def test_a_checks_file_with_no_checks_or_bad_yaml_is_said(text: str, what: str) -> None:
    problem = one_problem(IN_FILE, {"checks/support.yaml": text})
    expected = what + NAMED_BY if what.startswith(f"{FILE}:") else f"{AT_FILE}: {what}"
    assert problem == expected


def test_a_checks_file_that_is_not_utf8_is_said_at_its_line() -> None:
    problem = one_problem(IN_FILE, {"checks/support.yaml": b"- ask: Hi?\n- ask: caf\xe9\n"})
    assert problem == (
        f"{FILE}:2: the file is not UTF-8 text (invalid continuation byte) "
        f"(the chatbots.support.checks_file at stacks/dev.yaml:5)"
    )


RELATIVE = "must be a path relative to the stack file's folder, with '/'"
PATHS = [
    ("/etc/checks.yaml", f"{RELATIVE} (got '/etc/checks.yaml')"),
    ("../checks.yaml", "must not leave the stack file's folder with '..' (got '../checks.yaml')"),
    ("checks\\support.yaml", f"{RELATIVE} (got 'checks\\\\support.yaml')"),
    ("checks/missing.yaml", "no such file: stacks/checks/missing.yaml"),
    ("checks", "not a regular file: stacks/checks"),
    ("''", "must not be empty"),
    ("3", "must be a string (got 3); put it in quotes"),
]


@pytest.mark.parametrize(("path", "what"), PATHS)
def test_a_checks_file_follows_the_path_rules_of_a_text_file(path: str, what: str) -> None:
    write({"checks/support.yaml": SUPPORT_FILE})
    assert one_problem(f"    checks_file: {path}\n") == f"{AT_FILE}: {what}"


def test_a_checks_file_may_not_lead_outside_the_folder_through_a_link(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text(SUPPORT_FILE)
    write({"dev.yaml": HEAD + IN_FILE})
    os.makedirs("stacks/checks")
    os.symlink(outside, "stacks/checks/support.yaml")
    with pytest.raises(StackFileError) as caught:
        load_stack_file(STACK)
    assert caught.value.problems == [
        f"{AT_FILE}: {FILE} leads outside the stack file's folder (a symbolic link?)"
    ]


def test_a_checks_file_may_hold_at_most_1_mib() -> None:
    big = SUPPORT_FILE + "#" * (MAX_CHECKS_FILE_BYTES - len(SUPPORT_FILE)) + "\n"
    assert one_problem(IN_FILE, {"checks/support.yaml": big}) == (
        f"{AT_FILE}: {FILE} is too big: a checks file may be at most 1,048,576 bytes (1 MiB)"
    )


def test_entries_may_share_a_checks_file_whose_problems_are_said_once() -> None:
    second = "  desk:\n    title: Desk\n    plan: Pro\n" + IN_FILE
    write({"dev.yaml": HEAD + IN_FILE + second, "checks/support.yaml": SUPPORT_FILE})
    chatbots = load_stack_file(STACK).section("chatbots")
    support, desk = chatbots["support"].part("checks"), chatbots["desk"].part("checks")
    assert (support.checks, support.line, desk.line) == (desk.checks, 5, 9)
    write({"checks/support.yaml": "- ask: Hi?\n  expect: {icontain: a}\n"})
    with pytest.raises(StackFileError) as caught:
        load_stack_file(STACK)
    assert caught.value.problems == [
        f"{FILE}:2: checks[0].expect: unknown key 'icontain' (did you mean 'icontains'?){NAMED_BY}"
    ]


def test_a_comment_or_a_blank_line_in_the_checks_file_leaves_the_digest_alone() -> None:
    before = checks_of(IN_FILE, {"checks/support.yaml": SUPPORT_FILE})
    commented = "# Reviewed by the returns desk.\n\n" + SUPPORT_FILE.replace("\n\n", "\n\n\n")
    after = checks_of(IN_FILE, {"checks/support.yaml": commented})
    assert [check.where for check in before.checks] != [check.where for check in after.checks]
    assert after.digest == before.digest
    edited = checks_of(IN_FILE, {"checks/support.yaml": SUPPORT_FILE.replace("free", "gratis")})
    assert edited.digest != before.digest


def test_a_checks_files_problems_come_with_the_entrys_own() -> None:
    body = "    checks:\n      - ask: ''\n        expect: {contains: a}\n" + IN_FILE
    assert problems_of(body, {"checks/support.yaml": "- ask: Hi?\n  repeat: 2\n"}) == [
        f"{AT.format(line=6)}.checks[0].ask: must not be empty",
        f"{FILE}:1: checks[0].expect: missing: what the answer "
        'must satisfy, such as `icontains: "30 days"` '
        "(the chatbots.support.checks_file at stacks/dev.yaml:8)",
    ]
