"""Which chatbots the engine keeps on delete: the adopted ones, through Pulumi's retain_on_delete.

Runs in the program process. The provider never deletes an adopted chatbot (its delete warns and
returns), but the engine cannot know that: `pulumi destroy` previews `- delete` for each one, and
the user learns afterwards that it stayed. Declared with `retain_on_delete`, the flag is stored in
the state with the resource, so the engine's own display marks it `delete[retain]` (and
`replace[retain]`) at preview, in `pulumi destroy` too, which never runs the program, and it
never calls the provider's delete for it.

The flag is the program's to set, from what it knows before the run: an entry with `import:` that
the state does not hold yet is about to be adopted; a resource the checkpoint records as adopted
(its `adopted` output) stays adopted until its plan changes, which replaces it with a chatbot
that this stack makes (and deletes, later, as any other).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from caigunn_provider.kinds.chatbot.spec import CHATBOT_TYPE, ChatbotSpec
from caigunn_provider.program.checkpoint import Checkpoint


@dataclass(frozen=True)
class Kept:
    """The entries to declare with retain_on_delete, and adopted chatbots no entry declares."""

    retained: frozenset[str]
    # logical name -> chatbot id: adopted, in the state, gone from the entries: this run drops
    # them from the stack and leaves them in the account.
    leaving: Mapping[str, str]


def kept(
    specs: Mapping[str, ChatbotSpec],
    plan_ids: Mapping[str, str],
    checkpoint: Checkpoint | None,
) -> Kept:
    """What the engine must keep, from the entries and the stack's checkpoint (None: unread)."""
    records = checkpoint.of_type(CHATBOT_TYPE) if checkpoint is not None else {}
    adopted = {name: rec for name, rec in records.items() if rec.outputs.get("adopted") is True}
    retained = set()
    for name, spec in specs.items():
        if name in adopted:
            # A new plan replaces the adopted chatbot (which stays, by its own flag) with one made.
            if adopted[name].inputs.get("plan_id") == plan_ids.get(name):
                retained.add(name)
        elif name not in records and spec.import_ is not None:
            retained.add(name)
    leaving = {name: rec.id for name, rec in adopted.items() if name not in specs}
    return Kept(frozenset(retained), leaving)


def leaving_message(name: str, chatbot_id: str) -> str:
    """What the run says of an adopted chatbot whose entry was removed."""
    return (
        f"chatbots.{name}: chatbot {chatbot_id} was adopted with `import:`; its entry is gone, so "
        "it leaves the stack, and it stays in the CaiGunn account (adopted chatbots are never "
        "deleted)"
    )


def kept_message(name: str, title: object, chatbot_id: str) -> str:
    """What the provider's delete of an adopted chatbot says: it stays in the account, unmanaged.

    Reached when the engine calls that delete: a state without the retain flag (written before
    it existed). A retained chatbot's delete is never called (see the module's docstring).
    """
    shown = f"{title!r}" if isinstance(title, str) and title else "(no title)"
    return (
        f"{name}: kept chatbot {shown} (id {chatbot_id}) because this stack adopted it "
        "(adopted chatbots are never deleted); it is no longer managed"
    )
