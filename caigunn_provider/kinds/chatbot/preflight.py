"""The chatbots' checks before anything is declared: their plans, what the server can do, the
chatbots to update.

Runs in the program process, after caigunn_provider.account.connect() checked the account.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from caigunn_provider import messages
from caigunn_provider.account import Account
from caigunn_provider.capabilities import NEEDS_CURRENT_API, SEED_OFFERS
from caigunn_provider.client import Plan
from caigunn_provider.errors import CaiGunnError, NotFoundError, StackFileError
from caigunn_provider.ids import is_canonical_id
from caigunn_provider.kinds.chatbot.fields import needs_update
from caigunn_provider.kinds.chatbot.spec import ChatbotSpec
from caigunn_provider.kinds.knowledge.limits import check_knowledge_preflight


class PreflightError(CaiGunnError):
    """A check before the run failed: one line naming the cause, one saying what to do."""


def check_entries(
    path: str, chatbots: Mapping[str, ChatbotSpec], account: Account
) -> Mapping[str, str]:
    """Each entry's plan id, named plans resolved, checked against the account's plans.

    StackFileError lists every problem with its file and line: a plan the account lacks, a plan
    name that matches no plan or several, what a seed-level API cannot do (plan names, settings
    and knowledge need the later API), and knowledge beyond its plan's limits.
    """
    plan_ids: dict[str, str] = {}
    problems: list[str] = []
    for name, spec in chatbots.items():
        where = f"{{at}}: chatbots.{name}"
        plan_id, problem = _plan_of(spec.plan, spec.plan_id, account)
        if problem is not None:
            key = "plan" if spec.plan is not None else "plan_id"
            problems.append(f"{where.format(at=at(path, spec.lines.get(key)))}.{key}: {problem}")
        elif plan_id is not None:
            plan_ids[name] = plan_id
        if spec.settings and not account.caps.takes_settings:
            # Named as the entry writes them: a prompt may come from prompt_file.
            written = [
                key for key in spec.lines if key in spec.settings or key == "prompt_file"
            ] or list(spec.settings)
            line = spec.lines.get(written[0], spec.line)
            problems.append(
                f"{where.format(at=at(path, line))}.{written[0]}: chatbot settings "
                f"({', '.join(written)}) need {NEEDS_CURRENT_API}, and this one offers "
                f"{SEED_OFFERS}; remove them from the entry"
            )
    problems.extend(
        check_knowledge_preflight(
            path, chatbots, plan_ids, account.plans, supported=account.caps.chatbot_level_api
        )
    )
    if problems:
        raise StackFileError(problems)
    return plan_ids


def check_updated_exist(
    path: str,
    chatbots: Mapping[str, ChatbotSpec],
    account: Account,
    plan_ids: Mapping[str, str],
    owned: Mapping[str, str],
    recorded: Mapping[str, Mapping[str, Any]],
) -> None:
    """Each chatbot this run would update in place still exists (current level: one GET each).

    A chatbot deleted outside Pulumi is found before anything is written, with its entry named,
    rather than by its update failing halfway through the run. Only a definite 404 stops the run:
    any other failure is left to the update, which reports it. (An entry whose plan changed is
    replaced, not updated: its create does not need the old chatbot.)
    """
    if not account.caps.read_by_id:
        return
    updated = {
        name: owned[name]
        for name, spec in chatbots.items()
        if name in owned
        and is_canonical_id(owned[name])  # any other id is the update's to report
        and recorded[name].get("plan_id") == plan_ids[name]  # a new plan replaces: no update
        and needs_update(recorded[name], spec.title, spec.settings)
    }

    def is_gone(name: str) -> bool:
        try:
            account.client.get_chatbot(updated[name])
        except NotFoundError:
            return True
        except CaiGunnError:
            pass  # proves nothing: the update meets it again and reports it
        return False

    if not updated:
        return
    # As many at once as the account-wide limit allows (caigunn:maxConcurrency, default 16).
    with ThreadPoolExecutor(max_workers=account.client.transport.limiter.limit) as pool:
        found = pool.map(is_gone, updated)
        gone = [name for name, lost in zip(updated, found, strict=True) if lost]
    if gone:
        raise PreflightError(
            "\n".join(
                f"{at(path, chatbots[name].line)}: chatbots.{name}: " + messages.gone(updated[name])
                for name in gone
            )
        )


def at(source: str, line: int | None) -> str:
    """`stacks/dev.yaml:7`, or the source alone for entries a program declared (no lines)."""
    return f"{source}:{line}" if line else source


def _close_plan(name: str, plans: list[Plan]) -> str | None:
    """The one plan title close to name (a typo), or None when none or several are."""
    by_folded: dict[str, list[str]] = {}
    for plan in plans:
        by_folded.setdefault(plan.title.casefold(), []).append(plan.title)
    close = difflib.get_close_matches(name.casefold()[:100], list(by_folded), n=2, cutoff=0.6)
    if len(close) == 1 and len(by_folded[close[0]]) == 1:
        return by_folded[close[0]][0]
    return None


def _plan_of(
    name: str | None, plan_id: str | None, account: Account
) -> tuple[str | None, str | None]:
    """(plan id, None) or (None, what is wrong). Names match case-insensitively, exactly once."""
    names = ", ".join(sorted(plan.title for plan in account.plans)) or "none"
    if name is not None:
        if not account.caps.lists_plans:
            return None, (
                "plan names need the current CaiGunn API, which lists plans; this one does not, "
                "so give the plan's id as plan_id, which works everywhere"
            )
        matches = [plan for plan in account.plans if plan.title.casefold() == name.casefold()]
        if not matches:
            hint = _close_plan(name, account.plans)
            hint = f"did you mean {hint!r}? " if hint else ""
            return (
                None,
                f"no plan named {name!r} in this CaiGunn account ({hint}its plans: {names})",
            )
        if len(matches) > 1:
            ids = ", ".join(plan.id for plan in matches)
            return None, f"{len(matches)} plans are named {name!r} ({ids}); use plan_id instead"
        return matches[0].id, None
    if account.caps.lists_plans and plan_id not in {plan.id for plan in account.plans}:
        return None, f"{plan_id} is not a plan of this CaiGunn account (its plans: {names})"
    return plan_id, None
