"""Command-line dispatcher: `python -m caigunn_provider <command> [flags]`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; its exit status."""
    parser = argparse.ArgumentParser(prog="python -m caigunn_provider")
    parser.add_argument("command", choices=["emulator"], help="emulator: serve a local CaiGunn API")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="the subcommand's own flags")
    ns = parser.parse_args(argv)
    # Imported here so a subcommand's dependencies (FastAPI, uvicorn) load only when it runs.
    from caigunn_provider.emulator.server import main as emulator_main

    return emulator_main(ns.args)


if __name__ == "__main__":
    sys.exit(main())
