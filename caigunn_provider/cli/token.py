"""`token refresh`: a new access token from CaiGunn, stored as the stack's secret config."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date, datetime

from caigunn_provider.cli.common import EXIT_OK, CliError, new_parser, run
from caigunn_provider.cli.output import print_json
from caigunn_provider.cli.workspace import Workspace, open_workspace, set_secret_config
from caigunn_provider.client import RefreshedToken
from caigunn_provider.config import TOKEN, ProviderConfig

EXAMPLE = """\
  python -m caigunn_provider token refresh                      # into the stack's config
  python -m caigunn_provider token refresh --expires 2026-12-31 --stack prod
  python -m caigunn_provider token refresh --print > new-token   # for a CI secret store"""
FROM_ENV = (
    f"The access token in use came from the {TOKEN[1]} environment variable (the stack's config "
    f"sets no {TOKEN[0]}), so there is no stack config to write the new one to"
)


def main(argv: Sequence[str]) -> int:
    parser = new_parser(
        "token",
        "Ask CaiGunn for a new access token with the current one and store it in the selected\n"
        f"stack's config as a secret, as `pulumi config set --secret {TOKEN[0]}` would.\n"
        "The token is never printed, except with --print, which writes it alone to stdout.\n"
        "CaiGunn may retire the old token as it answers.",
        EXAMPLE,
    )
    parser.add_argument(
        "action", choices=["refresh"], metavar="refresh", help="what to do with the token"
    )
    parser.add_argument(
        "--expires",
        type=_day,
        metavar="YYYY-MM-DD",
        help="the day the new token should expire (CaiGunn's default when not given)",
    )
    parser.add_argument(
        "--print",
        dest="print_token",
        action="store_true",
        help="write the new token alone to stdout (for a CI secret store); messages go to stderr",
    )
    args = parser.parse_args(argv)
    if args.print_token and args.json:
        parser.error("--print and --json cannot be combined: stdout holds the token alone")
    return run(lambda: _refresh(args))


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


def _refresh(args: argparse.Namespace) -> int:
    workspace = open_workspace(args.stack)
    settings = workspace.settings()
    from_env = settings.token_source == "environment"
    if from_env and not args.print_token:
        # Refusing before asking: a refresh may retire the token the environment still holds.
        raise CliError(
            f"{FROM_ENV}.\nRun `python -m caigunn_provider token refresh --print` and put its "
            f"output where {TOKEN[1]} comes from (a CI secret store, say); or set the token in "
            f"the stack's config (`pulumi config set --secret {TOKEN[0]} <token>`) and run this "
            "again. Nothing was asked of CaiGunn."
        )
    if args.expires is not None and args.expires <= date.today():
        raise CliError(f"--expires {args.expires.isoformat()} is not in the future.")
    refreshed = _ask(settings, args.expires)
    if args.print_token:
        # Printed first: if writing the config fails, the new token is not lost.
        sys.stdout.write(refreshed.token + "\n")
        sys.stdout.flush()
    written = None if from_env else _write(workspace, refreshed)
    _report(workspace, refreshed, args.expires, written, as_json=args.json, to_err=args.print_token)
    return EXIT_OK


def _ask(settings: ProviderConfig, expires: date | None) -> RefreshedToken:
    client = settings.client()
    try:
        return client.refresh_token(expires)
    finally:
        client.close()


def _write(workspace: Workspace, refreshed: RefreshedToken) -> str:
    stack = workspace.stack
    if stack is None:  # a token from config implies a stack; kept for the type checker
        raise CliError("no Pulumi stack is selected to write the new token to (pass --stack).")
    try:
        set_secret_config(workspace.root, stack, TOKEN[0], refreshed.token)
    except CliError as exc:
        raise CliError(
            f"CaiGunn issued a new token, but it could not be stored: {exc}\nThe old token may "
            "no longer be valid. Run again with --print to capture the next new token."
        ) from None
    return f"the config of stack {stack} ({TOKEN[0]}, a secret)"


def _report(
    workspace: Workspace,
    refreshed: RefreshedToken,
    asked: date | None,
    written: str | None,
    *,
    as_json: bool,
    to_err: bool,
) -> None:
    until = _until(refreshed.expires_at, asked)
    if as_json:
        print_json(
            {
                "stack": workspace.stack,
                "written_to": written,
                "expires_at": refreshed.expires_at.isoformat() if refreshed.expires_at else None,
                "asked_expiry": asked.isoformat() if asked else None,
            }
        )
        return
    out = sys.stderr if to_err else sys.stdout
    if written is not None:
        print(f"Wrote the new access token to {written}. {until}", file=out)
        print("The next `pulumi up` uses it; the old token may no longer be accepted.", file=out)
    else:
        print(
            f"Printed the new access token. {FROM_ENV}: replace the value of {TOKEN[1]} with it. "
            f"{until}",
            file=out,
        )


def _until(expires_at: datetime | None, asked: date | None) -> str:
    if expires_at is not None:
        return f"CaiGunn says it is valid until {expires_at.isoformat()}."
    if asked is not None:
        return f"It was asked to be valid until {asked.isoformat()} (CaiGunn did not confirm it)."
    return "CaiGunn did not say until when it is valid."
