"""`checks export`: an entry's answer checks written for another tool (promptfoo)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from caigunn_provider.cli.common import EXIT_OK, CliError, run
from caigunn_provider.cli.entries import bare_parser, checks_of
from caigunn_provider.cli.output import counted
from caigunn_provider.cli.promptfoo import API_KEY_ENV, promptfoo_config
from caigunn_provider.cli.workspace import Workspace, open_workspace
from caigunn_provider.config import API_URL, DEFAULT_API_URL, TOKEN

EXAMPLE = """\
  python -m caigunn_provider checks export support --promptfoo promptfooconfig.yaml
  python -m caigunn_provider checks export support --promptfoo - --stack prod | less"""


def main(argv: Sequence[str]) -> int:
    parser = bare_parser(
        "checks",
        "export: write the answer checks a stack entry declares as a promptfoo config that\n"
        "calls the chatbot's talk route (promptfoo's http provider), one test per check.\n"
        f"The api_key and the token are {API_KEY_ENV} and {TOKEN[1]} references that promptfoo\n"
        "fills from its environment: the file holds no secret. Reads only the stack file and\n"
        "the API URL (caigunn:apiUrl, else CAIGUNN_API_URL); asks CaiGunn nothing.",
        EXAMPLE,
    )
    parser.add_argument("action", choices=["export"], metavar="export", help="what to do")
    parser.add_argument("entry", metavar="ENTRY", help="the stack entry whose checks to write")
    parser.add_argument(
        "--promptfoo",
        required=True,
        type=Path,
        metavar="FILE",
        help="where to write the promptfoo config (- for stdout)",
    )
    args = parser.parse_args(argv)
    return run(lambda: _export(args))


def _export(args: argparse.Namespace) -> int:
    workspace = open_workspace(args.stack)
    checks = checks_of(workspace, [args.entry])[args.entry]
    source = workspace.shown(workspace.stack_file) if workspace.stack_file else "stack file"
    try:
        text = promptfoo_config(args.entry, source, api_url(workspace), checks.checks)
    except ValueError as exc:
        raise CliError(
            f"the checks of {args.entry!r} cannot be written for promptfoo: {exc}"
        ) from exc
    if str(args.promptfoo) == "-":
        sys.stdout.write(text)
        return EXIT_OK
    try:
        args.promptfoo.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CliError(f"{args.promptfoo} could not be written: {exc}") from exc
    print(
        f"Wrote {counted(len(checks.checks), 'check')} of {args.entry!r} to {args.promptfoo}: "
        f"run `npx promptfoo eval -c {args.promptfoo}` with {API_KEY_ENV} and {TOKEN[1]} set.",
        file=sys.stderr,
    )
    return EXIT_OK


def api_url(workspace: Workspace) -> str:
    """The API URL as the provider resolves it (the stack's config, the environment, the
    default), without the token, which this command does not need."""
    raw = workspace.config.get(API_URL[0])
    if raw is None:
        raw = os.environ.get(API_URL[1])
    url = (str(raw) if raw is not None else DEFAULT_API_URL).strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CliError(
            f"{API_URL[0]} is not an http(s) URL such as {DEFAULT_API_URL}.\n"
            f"Set it with `pulumi config set {API_URL[0]} <url>` or {API_URL[1]}."
        )
    return url
