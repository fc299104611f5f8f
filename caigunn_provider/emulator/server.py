"""The emulator's command line: parse flags, serve with uvicorn, announce readiness, stop."""

from __future__ import annotations

import argparse
import signal
import socket
import sys
from collections.abc import Sequence
from types import FrameType
from typing import Any

import uvicorn
from pydantic import ValidationError

from caigunn_provider.emulator.app import create_app
from caigunn_provider.emulator.faults import Knobs
from caigunn_provider.emulator.settings import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_TOKEN,
    LEVELS,
    READY_PREFIX,
    EmulatorSettings,
)


def _status_list(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated statuses, got {text!r}"
        ) from exc


def build_parser() -> argparse.ArgumentParser:
    """The `emulator` subcommand's flags (docs/CONTRACTS.md)."""
    parser = argparse.ArgumentParser(
        prog="python -m caigunn_provider emulator",
        description="Serve a local CaiGunn API emulator.",
    )
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help="address to bind (default %(default)s)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help="port; 0 picks a free one (default %(default)s)",
    )
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="the one accepted access token")
    parser.add_argument("--db", help="SQLite file that survives restarts (default: in memory)")
    parser.add_argument("--level", choices=LEVELS, default="current", help="API level to offer")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay added to each call")
    parser.add_argument("--fail-rate", type=float, default=0.0, help="share of calls that fail")
    parser.add_argument(
        "--fail-statuses", type=_status_list, default=(429, 500, 503), help="e.g. 429,500,503"
    )
    parser.add_argument("--retry-after", type=int, default=1, help="Retry-After seconds (429/503)")
    parser.add_argument(
        "--create-commits-then-500",
        type=int,
        default=0,
        help="the next N creates store the chatbot and then answer 500",
    )
    parser.add_argument("--max-limit", type=int, help="largest page size served (silently)")
    parser.add_argument("--newest-first", action="store_true", help="list newest chatbots first")
    parser.add_argument(
        "--preload", type=int, default=0, help="N chatbots to add to an empty store"
    )
    parser.add_argument("--request-log", help="append one JSON line per CaiGunn request here")
    parser.add_argument("--seed", type=int, default=0, help="seed of the failure-rate random")
    return parser


def settings_from_args(args: argparse.Namespace) -> EmulatorSettings:
    """Settings from parsed flags; pydantic.ValidationError if a knob value is out of range."""
    knobs = Knobs(
        latency_ms=args.latency_ms,
        fail_rate=args.fail_rate,
        fail_statuses=args.fail_statuses,
        retry_after=args.retry_after,
        create_commits_then_500=args.create_commits_then_500,
        max_limit=args.max_limit,
        newest_first=args.newest_first,
    )
    return EmulatorSettings(
        token=args.token,
        level=args.level,
        db=args.db,
        preload=args.preload,
        request_log=args.request_log,
        seed=args.seed,
        knobs=knobs,
        host=args.host,
        port=args.port,
    )


def base_url(host: str, port: int) -> str:
    """The URL clients use for a bound address."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class _AnnouncingServer(uvicorn.Server):
    """A uvicorn server that prints the ready line once its socket accepts connections."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and not self.should_exit:
            # With --port 0 only the bound socket knows the port.
            port = self.servers[0].sockets[0].getsockname()[1]
            print(READY_PREFIX + base_url(self.config.host, port), flush=True)


def serve(settings: EmulatorSettings) -> None:
    """Serve until SIGTERM or SIGINT, then shut down gracefully and return."""
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level="warning",
        access_log=False,  # the request log replaces it, and stdout carries only the ready line
        timeout_graceful_shutdown=5,
    )
    server = _AnnouncingServer(config)

    def stop(signum: int, frame: FrameType | None) -> None:
        server.should_exit = True

    # uvicorn swaps in its own handlers while serving and re-raises the signal after a graceful
    # shutdown; these make that re-raise (and a signal before serving starts) a clean exit.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)
    server.run()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator; the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = settings_from_args(args)
    except ValidationError as exc:
        parser.error(_knob_problems(exc))
    if settings.preload < 0:
        parser.error("--preload: must be 0 or more")
    serve(settings)
    return 0


def _knob_problems(exc: ValidationError) -> str:
    errors: list[Any] = exc.errors(include_url=False)
    return "; ".join(
        f"--{str(error['loc'][0]).replace('_', '-')}: {error['msg']}" for error in errors
    )


if __name__ == "__main__":
    sys.exit(main())
