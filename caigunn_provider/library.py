"""What `import caigunn_provider` offers a Pulumi program: the Chatbot resource, declare() and
declare_stack_file(), wired to the registered kinds (the package's __init__ loads these names on
first use).

Runs in the program process.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Mapping, Sequence
from typing import Any, Self

import pulumi

from caigunn_provider import kinds
from caigunn_provider.kinds.chatbot import program, resource
from caigunn_provider.kinds.chatbot.args import ChatbotArgs
from caigunn_provider.kinds.chatbot.keywords import unexpected
from caigunn_provider.program import pipeline

__all__ = ["Chatbot", "ChatbotArgs", "declare", "declare_stack_file"]


class Chatbot(resource.Chatbot, module="caigunn", name="Chatbot"):
    """A CaiGunn chatbot, checked before it is declared: `.id`, and `.api_key` as a secret.

        support = caigunn.Chatbot("support", title="Support Desk", plan="Basic",
                                  knowledge=[{"text": "We open at nine."}])

    The keywords are a stack-file entry's keys (ChatbotArgs lists them), checked by the same
    rules; opts are the Chatbot's resource options (its parent is its parts' parent too). The
    first Chatbot of a run checks the token and lists the plans, once for the whole program; each
    one's plan name is resolved, its chatbot proven to exist when the run would update it, and a
    create an interrupted run made is taken over rather than made twice. A failure stops the run
    with one message, naming the program's line, before this chatbot is declared (those declared
    before it stand: caigunn.declare({...}) checks every chatbot before declaring any).

    The type token is the resource's, `caigunn:Chatbot`: a stack-file entry and this class name
    the same resource.
    """

    # The SDK shapes a resource's outputs by its class's own annotations, not its base's: these
    # are the resource's (strings, resolved in this module: pulumi and Any).
    __annotations__ = dict(inspect.get_annotations(resource.Chatbot))

    def __new__(cls, *args: object, **kwargs: object) -> Self:
        """Runs before __init__, to say which keywords exist when one does not."""
        if len(args) > 1:
            raise TypeError(
                f"Chatbot() takes the chatbot's name as its only positional argument (got "
                f"{len(args)}); give the rest as keywords: {', '.join(KEYWORDS)}"
            )
        error = unexpected("Chatbot", (key for key in kwargs if key != "resource_name"), KEYWORDS)
        if error is not None:
            raise error
        return super().__new__(cls)

    def __init__(
        self,
        resource_name: str,
        *,
        title: str,
        plan: str | None = None,
        plan_id: str | None = None,
        prompt: str | None = None,
        initial_messages: Sequence[str] | None = None,
        allowed_domains: Sequence[str] | None = None,
        main_color: str | None = None,
        is_default_visible: bool | None = None,
        is_fixed: bool | None = None,
        show_history: bool | None = None,
        is_shared: bool | None = None,
        button_style: str | None = None,
        model_id: str | None = None,
        prompt_file: str | os.PathLike[str] | None = None,
        knowledge: Sequence[Mapping[str, object]] | None = None,
        model: str | None = None,
        webhook: str | None = None,
        opentalk: str | None = None,
        checks: Sequence[Mapping[str, object]] | None = None,
        checks_file: str | os.PathLike[str] | None = None,
        import_: str | None = None,
        protect: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Check, then declare the chatbot and what its keywords declare under it."""
        # Every keyword as given, by name: the same table the checks read.
        given = {key: value for key, value in locals().items() if key in _ARGUMENTS}
        self._declare(program.prepare_chatbot(kinds.chatbot_kind(), resource_name, given, opts))

    @classmethod
    def _of(cls, ready: program.Ready) -> Self:
        """A chatbot whose checks are made already (declare(): every entry at once)."""
        chatbot = cls.__new__(cls)
        chatbot._declare(ready)
        return chatbot

    def _declare(self, ready: program.Ready) -> None:
        entry = ready.entry
        super().__init__(
            entry.name,
            title=entry.title,
            plan_id=entry.plan_id,
            settings=ready.settings,
            import_=entry.import_,
            recover=entry.recover,
            opts=ready.options,
        )
        program.declare_under(self, ready)


# Chatbot's keywords, as its signature names them; tests/unit/test_program_args.py holds them to
# the stack-file entry's keys. _ARGUMENTS are those the checks read (opts aside).
KEYWORDS = tuple(
    parameter.name
    for parameter in inspect.signature(Chatbot.__init__).parameters.values()
    if parameter.kind is inspect.Parameter.KEYWORD_ONLY
)
_ARGUMENTS = frozenset(KEYWORDS) - {"opts"}


def declare(chatbots: Mapping[str, ChatbotArgs], *, export: bool = False) -> dict[str, Chatbot]:
    """Check, then declare one Chatbot per entry: {name: Chatbot}.

    The same safety as the stack-file path, for every entry before any is declared: the
    account and token are checked, plan names resolved, chatbots the run would update proven to
    exist, and a create that an interrupted run may have made is recovered rather than made
    twice. Any failure stops the run before a resource is declared, with the same one-sentence
    messages. export=True also exports the `chatbots` and `api_keys` stack outputs (and those of
    the kinds inside the entries), as the stack-file path does.
    """
    kind = kinds.chatbot_kind()
    found = {
        name: Chatbot._of(ready) for name, ready in program.prepare_args(kind, chatbots).items()
    }
    if export:
        kind.export(found)
    return found


def declare_stack_file() -> dict[str, Mapping[str, Any]]:
    """stacks/<stack>.yaml declared and exported, as this repository's own program does."""
    return pipeline.run(kinds.registered())
