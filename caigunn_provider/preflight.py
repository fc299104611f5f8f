"""Checks before anything is declared: the API, the token, the plans, the chatbots to update."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from caigunn_provider import policy
from caigunn_provider.client import CaiGunnClient, Level, Plan
from caigunn_provider.errors import (
    APIConnectionError,
    APIError,
    CaiGunnError,
    NotFoundError,
    StackFileError,
)
from caigunn_provider.ids import is_canonical_id
from caigunn_provider.kinds.knowledge.limits import check_knowledge_preflight
from caigunn_provider.settings import Settings
from caigunn_provider.stackfile import StackFile


class PreflightError(CaiGunnError):
    """A check before the run failed: one line naming the cause, one saying what to do."""


@dataclass
class Account:
    """The account as the pre-flight found it."""

    client: CaiGunnClient
    level: Level
    plans: list[Plan]


def check_account(settings: Settings) -> Account:
    """One cheap authenticated call (two at the seed level), and the plans where listed."""
    # A wrong or unreachable host should fail in seconds, while a busy server (429, 5xx) is
    # retried as usual.
    client = CaiGunnClient(
        settings.api_url, settings.token, timeout=settings.timeout, connect_retries=1
    )
    try:
        level = client.api_level()
        if level == "seed":
            # The chatbot list is the one route every CaiGunn API has: it proves the URL (and the
            # token: a seed server answers its missing plan route 404 whatever the token).
            client.list_chatbots_page(0, 1)
        plans = client.list_plans() if level == "current" else []
    except (APIError, APIConnectionError) as exc:
        client.close()
        raise PreflightError(policy.account_unusable(exc, settings.api_url)) from exc
    return Account(client, level, plans)


def check_entries(stack_file: StackFile, account: Account) -> Mapping[str, str]:
    """Each entry's plan id, named plans resolved, checked against the account's plans.

    StackFileError lists every problem with its file and line: a plan the account lacks, a plan
    name that matches no plan or several, what a seed-level API cannot do (plan names, settings
    and knowledge need the later API), and knowledge beyond its plan's limits.
    """
    plan_ids: dict[str, str] = {}
    problems: list[str] = []
    for name, spec in stack_file.chatbots.items():
        where = f"{stack_file.path}:{{line}}: chatbots.{name}"
        plan_id, problem = _plan_of(spec.plan, spec.plan_id, account)
        if problem is not None:
            key = "plan" if spec.plan is not None else "plan_id"
            problems.append(f"{where.format(line=spec.lines[key])}.{key}: {problem}")
        elif plan_id is not None:
            plan_ids[name] = plan_id
        if spec.settings and account.level == "seed":
            # Named as the entry writes them: a prompt may come from prompt_file.
            written = [
                key for key in spec.lines if key in spec.settings or key == "prompt_file"
            ] or list(spec.settings)
            line = spec.lines.get(written[0], spec.line)
            problems.append(
                f"{where.format(line=line)}.{written[0]}: chatbot settings "
                f"({', '.join(written)}) need the current CaiGunn API, and this one offers only "
                "list and create; remove them from the entry"
            )
    problems.extend(
        check_knowledge_preflight(
            stack_file, plan_ids, account.plans, supported=account.level == "current"
        )
    )
    if problems:
        raise StackFileError(problems)
    return plan_ids


def check_updated_exist(
    stack_file: StackFile,
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
    if account.level != "current":
        return
    updated = {
        name: owned[name]
        for name, spec in stack_file.chatbots.items()
        if name in owned
        and is_canonical_id(owned[name])  # any other id is the update's to report
        and _updates(spec.title, spec.settings, plan_ids[name], recorded[name])
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
    with ThreadPoolExecutor(max_workers=4) as pool:
        found = pool.map(is_gone, updated)
        gone = [name for name, lost in zip(updated, found, strict=True) if lost]
    if gone:
        raise PreflightError(
            "\n".join(
                f"{stack_file.path}:{stack_file.chatbots[name].line}: chatbots.{name}: "
                + policy.gone(updated[name])
                for name in gone
            )
        )


def _updates(
    title: str, settings: Mapping[str, object], plan_id: str, recorded: Mapping[str, Any]
) -> bool:
    """Whether the entry, as declared, differs from its recorded inputs by an in-place update."""
    kept = recorded.get("settings") or {}
    return recorded.get("plan_id") == plan_id and (
        recorded.get("title") != title
        or not isinstance(kept, Mapping)
        or dict(kept) != dict(settings)
    )


def _plan_of(
    name: str | None, plan_id: str | None, account: Account
) -> tuple[str | None, str | None]:
    """(plan id, None) or (None, what is wrong). Names match case-insensitively, exactly once."""
    names = ", ".join(sorted(plan.title for plan in account.plans)) or "none"
    if name is not None:
        if account.level == "seed":
            return None, (
                "plan names need the current CaiGunn API, which lists plans; this one does not, "
                "so give the plan's id as plan_id, which works everywhere"
            )
        matches = [plan for plan in account.plans if plan.title.casefold() == name.casefold()]
        if not matches:
            return None, f"no plan named {name!r} in this CaiGunn account (its plans: {names})"
        if len(matches) > 1:
            ids = ", ".join(plan.id for plan in matches)
            return None, f"{len(matches)} plans are named {name!r} ({ids}); use plan_id instead"
        return matches[0].id, None
    if account.level == "current" and plan_id not in {plan.id for plan in account.plans}:
        return None, f"{plan_id} is not a plan of this CaiGunn account (its plans: {names})"
    return plan_id, None
