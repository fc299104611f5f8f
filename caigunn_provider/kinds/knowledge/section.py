"""A chatbot entry's `knowledge:` and `model:` keys, checked and read (issue 19)."""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Literal

from caigunn_provider.kinds.knowledge import digest as digests
from caigunn_provider.kinds.model.api import MODEL_NAMES
from caigunn_provider.stackfile.problems import Problems, count, item_path, key_path, show
from caigunn_provider.stackfile.rules import bad_character, describe_character
from caigunn_provider.stackfile.source import line_starts
from caigunn_provider.stackfile.urls import check_url
from caigunn_provider.stackfile.values import (
    check_bool,
    check_relative_path,
    check_string,
    in_file_order,
)
from caigunn_provider.stackfile.yamltree import Entry, Map, Seq

__all__ = [
    "ITEM_KEYS",
    "ITEM_KINDS",
    "KNOWLEDGE_KEYS",
    "MAX_KNOWLEDGE_FILE_BYTES",
    "MODEL_NAMES",
    "ItemKind",
    "ItemSpec",
    "KnowledgeSpec",
    "check_knowledge",
]

ItemKind = Literal["text_file", "text", "file", "website"]
ITEM_KINDS: tuple[ItemKind, ...] = ("text_file", "text", "file", "website")
ITEM_KEYS = (*ITEM_KINDS, "single_page")
# The chatbot-entry keys this kind owns (kinds/knowledge/kind.py registers them).
KNOWLEDGE_KEYS = ("knowledge", "model")
# Each file is read at preview to take its digest, and again by the provider to send it; CaiGunn
# documents only a plan's total_file_size_limit, so this keeps a stray video or disk image out.
MAX_KNOWLEDGE_FILE_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True, kw_only=True)
class ItemSpec:
    """One declared knowledge item.

    path is a text_file's or file's path as written (relative to the stack file's folder, in
    '/' form: the item's name), location where the loader read it (the stack file's folder joined
    in front: relative to the working directory, the project folder, when the stack file's path
    was; the KnowledgeItem's `path` input). text is an inline text's text. digest follows
    kinds/knowledge/digest.py: of a file's bytes, of an inline text's UTF-8, of a website's URL
    and single_page. characters counts a text or text_file item's characters (0 otherwise).
    """

    kind: ItemKind
    digest: str
    line: int
    path: str | None = None
    location: str | None = None
    text: str | None = None
    website: str | None = None
    single_page: bool = False
    characters: int = 0

    @property
    def identity(self) -> str:
        """What tells two items of one entry apart: kind and path, URL or (inline text) digest."""
        if self.kind == "website":
            return f"website:{self.website}"
        if self.kind == "text":
            return f"text:{self.digest}"
        return f"{self.kind}:{self.path}"


@dataclass(frozen=True, kw_only=True)
class KnowledgeSpec:
    """An entry's knowledge items in file order and model_name (None: not declared).

    lines gives the line of each of knowledge and model that the entry holds.
    """

    items: tuple[ItemSpec, ...] = ()
    model: str | None = None
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def trains(self) -> bool:
        """Whether the entry declares what its model is trained on or with (a Model resource)."""
        return bool(self.items) or self.model is not None


def check_knowledge(
    fields: dict[str, Entry], path: str, base_dir: str, problems: Problems
) -> KnowledgeSpec | None:
    """The entry's knowledge and model; None when it declares neither.

    Every problem is added to problems, each at its line; a caller that sees new problems
    discards the result.
    """
    declared = {key: fields[key] for key in KNOWLEDGE_KEYS if key in fields}
    if not declared:
        return None
    items: tuple[ItemSpec, ...] = ()
    knowledge = declared.get("knowledge")
    if knowledge is not None:
        items = _check_items(knowledge, f"{path}.knowledge", base_dir, problems)
    model = declared.get("model")
    model_name = _check_model(model, f"{path}.model", problems) if model is not None else None
    model_id = fields.get("model_id")
    trainer = knowledge or model
    if model_id is not None and trainer is not None:
        first, later = in_file_order(fields, model_id, trainer)
        problems.add(
            later.key_line,
            f"{path}.{later.key}",
            f"give either model_id or knowledge/model, not both ({first.key} is at line "
            f"{first.key_line}): the model trained from the knowledge becomes the chatbot's "
            "model_id",
        )
    elif model is not None and knowledge is None:
        problems.add(
            model.key_line,
            f"{path}.model",
            "needs knowledge items to train on: add `knowledge:` to the entry (CaiGunn refuses "
            "a training without training data), or remove the model",
        )
    return KnowledgeSpec(
        items=items,
        model=model_name,
        lines={key: entry.key_line for key, entry in declared.items()},
    )


# --- the items -----------------------------------------------------------------------------------


def _check_items(
    entry: Entry, path: str, base_dir: str, problems: Problems
) -> tuple[ItemSpec, ...]:
    if not isinstance(entry.value, Seq):
        problems.add(
            entry.value_line,
            path,
            f"must be a list of items such as `- text_file: <path>` (got {show(entry.value)})",
        )
        return ()
    if not entry.value.items:
        problems.add(
            entry.value_line,
            path,
            "must list at least one item (remove the key for a chatbot without knowledge)",
        )
        return ()
    items: list[ItemSpec] = []
    first: dict[str, int] = {}
    for index, item in enumerate(entry.value.items):
        where = item_path(path, index)
        spec = _check_item(item.value, item.line, where, base_dir, problems)
        if spec is None:
            continue
        if spec.identity in first:
            problems.add(
                item.line, where, f"duplicate item (the same as item {first[spec.identity]})"
            )
            continue
        first[spec.identity] = index
        items.append(spec)
    return tuple(items)


def _check_item(
    value: object, line: int, path: str, base_dir: str, problems: Problems
) -> ItemSpec | None:
    if not isinstance(value, Map):
        problems.add(
            line,
            path,
            f"expected a mapping with one of {_kinds()} (got {show(value)})",
        )
        return None
    fields = _item_keys(value, path, problems)
    kinds = [fields[kind] for kind in ITEM_KINDS if kind in fields]
    kinds.sort(key=lambda entry: list(fields).index(str(entry.key)))
    single = fields.get("single_page")
    single_page = False
    if single is not None:
        single_page = bool(check_bool(single, f"{path}.single_page", problems))
        if not any(entry.key == "website" for entry in kinds):
            problems.add(single.key_line, f"{path}.single_page", "applies to a website item only")
    if not kinds:
        problems.add(line, path, f"missing: an item holds one of {_kinds()}")
        return None
    if len(kinds) > 1:
        for later in kinds[1:]:
            problems.add(
                later.key_line,
                f"{path}.{later.key}",
                f"an item holds one of {_kinds()}, not several ({kinds[0].key} is at line "
                f"{kinds[0].key_line}); write a list item for each",
            )
        return None
    kind = kinds[0]
    where = f"{path}.{kind.key}"
    if kind.key == "text":
        return _text_item(kind, where, line, problems)
    if kind.key == "website":
        url = check_url(kind.value, kind.value_line, where, problems)
        if url is None:
            return None
        return ItemSpec(
            kind="website",
            digest=digests.of_website(url, single_page),
            line=line,
            website=url,
            single_page=single_page,
        )
    return _file_item(kind, where, line, base_dir, problems)


def _item_keys(item: Map, path: str, problems: Problems) -> dict[str, Entry]:
    fields: dict[str, Entry] = {}
    for entry in item.entries:
        key = entry.key
        if not isinstance(key, str):
            problems.add(entry.key_line, path, f"key must be a string (got {show(key)})")
        elif key in fields:
            problems.add(
                entry.key_line,
                key_path(path, key),
                f"duplicate key (first at line {fields[key].key_line})",
            )
        elif key not in ITEM_KEYS:
            close = difflib.get_close_matches(key[:100], ITEM_KEYS, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(ITEM_KEYS)}"
            problems.add(entry.key_line, path, f"unknown key {show(key)} ({hint})")
        else:
            fields[key] = entry
    return fields


def _kinds() -> str:
    return ", ".join(ITEM_KINDS[:-1]) + f" or {ITEM_KINDS[-1]}"


def _text_item(entry: Entry, path: str, line: int, problems: Problems) -> ItemSpec | None:
    text = check_string(entry.value, entry.value_line, path, problems)
    if text is None:
        return None
    what = _text_problem(text)
    if what is not None:
        problems.add(entry.value_line, path, what)
        return None
    return ItemSpec(
        kind="text", digest=digests.of_text(text), line=line, text=text, characters=len(text)
    )


def _text_problem(text: str) -> str | None:
    """What is wrong with a knowledge text, ending so that callers may add ' of <file>'."""
    if not text.strip():
        return "must not be empty" if not text else f"must not be blank (got {show(text)})"
    bad = bad_character(text, multiline=True)
    if bad is None:
        return None
    index, kind = bad
    at = len([start for start in line_starts(text) if start <= index])
    return f"must not contain {describe_character(text[index])}, {kind}, found at line {at}"


def _file_item(
    entry: Entry, path: str, line: int, base_dir: str, problems: Problems
) -> ItemSpec | None:
    kind: ItemKind = "text_file" if entry.key == "text_file" else "file"
    relative = _relative_path(entry, path, problems)
    if relative is None:
        return None
    location = os.path.join(base_dir, relative)
    raw = _read_file(location, base_dir, entry.value_line, path, problems)
    if raw is None:
        return None
    if kind == "file":
        return ItemSpec(
            kind="file", digest=digests.of_bytes(raw), line=line, path=relative, location=location
        )
    try:
        # Checked as the provider reads it (a byte-order mark dropped), but the digest is of the
        # bytes, as for any file: the provider compares it with what it reads at create time.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        at = raw[: exc.start].count(b"\n") + 1
        problems.add(
            entry.value_line,
            path,
            f"{location} is not UTF-8 text ({exc.reason} at line {at}); upload it with "
            "`file:` if it is a document",
        )
        return None
    if not text.strip():
        problems.add(entry.value_line, path, f"{location} holds only whitespace")
        return None
    # A Windows checkout (core.autocrlf) is read as it is, its CRs being line ends, not controls.
    what = _text_problem(text.replace("\r\n", "\n"))
    if what is not None:
        problems.add(entry.value_line, path, f"{what} of {location}")
        return None
    return ItemSpec(
        kind="text_file",
        digest=digests.of_bytes(raw),
        line=line,
        path=relative,
        location=location,
        characters=len(text),
    )


def _relative_path(entry: Entry, path: str, problems: Problems) -> str | None:
    """The path as written, checked: relative to the stack file's folder and inside it."""
    value = check_relative_path(entry, path, problems, slashes_only=True)
    # `./a.md` and `a.md` are one file, and one resource name.
    return str(PurePosixPath(value)) if value is not None else None


def _read_file(
    location: str, base_dir: str, line: int, path: str, problems: Problems
) -> bytes | None:
    real_base = os.path.realpath(base_dir or ".")
    try:
        if os.path.commonpath([real_base, os.path.realpath(location)]) != real_base:
            problems.add(
                line, path, f"{location} leads outside the stack file's folder (a symbolic link?)"
            )
            return None
        if not os.path.exists(location):
            problems.add(line, path, f"no such file: {location}")
            return None
        if not os.path.isfile(location):
            problems.add(line, path, f"not a regular file: {location}")
            return None
        with open(location, "rb") as stream:
            raw = stream.read(MAX_KNOWLEDGE_FILE_BYTES + 1)
    except OSError as exc:
        problems.add(line, path, f"cannot read {location}: {exc.strerror or exc}")
        return None
    if len(raw) > MAX_KNOWLEDGE_FILE_BYTES:
        problems.add(
            line,
            path,
            f"{location} is too big: a knowledge file may be at most "
            f"{count(MAX_KNOWLEDGE_FILE_BYTES)} bytes (10 MiB)",
        )
        return None
    if not raw:
        problems.add(line, path, f"{location} is empty")
        return None
    return raw


# --- the model ---------------------------------------------------------------------------


def _check_model(entry: Entry, path: str, problems: Problems) -> str | None:
    value = entry.value
    if isinstance(value, str) and value in MODEL_NAMES:
        return value
    names = ", ".join(repr(name) for name in MODEL_NAMES)
    if isinstance(value, str):
        close = [name for name in MODEL_NAMES if name.casefold() == value.strip().casefold()]
        close = close or difflib.get_close_matches(value[:100], MODEL_NAMES, n=1, cutoff=0.6)
        if close:
            problems.add(
                entry.value_line,
                path,
                f"unknown model name {show(value)} (did you mean {close[0]!r}?)",
            )
            return None
    problems.add(
        entry.value_line, path, f"must be one of CaiGunn's model names: {names} (got {show(value)})"
    )
    return None
