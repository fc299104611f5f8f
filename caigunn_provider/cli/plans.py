"""`plans`: the account's plans (id, name, limits, price), the names a stack file's `plan:` may
use and what each allows, before a preview refuses an entry for it."""

from __future__ import annotations

from collections.abc import Sequence

from caigunn_provider.cli.account import connect
from caigunn_provider.cli.common import EXIT_OK, CliError, new_parser, run
from caigunn_provider.cli.output import print_json, print_table
from caigunn_provider.cli.workspace import open_workspace
from caigunn_provider.client import Plan

EXAMPLE = """\
  python -m caigunn_provider plans
  python -m caigunn_provider plans --stack prod --json | jq -r '.plans[].name'"""


def main(argv: Sequence[str]) -> int:
    parser = new_parser(
        "plans", "List the plans of the CaiGunn account (id, name, limits, price).", EXAMPLE
    )
    args = parser.parse_args(argv)
    return run(lambda: _plans(args.stack, as_json=args.json))


def _plans(stack: str | None, *, as_json: bool) -> int:
    settings = open_workspace(stack).settings()
    account = connect(settings)
    account.close()
    if not account.caps.lists_plans:
        raise CliError(
            f"the CaiGunn API at {settings.api_url} does not list plans: it offers only the "
            "original chatbot calls (list and create).\nTake plan ids from the CaiGunn "
            "console; `plan_id` works with every CaiGunn API."
        )
    # In the API's own order, which is the catalogue's (cheapest first, on the emulator).
    plans = account.plans
    if as_json:
        print_json({"plans": [_as_json(plan) for plan in plans]})
    elif not plans:
        print("This CaiGunn account has no plans.")
    else:
        print_table(
            ["ID", "NAME", "CHARACTERS", "CRAWLS", "TRAININGS", "PRICE"],
            [
                [
                    plan.id,
                    plan.title,
                    *(_shown(limit) for limit in _limits(plan)),
                    "" if plan.price is None else f"{plan.price:g}",
                ]
                for plan in plans
            ],
        )
        if any(limit is None for plan in plans for limit in _limits(plan)):
            print("(A blank limit is one the plan list does not give: it is not checked.)")
    return EXIT_OK


def _limits(plan: Plan) -> tuple[int | None, int | None, int | None]:
    return plan.character_limit, plan.crawler_limit, plan.training_limit


def _shown(limit: int | None) -> str:
    return "" if limit is None else f"{limit:,}"


def _as_json(plan: Plan) -> dict[str, object]:
    return {
        "id": plan.id,
        "name": plan.title,
        "character_limit": plan.character_limit,
        "crawler_limit": plan.crawler_limit,
        "training_limit": plan.training_limit,
        "price": plan.price,
    }
