"""The Opentalk kind inside a chatbot entry: `opentalk: <device_id>` binds the chatbot to that
Opentalk device; changing it rebinds, removing it (or destroy) unbinds.

Its stack-file side loads without Pulumi; declare() imports the resource when the program runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from caigunn_provider.client import Plan
from caigunn_provider.stackfile.fragments import FolderFragments
from caigunn_provider.stackfile.problems import Problems
from caigunn_provider.stackfile.rules import MAX_TITLE_LENGTH
from caigunn_provider.stackfile.values import check_text

if TYPE_CHECKING:
    from caigunn_provider.program.kind import EntryContext


class OpentalkKind(FolderFragments):
    """One OpentalkBinding per entry with `opentalk:`; its spec is the device id."""

    name = "opentalk"
    keys = ("opentalk",)
    needs = ("Opentalk bindings",)

    def check(
        self, fields: Mapping[str, Any], path: str, base_dir: str, problems: Problems
    ) -> str | None:
        entry = fields.get("opentalk")
        if entry is None:
            return None
        where = f"{path}.opentalk"
        return check_text(
            entry.value, entry.value_line, where, problems, max_length=MAX_TITLE_LENGTH
        )

    def limits(self, source: str, name: str, spec: str, plan: Plan) -> list[str]:
        return []

    def declare(
        self, entry: str, chatbot: Any, spec: str, opts: Any, context: EntryContext
    ) -> Sequence[Any]:
        from caigunn_provider.kinds.opentalk.resource import OpentalkBinding

        binding = OpentalkBinding(entry, chatbot_id=chatbot.id, device_id=spec, opts=opts)
        return [binding]


KIND = OpentalkKind()
