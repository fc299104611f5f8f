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

chatbots = {
    name: Chatbot(
        name,
        title=spec.title,
        plan_id=spec.plan_id,
        import_id=spec.import_id,
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
