"""The knowledge kind inside a chatbot entry: `knowledge:` items and the `model:` trained on them.

Its stack-file side (keys, checks, plan limits, schema and docs fragments) loads without Pulumi;
declare() imports the resources when the program runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from caigunn_provider.client import Plan
from caigunn_provider.kinds.knowledge.limits import check_plan_limits
from caigunn_provider.kinds.knowledge.section import KNOWLEDGE_KEYS, KnowledgeSpec, check_knowledge
from caigunn_provider.program.checkpoint import dynamic_type
from caigunn_provider.stackfile.fragments import FolderFragments
from caigunn_provider.stackfile.problems import Problems

if TYPE_CHECKING:
    from caigunn_provider.program.kind import EntryContext

# The KnowledgeItem resource's type token (kinds/knowledge/resource.py), for readers of the state.
ITEM_TYPE = dynamic_type("caigunn", "KnowledgeItem")
# The KnowledgeRows resource's: a file's or website's rows, under its item's name.
ROWS_TYPE = dynamic_type("caigunn", "KnowledgeRows")


class KnowledgeKind(FolderFragments):
    """One KnowledgeItem per item, then the Model trained on them (kinds/knowledge/declare.py)."""

    name = "knowledge"
    keys = KNOWLEDGE_KEYS
    needs = ("training data", "models")

    def check(
        self, fields: Mapping[str, Any], path: str, base_dir: str, problems: Problems
    ) -> KnowledgeSpec | None:
        return check_knowledge(dict(fields), path, base_dir, problems)

    def limits(self, source: str, name: str, spec: KnowledgeSpec, plan: Plan) -> list[str]:
        return check_plan_limits(source, name, spec, plan)

    def declare(
        self, entry: str, chatbot: Any, spec: KnowledgeSpec, opts: Any, context: EntryContext
    ) -> Sequence[Any]:
        from caigunn_provider.kinds.knowledge.declare import declare_knowledge

        serve = "model_id" not in context.taken
        before = context.checkpoint.of_type(ITEM_TYPE) if context.checkpoint else None
        rows_before = context.checkpoint.of_type(ROWS_TYPE) if context.checkpoint else None
        return declare_knowledge(
            entry,
            chatbot.id,
            spec,
            opts,
            serve=serve,
            before=before,
            starts_first=context.starts_first,
            pending_creates=context.checkpoint.pending_creates if context.checkpoint else (),
            rows_before=rows_before,
        )


KIND = KnowledgeKind()
