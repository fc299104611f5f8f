"""The webhook kind inside a chatbot entry: `webhook: <url>`, the URL CaiGunn posts events to.

Its stack-file side loads without Pulumi; declare() imports the resource when the program runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from caigunn_provider.client import Plan
from caigunn_provider.stackfile.fragments import FolderFragments
from caigunn_provider.stackfile.problems import Problems
from caigunn_provider.stackfile.urls import check_url

if TYPE_CHECKING:
    from caigunn_provider.program.kind import EntryContext


class WebhookKind(FolderFragments):
    """One Webhook per entry with `webhook:`; its spec is the URL."""

    name = "webhook"
    keys = ("webhook",)
    needs = ("webhooks",)

    def check(
        self, fields: Mapping[str, Any], path: str, base_dir: str, problems: Problems
    ) -> str | None:
        entry = fields.get("webhook")
        if entry is None:
            return None
        return check_url(entry.value, entry.value_line, f"{path}.webhook", problems)

    def limits(self, source: str, name: str, spec: str, plan: Plan) -> list[str]:
        return []

    def declare(
        self, entry: str, chatbot: Any, spec: str, opts: Any, context: EntryContext
    ) -> Sequence[Any]:
        from caigunn_provider.kinds.webhook.resource import Webhook

        return [Webhook(entry, chatbot_id=chatbot.id, url=spec, opts=opts)]


KIND = WebhookKind()
