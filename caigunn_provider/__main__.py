"""Command-line dispatcher: `python -m caigunn_provider <command> [flags]`."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Each command's module has main(args) -> exit status; imported only when its command runs, so
# that the emulator's dependencies (FastAPI, uvicorn) never load for the others.
COMMANDS = {
    "plans": ("caigunn_provider.cli.plans", "list the account's plans (id, name, limits, price)"),
    "chatbots": (
        "caigunn_provider.cli.chatbots",
        "list every chatbot, its plan and the stack entry that manages it",
    ),
    "adopt": (
        "caigunn_provider.cli.adopt",
        "write stack-file entries with import: for the chatbots no entry manages",
    ),
    "token": (
        "caigunn_provider.cli.token",
        "token refresh: renew the access token into the stack's secret config",
    ),
    "knowledge": (
        "caigunn_provider.cli.knowledge",
        "list each chatbot's training data and the stack-file item that manages each row",
    ),
    "check": (
        "caigunn_provider.cli.check",
        "ask the stack file's answer checks of the chatbots as they serve now",
    ),
    "ask": ("caigunn_provider.cli.ask", "ask an entry's chatbot one question and print the answer"),
    "conversations": (
        "caigunn_provider.cli.conversations",
        "export an entry's conversations and their messages (JSON lines or CSV)",
    ),
    "checks": (
        "caigunn_provider.cli.checks",
        "checks export: an entry's answer checks as a promptfoo config",
    ),
    "emulator": ("caigunn_provider.emulator.server", "serve a local CaiGunn API"),
}

# Commands whose dependencies are an optional extra of the package (pyproject.toml).
NEEDS_EXTRA = {"emulator": "emulator"}

EPILOG = """\
example (bring an existing account under management in three commands):
  python -m caigunn_provider chatbots          # what the account holds, and who manages it
  python -m caigunn_provider adopt --write     # an import: entry for each unmanaged chatbot
  pulumi up                                    # adopts them all; creates nothing

Each command has --help. Settings come from the selected stack's caigunn:* config
(`pulumi config`), else CAIGUNN_ACCESS_TOKEN and CAIGUNN_API_URL.
exit status: 0 done, 1 CaiGunn or a setting or the stack file failed, 2 bad command line
(check: 3 when a check failed)"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; its exit status."""
    width = max(map(len, COMMANDS)) + 2
    commands = "\n".join(f"  {name:<{width}}{help_}" for name, (_, help_) in COMMANDS.items())
    parser = argparse.ArgumentParser(
        prog="python -m caigunn_provider",
        description=f"CaiGunn chatbots as code: the command line.\n\ncommands:\n{commands}",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=list(COMMANDS), metavar="command", help="see above")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="the command's own flags")
    ns = parser.parse_args(argv)
    try:
        module = importlib.import_module(COMMANDS[ns.command][0])
    except ModuleNotFoundError as exc:
        if ns.command not in NEEDS_EXTRA:
            raise
        extra = NEEDS_EXTRA[ns.command]
        print(
            f"error: the {ns.command} command needs the package's [{extra}] extra ({exc.name} is"
            f" not installed): pip install 'caigunn-provider[{extra}]'",
            file=sys.stderr,
        )
        return 1
    status: int = module.main(ns.args)
    return status


if __name__ == "__main__":
    sys.exit(main())
