"""The Pulumi program: one Chatbot per entry of stacks/<stack>.yaml, and the two stack outputs."""

from __future__ import annotations

import pulumi

from caigunn_provider.errors import StackFileError
from caigunn_provider.resource import Chatbot
from caigunn_provider.stackfile import load_stack_file

try:
    stack_file = load_stack_file(f"stacks/{pulumi.get_stack()}.yaml")
except StackFileError as exc:
    # RunError prints the message alone, without a Python traceback; nothing is declared.
    raise pulumi.RunError(f"invalid stack file:\n{exc}") from exc

# Until plan names (`plan:`, issue 12) are resolved against the account, only plan_id can run.
plan_ids = {name: spec.plan_id for name, spec in stack_file.chatbots.items() if spec.plan_id}
if len(plan_ids) < len(stack_file.chatbots):
    raise pulumi.RunError(
        "invalid stack file:\n"
        + "\n".join(
            f"{stack_file.path}:{spec.lines['plan']}: chatbots.{name}.plan: plan names are not "
            "supported yet; use plan_id"
            for name, spec in stack_file.chatbots.items()
            if name not in plan_ids
        )
    )

chatbots = {
    name: Chatbot(
        name,
        title=spec.title,
        plan_id=plan_ids[name],
        import_id=spec.import_,
        opts=pulumi.ResourceOptions(protect=spec.protect),
    )
    for name, spec in stack_file.chatbots.items()
}

pulumi.export(
    "chatbots",
    {
        name: {"id": bot.id, "title": bot.title, "plan_id": bot.plan_id}
        for name, bot in chatbots.items()
    },
)
pulumi.export(
    "api_keys", pulumi.Output.secret({name: bot.api_key for name, bot in chatbots.items()})
)
