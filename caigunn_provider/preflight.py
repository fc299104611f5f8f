"""Checks made before anything is declared: the API answers, the token is accepted, plans exist."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from caigunn_provider.client import CaiGunnClient, Level, Plan
from caigunn_provider.errors import (
    APIConnectionError,
    APIError,
    AuthError,
    CaiGunnError,
    NotFoundError,
    StackFileError,
)
from caigunn_provider.settings import API_URL, SET_TOKEN, Settings
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
    where = f"the CaiGunn API at {settings.api_url}"
    check_url = (
        f"Check {API_URL[0]} (`pulumi config set {API_URL[0]} <url>` or {API_URL[1]}) "
        "and the network; nothing was changed."
    )
    try:
        level = client.api_level()
        if level == "seed":
            # The chatbot list is the one route every CaiGunn API has: it proves the URL.
            client.list_chatbots_page(0, 1)
        plans = client.list_plans() if level == "current" else []
    except AuthError as exc:
        raise PreflightError(f"CaiGunn refused the access token ({exc}).\n{SET_TOKEN}") from exc
    except APIConnectionError as exc:
        raise PreflightError(f"Could not reach {where} ({exc}).\n{check_url}") from exc
    except NotFoundError as exc:
        raise PreflightError(
            f"{settings.api_url} does not answer like a CaiGunn API ({exc}).\n{check_url}"
        ) from exc
    except APIError as exc:
        raise PreflightError(
            f"{where} failed ({exc}).\nTry again later; nothing was changed."
        ) from exc
    return Account(client, level, plans)


def check_entries(stack_file: StackFile, account: Account) -> Mapping[str, str]:
    """Each entry's plan id, checked against the account where the API lists plans.

    StackFileError lists every entry whose plan the account lacks, with its file and line.
    """
    known = {plan.id: plan for plan in account.plans}
    plan_ids: dict[str, str] = {}
    problems: list[str] = []
    for name, spec in stack_file.chatbots.items():
        if account.level == "current" and spec.plan_id not in known:
            names = ", ".join(sorted(plan.title for plan in account.plans)) or "none"
            problems.append(
                f"{stack_file.path}:{spec.line}: chatbots.{name}.plan_id: {spec.plan_id} is not "
                f"a plan of this CaiGunn account (its plans: {names})"
            )
        plan_ids[name] = spec.plan_id
    if problems:
        raise StackFileError(problems)
    return plan_ids
