"""PyYAML's syntax errors in plain words, at the line the user most likely got wrong, with a caret.

PyYAML reports where its parser gave up, which is often the line after the mistake: a key
indented too little is only noticed at the next key. Each rule below reads the lines around that
place to name the likely mistake and the line it is on; an error no rule knows keeps PyYAML's
words, still shown with its line and a caret.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from caigunn_provider.stackfile.problems import show

__all__ = ["Explained", "excerpt", "explain"]

# The longest part of a line shown; a longer line is cut around the caret.
_SHOWN = 100
# A key on a line: an optional list dash, then text, then `:` before a space or the line's end.
_KEY = re.compile(r"^(?P<indent> *)(?:- +)?(?P<key>[^\s#:][^#]*?):(?:\s|$)")
# The longest key or value quoted from the file in a message.
_WORDS = 60
_BREAKS = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")


@dataclass(frozen=True)
class Explained:
    """What went wrong, in plain words, and where: a 0-based line and column of the text."""

    line: int
    column: int
    what: str


def explain(text: str, exc: yaml.MarkedYAMLError) -> Explained | None:
    """The likely mistake behind a PyYAML error, or None when no rule knows it."""
    mark = exc.problem_mark
    if mark is None:
        return None
    lines = _BREAKS.split(text)
    if not 0 <= mark.line < len(lines):
        return None
    problem, context = exc.problem or "", exc.context or ""
    if problem == "but found another document":
        return Explained(
            mark.line,
            mark.column,
            "a second YAML document starts here; a stack file is one document, so remove this "
            "`---` (and merge what follows into the first)",
        )
    if problem.startswith("found character '\\t'"):
        return _tab(lines, mark.line, mark.column)
    quote = _unclosed_quote(text, exc)
    if quote is not None:
        return quote
    if problem == "could not find expected ':'" and exc.context_mark is not None:
        return _no_colon(lines, exc.context_mark.line)
    if problem == "mapping values are not allowed here":
        return _colon_not_allowed(lines, mark.line, mark.column)
    if problem.startswith("expected <block end>, but found "):
        found = problem.removeprefix("expected <block end>, but found ")
        return _block_end(lines, exc, found)
    if context.startswith("while parsing a flow ") and "'<stream end>'" in problem:
        opened = exc.context_mark
        if opened is not None:
            bracket = "{" if "mapping" in context else "["
            closing = "}" if bracket == "{" else "]"
            return Explained(
                opened.line,
                opened.column,
                f"this `{bracket}` is never closed; end the value with `{closing}`",
            )
    return None


def excerpt(text: str, line: int, column: int) -> list[str]:
    """The line as `   4 | text` and a caret under column; printable, and cut when long."""
    lines = _BREAKS.split(text)
    shown = lines[line].rstrip() if 0 <= line < len(lines) else ""
    start = 0
    if len(shown) > _SHOWN:
        start = max(0, min(column - _SHOWN // 2, len(shown) - _SHOWN))
        end = start + _SHOWN
        tail = "..." if end < len(shown) else ""
        shown = ("..." if start else "") + shown[start:end] + tail
        column = column - start + (3 if start else 0)
    number = str(line + 1)
    gutter = " " * max(5 - len(number), 1)
    return [
        f"{gutter}{number} | {_printable(shown)}",
        f"{' ' * (len(gutter) + len(number))} | {' ' * max(column, 0)}^",
    ]


def _printable(line: str) -> str:
    # One character for one, so the caret stays under its column; a tab is shown as an arrow.
    return "".join(
        "\u2192" if char == "\t" else char if char.isprintable() else "?" for char in line
    )


def _tab(lines: list[str], line: int, column: int) -> Explained:
    if not lines[line][:column].strip():
        return Explained(
            line,
            column,
            "a tab is used to indent this line (shown as \u2192); YAML indents with spaces "
            "only, so replace it with spaces",
        )
    return Explained(
        line,
        column,
        "a tab here (shown as \u2192), where YAML needs a space; replace it with a space",
    )


def _unclosed_quote(text: str, exc: yaml.MarkedYAMLError) -> Explained | None:
    """A quoted value that runs on past its line: its quote was never closed there."""
    if exc.problem == "found unexpected end of stream" and exc.context == (
        "while scanning a quoted scalar"
    ):
        opened = exc.context_mark
        if opened is None:
            return None
        return Explained(opened.line, opened.column, _quote_words(text[opened.index]))
    if not isinstance(exc, yaml.parser.ParserError) or exc.problem_mark is None:
        return None
    # A stack file's values stand on one line, so a quoted one that spans lines before the error
    # is the likely cause: its quote was closed only by the next quote in the file.
    spanning = None
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if token.start_mark.index >= exc.problem_mark.index:
                break
            if (
                isinstance(token, yaml.ScalarToken)
                and token.style in ("'", '"')
                and token.start_mark.line != token.end_mark.line
            ):
                spanning = token
    except yaml.YAMLError:
        pass
    if spanning is None:
        return None
    quote = text[spanning.start_mark.index]
    return Explained(
        spanning.start_mark.line,
        spanning.start_mark.column,
        f"{_quote_words(quote)} (YAML read on to the next {quote} on line "
        f"{spanning.end_mark.line + 1})",
    )


def _quote_words(quote: str) -> str:
    return (
        f"this value opens a quote ({quote}) that is not closed on its line; add the closing "
        f"{quote} at the value's end"
    )


def _no_colon(lines: list[str], line: int) -> Explained:
    """A line with words but no `key:`: a missing colon, or a list item missing its dash."""
    text = lines[line]
    indent = _indent(text)
    above = _previous(lines, line)
    if above is not None and _indent(lines[above]) == indent and _is_item(lines[above]):
        return Explained(
            line,
            indent,
            f"this line is neither a list item nor a key, among the list items above (line "
            f"{above + 1}); start it with `- `",
        )
    return _missing_colon(lines, line)


def _missing_colon(lines: list[str], line: int) -> Explained:
    text = lines[line]
    indent = _indent(text)
    words = text[indent:].split("#", 1)[0].rstrip()
    key, _, rest = words.partition(" ")
    fixed = f"{key}: {rest.strip()}" if rest.strip() else f"{key}:"
    return Explained(
        line,
        indent + len(key),
        f"a colon is missing after the key {_code(key)}; write {_code(fixed)}",
    )


def _colon_not_allowed(lines: list[str], line: int, column: int) -> Explained:
    """`: ` where no key may start: the line above lacks its colon, or this line is indented
    more than the key above it, or a value holds `: `."""
    text = lines[line]
    above = _previous(lines, line)
    if _KEY.match(text[:column]):
        return Explained(
            line,
            column,
            "this value holds `: `, which YAML reads as the start of another key; put the "
            "value in quotes",
        )
    if above is not None and not _KEY.match(lines[above]) and not _is_item(lines[above]):
        return _missing_colon(lines, above)
    indent = _indent(text)
    key_above = _KEY.match(lines[above]) if above is not None else None
    if above is not None and key_above is not None and indent > _indent(lines[above]):
        before = _previous(lines, above)
        if (
            before is not None
            and _indent(lines[before]) == indent
            and _indent(lines[above]) < indent
            and _KEY.match(lines[before])
        ):
            # The line above is the odd one out: its neighbours on both sides agree.
            return Explained(
                above,
                _indent(lines[above]),
                f"this key is indented less than the keys around it (lines {before + 1} and "
                f"{line + 1}); indent it as much as {_code(_key(lines[before]))}",
            )
        return Explained(
            line,
            indent,
            f"this line is indented more than the key above it ({_code(key_above['key'])}, line "
            f"{above + 1}), which already has a value; indent it as much as "
            f"{_code(key_above['key'])}",
        )
    return Explained(
        line,
        column,
        "a `:` that YAML cannot read here; if it belongs to a value, put the value in quotes",
    )


def _block_end(lines: list[str], exc: yaml.MarkedYAMLError, found: str) -> Explained | None:
    """Something other than the next key or item at a block's indentation."""
    mark = exc.problem_mark
    assert mark is not None  # checked by explain
    context = exc.context or ""
    text = lines[mark.line]
    if "mapping" in context and found in ("'-'", "'<block sequence start>'"):
        return Explained(
            mark.line,
            mark.column,
            "a list item (`- `) where keys were expected: the lines above hold `key: value` "
            "pairs at this indentation; remove the `- `",
        )
    if "collection" in context and found == "'?'" and exc.context_mark is not None:
        return _key_among_items(lines, exc.context_mark.line, mark.line, mark.column)
    if found == "'<scalar>'" and mark.line == (exc.context_mark.line if exc.context_mark else -1):
        return Explained(
            mark.line,
            mark.column,
            "text after the closing quote; quote the whole value (in '...' a quote is written "
            '\'\', in "..." as \\")',
        )
    if found in ("'<block mapping start>'", "'<scalar>'"):
        lowest = exc.context_mark.column if exc.context_mark is not None else 0
        levels = [(indent, key) for indent, key in _open_keys(lines, mark.line) if indent >= lowest]
        if not levels:
            return None
        spaces = _indent(text)
        choices = " or ".join(f"{_code(key)} ({_spaces(indent)})" for indent, key in levels)
        return Explained(
            mark.line,
            spaces,
            f"this line is indented {_spaces(spaces)}, which matches no key above it; indent "
            f"it as much as {choices}",
        )
    return None


def _key_among_items(lines: list[str], first: int, line: int, column: int) -> Explained:
    """A key at the indentation of the list that starts on line first."""
    item = re.match(r"^ *- +[^\s#:][^#]*?:(?:\s|$)", lines[first])
    if item and _previous(lines, line) == first:
        # `- title: x` then `plan_id: y`: one stray dash made the first key a list item.
        return Explained(
            first,
            column,
            f"a list item (`- `) where keys were expected: the next line ({line + 1}) is a key "
            "at this indentation; remove the `- `",
        )
    owners = [key for indent, key in _open_keys(lines, first + 1) if indent < column]
    dedent = f"; if it is a key, indent it as much as {_code(owners[0])}" if owners else ""
    return Explained(
        line,
        column,
        "a key where list items were expected: the lines above are list items (`- `) at this "
        f"indentation; if it is an item, start it with `- `{dedent}",
    )


def _open_keys(lines: list[str], line: int) -> list[tuple[int, str]]:
    """The keys above line that a key could stand beside: each less indented than the last."""
    levels: list[tuple[int, str]] = []
    index = _previous(lines, line)
    while index is not None:
        match = _KEY.match(lines[index])
        indent = _indent(lines[index])
        if match and (not levels or indent < levels[-1][0]):
            levels.append((indent, match["key"]))
            if indent == 0:
                break
        index = _previous(lines, index)
    return levels[:3]


def _previous(lines: list[str], line: int) -> int | None:
    """The nearest line above that holds something other than a comment."""
    for index in range(line - 1, -1, -1):
        stripped = lines[index].strip()
        if stripped and not stripped.startswith("#"):
            return index
    return None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_item(line: str) -> bool:
    stripped = line.strip()
    return stripped == "-" or stripped.startswith("- ")


def _key(line: str) -> str:
    match = _KEY.match(line)
    return match["key"] if match else line.strip()


def _code(text: str) -> str:
    """Words from the file, in backticks when printable and short; else shown escaped."""
    if not text.isprintable():
        return show(text)
    return f"`{text}`" if len(text) <= _WORDS else f"`{text[: _WORDS - 3]}...`"


def _spaces(count: int) -> str:
    return "1 space" if count == 1 else f"{count} spaces"
