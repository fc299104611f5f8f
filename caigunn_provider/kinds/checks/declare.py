"""An entry's answer checks declared: the Serving step that puts the entry's candidate (its new
model and prompt) into service, asks the checks, and keeps it or puts back what served before.

Runs in the program process, called through kinds/checks/kind.py. The entry's Model (declared by
the knowledge kind before this one) trains and waits but does not serve: the checks kind takes
`model_id` and `prompt` over from the Chatbot (kinds/checks/kind.py `takes`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi

from caigunn_provider.kinds.checks.resource import Serving
from caigunn_provider.kinds.checks.spec import ChecksSpec
from caigunn_provider.kinds.model.resource import Model
from caigunn_provider.program.kind import EntryContext
from caigunn_provider.program.outputs import settled

NEGATIVE_ONLY = (
    '{entry}: every check is negative (not_*, max_chars): the answer "I don\'t know." passes '
    "them all; add a check that expects something (icontains, equals, regex, ...)"
)


def declare_checks(
    entry: str, chatbot: Any, spec: ChecksSpec, opts: Any, context: EntryContext
) -> Sequence[Any]:
    """The entry's Serving step, after its Model (when the entry trains one)."""
    model = next(
        (found for found in context.declared.get("knowledge", ()) if isinstance(found, Model)),
        None,
    )
    config = context.config
    mode = config.checks_mode if config else "enforce"
    serving = Serving(
        entry,
        chatbot_id=chatbot.id,
        checks=[check.as_props() for check in spec.checks],
        checks_digest=spec.digest,
        model_id=model.model_id if model is not None else context.settings.get("model_id"),
        prompt=context.settings.get("prompt"),
        mode=mode,
        recheck=bool(config and config.recheck),
        adopting=context.adopting,
        opts=opts,
    )
    if spec.all_negative:
        pulumi.log.warn(NEGATIVE_ONLY.format(entry=entry), serving)
    if pulumi.runtime.is_dry_run():
        gates = "gate a new model or prompt" if mode == "enforce" else "are asked and reported"
        pulumi.log.info(
            f"{entry}: {len(spec.checks)} answer check(s) ({mode}) {gates}; asking them "
            f"spends up to {spec.talks} message(s) of the plan",
            serving,
        )
    return [serving]


def export(declared: Mapping[str, Sequence[Any]]) -> None:
    """`answer_checks`: per entry, what serves and whether it passed, when it last passed, the
    rejected candidate (if any), the mode and the messages this run spent."""
    found = {}
    for entry, resources in declared.items():
        for serving in resources:
            if isinstance(serving, Serving):
                found[entry] = {
                    key: settled(value)
                    for key, value in (
                        ("mode", serving.mode),
                        ("model_id", serving.serving_model_id),
                        ("passed", serving.passed),
                        ("last_passed_at", serving.last_passed_at),
                        ("rejected", serving.rejected),
                        ("messages_spent", serving.messages_spent),
                    )
                }
    if found:
        pulumi.export("answer_checks", found)
