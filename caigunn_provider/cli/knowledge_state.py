"""Which knowledge item of a stack made which training-data row: the `ids` of its KnowledgeItems
(a text's row, or an older state's file or website rows) and of its KnowledgeRows (a file's or a
website's rows, under the item's name)."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any

from caigunn_provider.cli.workspace import Workspace, run_pulumi
from caigunn_provider.ids import canonical_id
from caigunn_provider.kinds.knowledge.kind import ITEM_TYPE, ROWS_TYPE


def items_by_row(workspace: Workspace) -> dict[str, str]:
    """{training-data row id: the KnowledgeItem's name} from the stack's state; {} without one.

    An unreadable state is a warning, not an error: the rows are still listed, as unmanaged.
    """
    if not workspace.has_project or workspace.stack is None:
        return {}
    done = run_pulumi(workspace.root, "stack", "export", "--stack", workspace.stack)
    try:
        if done.returncode != 0:
            raise ValueError((done.stderr.strip().splitlines() or ["no message"])[-1][:300])
        deployment = json.loads(done.stdout).get("deployment") or {}
        return parse_items(deployment)
    except (ValueError, AttributeError) as exc:
        print(
            f"warning: the state of stack {workspace.stack!r} could not be read ({exc}); "
            "every row is shown as unmanaged",
            file=sys.stderr,
        )
        return {}


def parse_items(deployment: Mapping[str, Any]) -> dict[str, str]:
    """{row id: item name} of an exported deployment's live KnowledgeItems and KnowledgeRows
    (their `ids` output)."""
    found: dict[str, str] = {}
    for resource in deployment.get("resources") or []:
        if resource.get("type") not in (ITEM_TYPE, ROWS_TYPE) or resource.get("delete"):
            continue
        name = str(resource.get("urn", "")).rsplit("::", 1)[-1]
        ids = (resource.get("outputs") or {}).get("ids")
        for row_id in ids if isinstance(ids, list) else []:
            canonical = canonical_id(row_id)
            if canonical is not None:
                found[canonical] = name
    return found
