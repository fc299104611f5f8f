"""Pre-flight of knowledge: the API must offer it, and each entry must fit its plan's limits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from caigunn_provider.client import Plan
from caigunn_provider.kinds.chatbot.spec import ChatbotSpec
from caigunn_provider.kinds.knowledge.section import KNOWLEDGE_KEYS, KnowledgeSpec
from caigunn_provider.stackfile.problems import count

__all__ = ["check_knowledge_preflight", "check_plan_limits", "refuse_knowledge"]


def at(source: str, line: int | None) -> str:
    """`stacks/dev.yaml:7`, or the source alone for entries a program declared (no lines)."""
    return f"{source}:{line}" if line else source


def check_knowledge_preflight(
    path: str,
    chatbots: Mapping[str, ChatbotSpec],
    plan_ids: Mapping[str, str],
    plans: Sequence[Plan],
    *,
    supported: bool,
) -> list[str]:
    """Every knowledge problem of the stack file as `file:line: path: what`, in entry order.

    supported says whether the API offers the chatbot-level routes (the current level): without
    them every knowledge, model and webhook key is refused; with them each entry is held to its
    plan's limits. plan_ids maps each entry to its resolved plan id (an entry without one is
    left to the plan check).
    """
    if not supported:
        return refuse_knowledge(path, chatbots)
    by_id = {plan.id: plan for plan in plans}
    problems: list[str] = []
    for name, spec in chatbots.items():
        plan = by_id.get(plan_ids.get(name, ""))
        if spec.knowledge is not None and plan is not None:
            problems.extend(check_plan_limits(path, name, spec.knowledge, plan))
    return problems


def refuse_knowledge(path: str, chatbots: Mapping[str, ChatbotSpec]) -> list[str]:
    """One problem per entry declaring knowledge, model or webhook: they need the current API."""
    problems: list[str] = []
    for name, spec in chatbots.items():
        if spec.knowledge is None:
            continue
        written = [key for key in KNOWLEDGE_KEYS if key in spec.knowledge.lines]
        line = spec.knowledge.lines[written[0]]
        keys = " and ".join([", ".join(written[:-1]), written[-1]] if len(written) > 1 else written)
        verb = "needs" if len(written) == 1 else "need"
        problems.append(
            f"{at(path, line)}: chatbots.{name}.{written[0]}: {keys} {verb} the "
            "current CaiGunn API (its chatbot-level routes: training data, models and "
            "webhooks), and this one offers only list and create; remove them from the entry"
        )
    return problems


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
            "'Character limit exceeded'; shorten the texts or choose a larger plan"
        )
    websites = [item for item in knowledge.items if item.kind == "website"]
    if plan.crawler_limit is not None and len(websites) > plan.crawler_limit:
        first_over = websites[plan.crawler_limit]
        problems.append(
            f"{at(path, first_over.line)}: chatbots.{name}.knowledge"
            f"[{knowledge.items.index(first_over)}].website: {count(len(websites))} "
            f"website items, and plan {plan.title!r} allows {count(plan.crawler_limit)} (its "
            "crawler_limit); remove some or choose a larger plan"
        )
    return problems
