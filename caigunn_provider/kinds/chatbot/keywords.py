"""A Python program's chatbot keywords, checked by the stack file's own rules.

caigunn.Chatbot(...) and caigunn.ChatbotArgs(...) take the keys of a stack-file entry as keywords
(`import` is `import_`), with the values a stack file holds (strings, lists, dicts). Rather than a
second set of rules, the values are given the shape the YAML loader gives a file (a Map of
Entries, each at the line of the program's call) and checked by the `chatbots:` section's own
checker, with every kind inside the entry (knowledge, webhook...): a problem reads as in a stack
file, `__main__.py:12: chatbots.support.knowledge[0].text: must not be empty`.

Runs in the program process, without Pulumi (the section's side of every kind loads without it).
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable, Mapping, Sequence

from caigunn_provider.errors import StackFileError
from caigunn_provider.kinds.chatbot.section import ChatbotSection
from caigunn_provider.kinds.chatbot.spec import ChatbotSpec
from caigunn_provider.stackfile.checks import keyed
from caigunn_provider.stackfile.problems import Problems
from caigunn_provider.stackfile.rules import MAX_DEPTH
from caigunn_provider.stackfile.section import CheckEntry
from caigunn_provider.stackfile.yamltree import Entry, Item, Map, Opaque, Seq

__all__ = ["check_chatbots", "keywords", "program_words", "tree", "unexpected"]

# The keywords that name a stack-file key differently: `import` is a Python keyword.
_KEY_OF = {"import_": "import"}
_KEYWORD_OF = {key: keyword for keyword, key in _KEY_OF.items()}
# The first and last keywords, as the docs list them; each kind's keys stand between.
_FIRST = ("title", "plan", "plan_id")
_LAST = ("import_", "protect")
# A mention of another key's line, which a program's call (one line for every key) cannot give.
_SAME_CALL_LINE = re.compile(r" \((?:first|[\w/]+ is) at line \d+\)")
# The stack file's words that a program says otherwise: its relative paths start at its working
# directory, and its values are Python's.
_WORDS = (
    ("the stack file's folder", "the program's working directory"),
    ("must be true or false", "must be True or False"),
    ("(got true)", "(got True)"),
    ("(got false)", "(got False)"),
    ("(got null)", "(got None)"),
    # A YAML scalar's fix; Python's values have their types already.
    ("; put it in quotes", ""),
    # `import` is a Python keyword: a program writes import_.
    (".import: ", ".import_: "),
    ("`import: <id>`", "`import_=<id>`"),
    ("`import:`", "`import_=`"),
)


def keywords(section: ChatbotSection) -> tuple[str, ...]:
    """A chatbot's keywords in a program: every key a stack-file entry may hold (the entry kinds'
    too, so that a new kind's keys are keywords at once), with Python's spelling."""
    middle = [_KEYWORD_OF.get(key, key) for key in section.keys]
    return (*_FIRST, *(key for key in middle if key not in (*_FIRST, *_LAST)), *_LAST)


def unexpected(callee: str, given: Iterable[str], known: Sequence[str]) -> TypeError | None:
    """The TypeError for a keyword callee does not take, naming every keyword it does (and the
    closest): Python's own says only which one is wrong. Returned for callee to raise, so that
    the traceback ends at the call."""
    for keyword in given:
        if keyword not in known:
            return TypeError(
                f"{callee}() got an unexpected keyword argument {keyword!r}; it takes: "
                f"{', '.join(known)}{_hint(keyword, known)}"
            )
    return None


def _hint(keyword: str, known: Sequence[str]) -> str:
    if keyword == "settings":
        return "; each setting is a keyword of its own (prompt=..., main_color=...)"
    spelled = _KEYWORD_OF.get(keyword, "")
    close = [spelled] if spelled in known else []
    close = close or difflib.get_close_matches(keyword[:100], known, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def check_chatbots(
    checker: CheckEntry, chatbots: Mapping[str, Mapping[str, object]], file: str, line: int
) -> dict[str, ChatbotSpec]:
    """Each chatbot's keywords ({name: {keyword: value}}, None for not given) checked as a
    stack-file entry at file:line; StackFileError lists every problem, in the program's words.

    checker is the section's, one per program run, so that two chatbots cannot adopt one id.
    """
    problems = Problems()
    # The names' own rules (a valid logical name, a string), as for a stack file's section.
    keyed(
        Map([Entry(name, line, None, line) for name in chatbots], line), "chatbots", None, problems
    )
    specs: dict[str, ChatbotSpec] = {}
    for name, given in chatbots.items():
        if isinstance(name, str):
            spec = checker(name, _entry(name, given, line), problems)
            if spec is not None:
                specs[name] = spec
    if problems:
        raise StackFileError([program_words(text) for text in _render(problems, file, line)])
    return specs


def _entry(name: str, given: Mapping[str, object], line: int) -> Entry:
    """The chatbot as the loader reads a stack file's entry: each given keyword a key."""
    fields = [
        Entry(_KEY_OF.get(keyword, keyword), line, tree(value, line), line)
        for keyword, value in given.items()
        if value is not None
    ]
    return Entry(name, line, Map(fields, line), line)


def tree(value: object, line: int, depth: int = 0) -> object:
    """A Python value in the shape the YAML loader gives the same value (yamltree): dicts as
    Maps, lists and tuples as Seqs, a path as its text; anything a stack file cannot hold as an
    Opaque that the checks name in their message."""
    if depth >= MAX_DEPTH:
        return Opaque("a value nested too deep")
    if value is None:
        return Opaque("None")  # a stack file's null; not given at all is the way to leave it out
    if isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, Mapping):
        return Map(
            [Entry(key, line, tree(item, line, depth + 1), line) for key, item in value.items()],
            line,
        )
    if isinstance(value, list | tuple):
        return Seq([Item(tree(item, line, depth + 1), line) for item in value], line)
    return Opaque(_described(value))


def _described(value: object) -> str:
    kind = type(value)
    if kind.__name__ == "Output" and kind.__module__.startswith("pulumi"):
        # The checks, the plan names and recovery happen before anything is declared.
        return "an Output; give a plain value, known before the run"
    return f"a {kind.__name__}"


def _render(problems: Problems, file: str, line: int) -> list[str]:
    """`file:line: path: what`, or `file: path: what` when the line is not known."""
    rendered = problems.render(file)
    return rendered if line else [text.replace(f"{file}:0: ", f"{file}: ", 1) for text in rendered]


def program_words(text: str) -> str:
    """A stack-file problem as a program's: no line of another key (every keyword is on the
    call's line), paths relative to the working directory, Python's True, False and None, and
    import_ for `import`."""
    text = _SAME_CALL_LINE.sub("", text)
    for stack_file, program in _WORDS:
        text = text.replace(stack_file, program)
    return text
