"""Chatbots declared from a Python program with caigunn.declare({name: ChatbotArgs(...)}): typed
arguments, checked as the stack file's are (kinds/chatbot/keywords.py).

Runs in the program process; caigunn_provider.library.declare hands the specs to the run.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Self

from caigunn_provider.kinds.chatbot.keywords import check_chatbots, unexpected
from caigunn_provider.kinds.chatbot.spec import ChatbotSpec
from caigunn_provider.stackfile.section import CheckEntry

__all__ = ["ChatbotArgs", "to_specs"]


@dataclass(frozen=True, kw_only=True)
class ChatbotArgs:
    """One chatbot as a program declares it: a title, and a plan by name or by id.

    The keywords are the keys of a stack-file entry (docs/stack-file.md), with the same values:
    the settings (docs/settings.md; one left None is not managed), `knowledge` as a list of
    items ({"text": ...}, {"text_file": "docs/faq.md"}, {"website": url, "single_page": True}),
    `model` (a model name), `webhook` (a URL), `opentalk` (a device id), `checks` as a list of
    {"ask": ..., "expect": {...}}. Paths are relative to the program's working directory (the
    project's folder). import_ adopts an existing chatbot (never deleted by the stack).
    caigunn.Chatbot takes the same keywords.
    """

    title: str
    plan: str | None = None
    plan_id: str | None = None
    prompt: str | None = None
    initial_messages: Sequence[str] | None = None
    allowed_domains: Sequence[str] | None = None
    main_color: str | None = None
    is_default_visible: bool | None = None
    is_fixed: bool | None = None
    show_history: bool | None = None
    is_shared: bool | None = None
    button_style: str | None = None
    model_id: str | None = None
    prompt_file: str | os.PathLike[str] | None = None
    knowledge: Sequence[Mapping[str, object]] | None = None
    model: str | None = None
    webhook: str | None = None
    opentalk: str | None = None
    checks: Sequence[Mapping[str, object]] | None = None
    checks_file: str | os.PathLike[str] | None = None
    import_: str | None = None
    protect: bool = False

    def __new__(cls, *args: object, **kwargs: object) -> Self:
        """Runs before the dataclass's __init__, to say which keywords exist when one does not."""
        known = tuple(field.name for field in fields(cls))
        if args:
            raise TypeError(f"ChatbotArgs() takes keywords only: {', '.join(known)}")
        error = unexpected("ChatbotArgs", kwargs, known)
        if error is not None:
            raise error
        return super().__new__(cls)

    def given(self) -> dict[str, object]:
        """{keyword: value}, None for a keyword not given."""
        return {field.name: getattr(self, field.name) for field in fields(self)}


def to_specs(
    chatbots: Mapping[str, ChatbotArgs], checker: CheckEntry, file: str, line: int
) -> dict[str, ChatbotSpec]:
    """The program's entries as specs, checked as a stack file's entries at the program's
    file:line (the declare() call); StackFileError lists every problem (none changes a thing)."""
    for name, args in chatbots.items():
        if not isinstance(args, ChatbotArgs):
            raise TypeError(
                f"declare() takes {{name: ChatbotArgs(...)}}; {name!r} is a {type(args).__name__}"
            )
    return check_chatbots(
        checker, {name: args.given() for name, args in chatbots.items()}, file, line
    )
