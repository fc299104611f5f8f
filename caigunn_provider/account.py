"""The CaiGunn account behind a configuration, checked first: what it can do, and its plans.

Runs in the program process (the pre-flight) and in the command line; both say the same words
when the account cannot be used (messages.account_unusable).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from caigunn_provider import messages
from caigunn_provider.capabilities import Capabilities
from caigunn_provider.client import CaiGunnClient, Plan
from caigunn_provider.client.operations import PLAN_PAGE
from caigunn_provider.config import ProviderConfig
from caigunn_provider.errors import APIConnectionError, APIError, CaiGunnError


class AccountError(CaiGunnError):
    """The account cannot be used: one line naming the cause, one saying what to do."""


@dataclass
class Account:
    """One account through one client; plans is empty where the server lists none."""

    client: CaiGunnClient
    caps: Capabilities
    plans: list[Plan]

    def plan_name(self, plan_id: str | None) -> str | None:
        """The name of a plan the account lists; None when unknown."""
        for plan in self.plans:
            if plan.id == plan_id:
                return plan.title
        return None

    def close(self) -> None:
        self.client.close()


def connect(config: ProviderConfig) -> Account:
    """One round trip of cheap authenticated calls, with the plans where listed."""
    # A wrong or unreachable host should fail in seconds, while a busy server (429, 5xx) is
    # retried as usual.
    client = config.client(connect_retries=1)
    # Beside the probe (the plan list's first page), in the same round trip: the chatbot list,
    # the one route every CaiGunn API has, which proves the URL where the plan route is missing
    # (and the token: a server without the plan route answers it 404 whatever the token); and
    # the plan page one row further on, which tells whether the first page was the whole list.
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="caigunn-account")
    listed = pool.submit(client.list_chatbots_page, 0, 1)
    shifted = pool.submit(client.list_plans_page, 1, PLAN_PAGE)
    try:
        caps = client.capabilities()
        if not caps.lists_plans:
            listed.result()
        # The shifted page is a plan page like the probe: its failure is the account's.
        plans = client.list_plans(shifted=shifted.result()) if caps.lists_plans else []
    except (APIError, APIConnectionError) as exc:
        pool.shutdown(wait=True)
        client.close()
        raise AccountError(
            messages.account_unusable(
                exc,
                config.api_url,
                token_source=config.token_source,
                api_url_source=config.api_url_source,
            )
        ) from exc
    # Where plans are listed, the plan route proved the token: the page's answer is not needed.
    pool.shutdown(wait=False)
    return Account(client, caps, plans)
