"""Chatbots a Python program declares (caigunn.Chatbot(...), caigunn.declare({...})): checked as
stack-file entries, then checked against the account and the state in the process's session,
then declared with what the kinds inside each entry declare under it.

Runs in the program process. caigunn_provider.library.Chatbot is the resource class a program
sees; this is its work. The parts under each Chatbot are declared by ChatbotKind.declare_parts, as
a stack file's are, with the program's own resource options (a parent, dependencies); the
run-wide words of ChatbotKind.declare (adopted chatbots leaving the stack, allowReplace names no
entry has) are said only by declare(), which sees every entry at once.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

from caigunn_provider.errors import CaiGunnError, StackFileError
from caigunn_provider.kinds.chatbot import retain
from caigunn_provider.kinds.chatbot.args import ChatbotArgs, to_specs
from caigunn_provider.kinds.chatbot.keywords import check_chatbots, program_words
from caigunn_provider.kinds.chatbot.kind import ChatbotKind, Planned, Prepared
from caigunn_provider.kinds.chatbot.resource import Chatbot
from caigunn_provider.kinds.chatbot.section import ChatbotSection
from caigunn_provider.kinds.chatbot.spec import ChatbotSpec
from caigunn_provider.program import session
from caigunn_provider.program.pipeline import INVALID_PROGRAM, stopping
from caigunn_provider.stackfile.section import CheckEntry

__all__ = ["Ready", "declare_under", "prepare_args", "prepare_chatbot"]

# {logical name: where the program declared it}: the state is keyed by name, so one name is one
# chatbot, whichever parent a program gives it.
_NAMED: dict[str, str] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Ready:
    """One entry checked against the account and the state: its Chatbot's arguments and
    options, and what the kinds inside it declare under it."""

    entry: Planned
    prepared: Prepared
    kind: ChatbotKind
    # The Chatbot's options: the program's, with the entry's protect and retain_on_delete.
    options: pulumi.ResourceOptions
    # Each part's (knowledge items, webhook...): the Chatbot's parent and protection.
    parts: pulumi.ResourceOptions
    # Its parts' outputs are the kind's to export (declare(export=True)); a Chatbot(...)'s are
    # not: the program exports what it wants of its chatbot.
    exported: bool = False

    @property
    def settings(self) -> dict[str, object]:
        """The settings the Chatbot manages: those no kind of the entry took over."""
        return self.entry.chatbot_settings


def prepare_chatbot(
    kind: ChatbotKind,
    name: str,
    given: Mapping[str, object],
    opts: pulumi.ResourceOptions | None,
) -> Ready:
    """caigunn.Chatbot(name, **given, opts=opts), checked; any failure stops the run with its
    message, naming the program's line, before this chatbot is declared."""
    where = session.caller()

    def checked() -> dict[str, ChatbotSpec]:
        specs = check_chatbots(_checker(kind.section), {name: given}, where.file, where.line)
        _refuse_import_option(name, opts, str(where))
        _claim(specs, str(where))
        return specs

    specs = stopping(checked, invalid=INVALID_PROGRAM)
    return _ready(kind, _prepare(kind, specs, where.file), {name: opts}, exported=False)[name]


def prepare_args(kind: ChatbotKind, chatbots: Mapping[str, ChatbotArgs]) -> dict[str, Ready]:
    """caigunn.declare(chatbots): every entry checked at once, before any is declared, as a stack
    file's are; the run-wide warnings said."""
    where = session.caller()

    def checked() -> dict[str, ChatbotSpec]:
        specs = to_specs(chatbots, _checker(kind.section), where.file, where.line)
        _claim(specs, str(where))
        return specs

    specs = stopping(checked, invalid=INVALID_PROGRAM)
    prepared = _prepare(kind, specs, where.file)
    for name, chatbot_id in prepared.leaving.items():
        pulumi.log.warn(retain.leaving_message(name, chatbot_id))
    for note in prepared.notes:
        pulumi.log.warn(note)
    return _ready(kind, prepared, {}, exported=True)


def declare_under(chatbot: Chatbot, ready: Ready) -> None:
    """What preview says of the entry, then each kind's part under its Chatbot, as
    ChatbotKind.declare does (caigunn_provider.kinds.chatbot.kind.ChatbotKind.declare_parts)."""
    ready.kind.declare_parts(
        ready.entry, chatbot, ready.prepared, ready.parts, exported=ready.exported
    )


def _prepare(kind: ChatbotKind, specs: Mapping[str, ChatbotSpec], file: str) -> Prepared:
    """The kind's checks against the account and the state (plans resolved, updated chatbots
    proven to exist, an interrupted create recovered), in the session opened once a process."""
    opened = stopping(session.current)

    def prepare() -> Prepared:
        try:
            return kind.prepare(opened.run(file), specs)
        except StackFileError as exc:
            raise StackFileError([program_words(text) for text in exc.problems]) from exc
        except CaiGunnError as exc:
            # Said as the stack file's entries are (`Add `import: <id>` to the entry`).
            raise CaiGunnError(program_words(str(exc))) from exc

    return stopping(prepare, invalid=INVALID_PROGRAM)


def _ready(
    kind: ChatbotKind,
    prepared: Prepared,
    opts: Mapping[str, pulumi.ResourceOptions | None],
    *,
    exported: bool,
) -> dict[str, Ready]:
    found = {}
    for entry in prepared.entries:
        chatbot, parts = _options(entry, opts.get(entry.name))
        found[entry.name] = Ready(entry, prepared, kind, chatbot, parts, exported)
    return found


def _options(
    entry: Planned, opts: pulumi.ResourceOptions | None
) -> tuple[pulumi.ResourceOptions, pulumi.ResourceOptions]:
    """(the Chatbot's options, its parts'). protect=True or the options' protect protects the
    whole entry, as a stack file's `protect: true` does; neither given, it is Pulumi's to say (a
    protected parent protects them). The parts go under the same parent, so that a component's
    chatbot keeps its knowledge and webhook beside it."""
    given = opts or pulumi.ResourceOptions()
    protect = True if entry.protect or given.protect else given.protect
    ours = pulumi.ResourceOptions(protect=protect, retain_on_delete=entry.retain or None)
    parts = pulumi.ResourceOptions(protect=protect, parent=given.parent)
    return pulumi.ResourceOptions.merge(given, ours), parts


def _refuse_import_option(name: str, opts: pulumi.ResourceOptions | None, where: str) -> None:
    if opts is not None and opts.import_ is not None:
        raise StackFileError(
            [
                f"{where}: chatbots.{name}: opts=ResourceOptions(import_=...) cannot adopt a "
                "dynamic resource (pulumi/pulumi#16175); give Chatbot(import_=<chatbot id>) "
                "instead"
            ]
        )


def _claim(specs: Mapping[str, ChatbotSpec], where: str) -> None:
    """Each name once a program: the state, the recovery and the outputs know a chatbot by it."""
    with _LOCK:
        taken = [
            f"{where}: chatbots.{name}: declared already, at {_NAMED[name]}; each chatbot "
            "needs a name of its own"
            for name in specs
            if name in _NAMED
        ]
        if taken:
            raise StackFileError(taken)
        _NAMED.update({name: where for name in specs})


@functools.cache
def _checker(section: ChatbotSection) -> CheckEntry:
    """The section's checker for the program's run (one: two chatbots cannot adopt one id);
    relative paths start at the working directory, the project's folder."""
    return section.checker("")
