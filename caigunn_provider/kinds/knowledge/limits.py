"""Knowledge at preview: each entry's items held to its plan's limits."""

from __future__ import annotations

from caigunn_provider.client import Plan
from caigunn_provider.kinds.knowledge.section import KnowledgeSpec
from caigunn_provider.messages import LARGER_PLAN
from caigunn_provider.stackfile.problems import at, count

__all__ = ["check_plan_limits"]


def check_plan_limits(path: str, name: str, knowledge: KnowledgeSpec, plan: Plan) -> list[str]:
    """The entry's text and website items against its plan's character_limit and crawler_limit.

    A limit the plan list does not give is not checked. Training data made outside the stack
    counts towards the limits too, but is not known here: CaiGunn's own refusal covers it.
    """
    problems: list[str] = []
    texts = [item for item in knowledge.items if item.kind in ("text", "text_file")]
    characters = sum(item.characters for item in texts)
    if plan.character_limit is not None and characters > plan.character_limit:
        line = knowledge.lines.get("knowledge", texts[0].line if texts else 0)
        problems.append(
            f"{at(path, line)}: chatbots.{name}.knowledge: its text items hold "
            f"{count(characters)} characters, and plan {plan.title!r} allows "
            f"{count(plan.character_limit)} (its character_limit): training would fail with "
            f"'Character limit exceeded'; shorten the texts or {LARGER_PLAN}"
        )
    websites = [item for item in knowledge.items if item.kind == "website"]
    if plan.crawler_limit is not None and len(websites) > plan.crawler_limit:
        first_over = websites[plan.crawler_limit]
        problems.append(
            f"{at(path, first_over.line)}: chatbots.{name}.knowledge"
            f"[{knowledge.items.index(first_over)}].website: {count(len(websites))} "
            f"website items, and plan {plan.title!r} allows {count(plan.crawler_limit)} (its "
            f"crawler_limit); remove some or {LARGER_PLAN}"
        )
    return problems
