"""The `chatbots:` entries' optional settings (issue 14): each declared one checked, in the
API's shape (the keys and shapes: kinds/chatbot/fields.py)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable

from caigunn_provider.client.fields import BOOLEAN_SETTINGS, BUTTON_STYLES, SETTING_KEYS
from caigunn_provider.stackfile.problems import Problems, count, item_path, show
from caigunn_provider.stackfile.rules import (
    COLOR_PATTERN,
    MAX_PROMPT_FILE_BYTES,
    ORIGIN_PATTERN,
    bad_character,
    describe_character,
)
from caigunn_provider.stackfile.source import line_starts
from caigunn_provider.stackfile.values import (
    check_bool,
    check_relative_path,
    check_string,
    check_uuid,
    in_file_order,
)
from caigunn_provider.stackfile.yamltree import Entry, Seq

__all__ = ["check_settings"]

_COLOR_RE = re.compile(COLOR_PATTERN)
_ORIGIN_RE = re.compile(ORIGIN_PATTERN)


def check_settings(
    fields: dict[str, Entry], path: str, base_dir: str, problems: Problems
) -> dict[str, object]:
    """The declared settings, in SETTING_KEYS order, with prompt_file read into prompt."""
    settings: dict[str, object] = {}
    for key in SETTING_KEYS:
        entry = fields.get(key)
        if entry is not None:
            value = _CHECKS[key](entry, f"{path}.{key}", problems)
            if value is not None:
                settings[key] = value
    file_entry = fields.get("prompt_file")
    if file_entry is not None:
        prompt = _read_prompt_file(file_entry, f"{path}.prompt_file", base_dir, problems)
        prompt_entry = fields.get("prompt")
        if prompt_entry is not None:
            first, later = in_file_order(fields, prompt_entry, file_entry)
            problems.add(
                later.key_line,
                f"{path}.{later.key}",
                f"give either prompt or prompt_file, not both ({first.key} is at line "
                f"{first.key_line})",
            )
        elif prompt is not None:
            settings["prompt"] = prompt
    return settings


def _prompt(entry: Entry, path: str, problems: Problems) -> str | None:
    text = check_string(entry.value, entry.value_line, path, problems)
    if text is None:
        return None
    what = _prose_problem(text)
    if what is not None:
        problems.add(entry.value_line, path, f"{what} of the prompt")
        return None
    return text


def _prose_problem(text: str) -> str | None:
    """What is wrong with a multi-line text, ending in 'at line N' so callers can add 'of ...'."""
    bad = bad_character(text, multiline=True)
    if bad is None:
        return None
    index, kind = bad
    line = len([start for start in line_starts(text) if start <= index])
    return f"must not contain {describe_character(text[index])}, {kind}, found at line {line}"


def _initial_messages(entry: Entry, path: str, problems: Problems) -> list[str] | None:
    if not isinstance(entry.value, Seq):
        problems.add(entry.value_line, path, f"must be a list of strings (got {show(entry.value)})")
        return None
    messages: list[str] = []
    for index, item in enumerate(entry.value.items):
        where = item_path(path, index)
        text = check_string(item.value, item.line, where, problems)
        if text is None:
            continue
        if not text.strip():
            problems.add(
                item.line,
                where,
                "must not be empty" if not text else f"must not be blank (got {show(text)})",
            )
            continue
        what = _prose_problem(text)
        if what is not None:
            problems.add(item.line, where, f"{what} of the message")
            continue
        messages.append(text)
    return messages if len(messages) == len(entry.value.items) else None


def _allowed_domains(entry: Entry, path: str, problems: Problems) -> list[str] | None:
    if not isinstance(entry.value, Seq):
        problems.add(entry.value_line, path, f"must be a list of origins (got {show(entry.value)})")
        return None
    origins: list[str] = []
    first: dict[str, int] = {}
    for index, item in enumerate(entry.value.items):
        where = item_path(path, index)
        origin = check_string(item.value, item.line, where, problems)
        if origin is None:
            continue
        if not _ORIGIN_RE.fullmatch(origin):
            problems.add(
                item.line, where, f"not an origin (got {show(origin)}); {_origin_fix(origin)}"
            )
        elif origin in first:
            problems.add(item.line, where, f"duplicate origin (the same as item {first[origin]})")
        else:
            first[origin] = index
            origins.append(origin)
    return origins if len(origins) == len(entry.value.items) else None


def _origin_fix(value: str) -> str:
    scheme, separator, rest = value.partition("://")
    if not separator or scheme not in ("http", "https"):
        return "an origin starts with http:// or https://"
    cut = min((rest.index(char) for char in "/?#" if char in rest), default=-1)
    if cut >= 0:
        origin = value[: len(scheme) + 3 + cut]
        return f"an origin has no path, query or fragment: write {show(origin)}"
    return "write http(s)://host[:port], with a host name or IP address and a port from 1 to 65535"


def _main_color(entry: Entry, path: str, problems: Problems) -> str | None:
    value = entry.value
    if isinstance(value, str) and _COLOR_RE.fullmatch(value):
        return value
    what = f"must be a colour '#RRGGBB' (got {show(value)})"
    if value is None:
        # `main_color: #1a2b3c` is a key with a comment and no value.
        what += "; a '#' after a space starts a YAML comment, so quote it: '#1A2B3C'"
    problems.add(entry.value_line, path, what)
    return None


def _button_style(entry: Entry, path: str, problems: Problems) -> str | None:
    if entry.value in BUTTON_STYLES and isinstance(entry.value, str):
        return entry.value
    allowed = " or ".join(repr(style) for style in BUTTON_STYLES)
    problems.add(entry.value_line, path, f"must be {allowed} (got {show(entry.value)})")
    return None


def _model_id(entry: Entry, path: str, problems: Problems) -> str | None:
    return check_uuid(entry.value, entry.value_line, path, problems)


_CHECKS: dict[str, Callable[[Entry, str, Problems], object | None]] = {
    "prompt": _prompt,
    "initial_messages": _initial_messages,
    "allowed_domains": _allowed_domains,
    "main_color": _main_color,
    **{key: check_bool for key in BOOLEAN_SETTINGS},
    "button_style": _button_style,
    "model_id": _model_id,
}


# --- prompt_file ---------------------------------------------------------------------------------


def _read_prompt_file(entry: Entry, path: str, base_dir: str, problems: Problems) -> str | None:
    """The prompt file's text; its path is relative to the stack file and stays in its folder."""
    relative = check_relative_path(entry, path, problems)
    if relative is None:
        return None
    shown = os.path.join(base_dir, relative)
    real_base = os.path.realpath(base_dir or ".")
    if os.path.commonpath([real_base, os.path.realpath(shown)]) != real_base:
        problems.add(
            entry.value_line,
            path,
            f"{shown} leads outside the stack file's folder (a symbolic link?)",
        )
        return None
    raw = _read_bytes(shown, entry, path, problems)
    if raw is None:
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problems.add(
            entry.value_line, path, f"{shown} is not UTF-8 text ({exc.reason} at line {line})"
        )
        return None
    # A Windows checkout (core.autocrlf) must not read as a changed prompt.
    text = text.replace("\r\n", "\n")
    what = _prose_problem(text)
    if what is not None:
        problems.add(entry.value_line, path, f"{what} of {shown}")
        return None
    return text


def _read_bytes(shown: str, entry: Entry, path: str, problems: Problems) -> bytes | None:
    try:
        if not os.path.exists(shown):
            problems.add(entry.value_line, path, f"no such file: {shown}")
            return None
        if not os.path.isfile(shown):
            problems.add(entry.value_line, path, f"not a file: {shown}")
            return None
        with open(shown, "rb") as stream:
            raw = stream.read(MAX_PROMPT_FILE_BYTES + 1)
    except OSError as exc:
        problems.add(entry.value_line, path, f"cannot read {shown}: {exc.strerror or exc}")
        return None
    if len(raw) > MAX_PROMPT_FILE_BYTES:
        problems.add(
            entry.value_line,
            path,
            f"{shown} is too big: a prompt file may be at most "
            f"{count(MAX_PROMPT_FILE_BYTES)} bytes (1 MiB)",
        )
        return None
    return raw
