"""The answer-checks kind inside a chatbot entry: `checks:` (and `checks_file:`) are asked of
the entry's new model or prompt before it stays in service; a failed check puts back what
served before.

Its stack-file side (keys, checks, schema and docs fragments) loads without Pulumi; declare()
imports the Serving step when the program runs. It comes after knowledge in the registry: the
Model that knowledge declares is what its checks gate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from caigunn_provider.client import Plan
from caigunn_provider.kinds.checks.section import CHECKS_KEYS, check_checks
from caigunn_provider.kinds.checks.spec import ChecksSpec
from caigunn_provider.stackfile.fragments import FolderFragments
from caigunn_provider.stackfile.problems import Problems

if TYPE_CHECKING:
    from caigunn_provider.program.kind import EntryContext


class ChecksKind(FolderFragments):
    """The Serving step of an entry with checks (kinds/checks/declare.py); its spec is a
    ChecksSpec. It manages the entry's prompt in the Chatbot's stead, so that a new prompt is
    served only once its checks pass."""

    name = "checks"
    keys = CHECKS_KEYS
    needs = ("answer checks",)
    takes = ("prompt", "model_id")

    def check(
        self, fields: Mapping[str, Any], path: str, base_dir: str, problems: Problems
    ) -> ChecksSpec | None:
        return check_checks(fields, path, base_dir, problems)

    def limits(self, source: str, name: str, spec: ChecksSpec, plan: Plan) -> list[str]:
        # A plan limits characters and crawls, not questions; the checks' own cap is the loader's.
        return []

    def declare(
        self, entry: str, chatbot: Any, spec: ChecksSpec, opts: Any, context: EntryContext
    ) -> Sequence[Any]:
        from caigunn_provider.kinds.checks.declare import declare_checks

        return declare_checks(entry, chatbot, spec, opts, context)

    def export(self, declared: Mapping[str, Sequence[Any]]) -> None:
        from caigunn_provider.kinds.checks.declare import export

        export(declared)


KIND = ChecksKind()
