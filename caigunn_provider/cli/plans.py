"""`plans`: the account's plans (id and name), the names a stack file's `plan:` may use."""

from __future__ import annotations

from collections.abc import Sequence

from caigunn_provider.cli.account import connect
from caigunn_provider.cli.common import EXIT_OK, CliError, new_parser, run
from caigunn_provider.cli.output import print_json, print_table
from caigunn_provider.cli.workspace import open_workspace

EXAMPLE = """\
  python -m caigunn_provider plans
  python -m caigunn_provider plans --stack prod --json | jq -r '.plans[].name'"""


def main(argv: Sequence[str]) -> int:
    parser = new_parser("plans", "List the plans of the CaiGunn account (id, name).", EXAMPLE)
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
        print_json({"plans": [{"id": plan.id, "name": plan.title} for plan in plans]})
    elif not plans:
        print("This CaiGunn account has no plans.")
    else:
        print_table(["ID", "NAME"], [[plan.id, plan.title] for plan in plans])
    return EXIT_OK
