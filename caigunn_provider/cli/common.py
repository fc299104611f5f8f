"""What every command shares: its parser, its common flags, its errors and their exit codes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from caigunn_provider import messages
from caigunn_provider.errors import (
    APIConnectionError,
    APIError,
    CaiGunnError,
    StackFileError,
)

EXIT_OK = 0
# The API refused or failed, a setting or the stack file is wrong, or the request cannot be met.
EXIT_ERROR = 1
# The command line itself is wrong (argparse's own status for it).
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

EXIT_CODES = f"""\
exit status:
  {EXIT_OK}  done
  {EXIT_ERROR}  CaiGunn refused or failed, a setting or the stack file is wrong, or the
     request cannot be met (the message on stderr says which and what to do)
  {EXIT_USAGE}  the command line is wrong (unknown flag, malformed value)"""


class CliError(CaiGunnError):
    """A command cannot do what was asked; the message says why and what to do."""


def new_parser(command: str, description: str, example: str) -> argparse.ArgumentParser:
    """A command's parser with --stack and --json, its example and the exit codes in --help."""
    parser = argparse.ArgumentParser(
        prog=f"python -m caigunn_provider {command}",
        description=description,
        epilog=f"example:\n{example}\n\n{EXIT_CODES}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--stack",
        metavar="NAME",
        help="the Pulumi stack whose config, state and stacks/NAME.yaml to use "
        "(default: the selected stack)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print JSON for scripts instead of a table"
    )
    return parser


def add_progress_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show how many chatbots have been read on stderr while the list is paged "
        "(default: only when stderr is a terminal)",
    )


def run(body: Callable[[], int]) -> int:
    """Run a command's body; any error becomes a message on stderr and exit status 1."""
    try:
        return body()
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except CaiGunnError as exc:
        print(f"error: {explain(exc)}", file=sys.stderr)
        return EXIT_ERROR


def explain(exc: CaiGunnError) -> str:
    """An error in the user's terms: what happened, then what to do. Never a setting's value."""
    if isinstance(exc, APIError | APIConnectionError):
        # The words are the provider's: the pre-flight and the provider say the same.
        return messages.account_unusable(exc)
    if isinstance(exc, StackFileError):
        return f"invalid stack file:\n{exc}"
    return str(exc)
