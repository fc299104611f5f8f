"""The emulator's command line: parse flags, serve with uvicorn, announce readiness, stop."""

from __future__ import annotations

import argparse
import json
import signal
import socket
import sys
from collections.abc import Sequence
from types import FrameType
from typing import Any, Literal, get_args, get_origin

import uvicorn
from pydantic import BaseModel, ValidationError

from caigunn_provider.emulator.app import create_app
from caigunn_provider.emulator.knobs import Knobs
from caigunn_provider.emulator.route_docs import help_epilog
from caigunn_provider.emulator.settings import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_TOKEN,
    LEVELS,
    READY_PREFIX,
    EmulatorSettings,
    is_loopback,
)

__all__ = ["build_parser", "is_loopback", "main", "settings_from_args"]


def build_parser() -> argparse.ArgumentParser:
    """The `emulator` subcommand's flags (docs/emulator.md); the knobs' come from `Knobs`."""
    parser = argparse.ArgumentParser(
        prog="python -m caigunn_provider emulator",
        description="Serve a local CaiGunn API emulator (docs/emulator.md).",
        epilog=help_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help="address to bind (default %(default)s; any other is reachable from elsewhere)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help="port; 0 picks a free one (default %(default)s)",
    )
    parser.add_argument(
        "--token",
        default=DEFAULT_TOKEN,
        help="the accepted access token at start (a refresh replaces it)",
    )
    parser.add_argument("--db", help="SQLite file that survives restarts (default: in memory)")
    parser.add_argument("--level", choices=LEVELS, default="current", help="API level to offer")
    parser.add_argument(
        "--preload", type=int, default=0, help="N chatbots to add to an empty store"
    )
    parser.add_argument("--request-log", help="append one JSON line per CaiGunn request here")
    parser.add_argument("--seed", type=int, default=0, help="seed of the failure-rate random")
    parser.add_argument(
        "--api-key-prefix",
        default="",
        help="text every new api_key starts with, the rest random (a canary for leak tests)",
    )
    add_knob_flags(parser)
    return parser


def add_knob_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per knob: `--dashed-name`, help and default from the field. The value is kept as
    text (booleans aside) so that the model alone converts and validates it."""
    group = parser.add_argument_group("knobs (also settable at run time: PUT /_emulator/knobs)")
    for name, info in Knobs.model_fields.items():
        flag = "--" + name.replace("_", "-")
        help_text = f"{info.description} (default: {_shown(info.default)})"
        if info.annotation is bool:
            group.add_argument(
                flag,
                dest=name,
                action=argparse.BooleanOptionalAction,
                default=argparse.SUPPRESS,
                help=help_text,
            )
            continue
        choices = get_args(info.annotation) if get_origin(info.annotation) is Literal else None
        group.add_argument(
            flag,
            dest=name,
            default=argparse.SUPPRESS,  # a flag not given leaves the model's default
            choices=choices,
            metavar=_metavar(info.annotation) if choices is None else None,
            help=help_text,
        )


def knobs_from_args(args: argparse.Namespace) -> Knobs:
    """The knobs the flags give; ValueError (pydantic's for a bad value) naming the knob."""
    given = {}
    for name, info in Knobs.model_fields.items():
        if hasattr(args, name):
            given[name] = _knob_value(name, info.annotation, getattr(args, name))
    return Knobs.model_validate(given)


def _knob_value(name: str, annotation: Any, value: Any) -> Any:
    if get_origin(annotation) is not tuple or not isinstance(value, str):
        return value
    item = get_args(annotation)[0]
    if isinstance(item, type) and issubclass(item, BaseModel):  # a list of rules: JSON
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{name}: not a JSON list ({exc})") from exc
    return [part.strip() for part in value.split(",") if part.strip()]


def _metavar(annotation: Any) -> str:
    if get_origin(annotation) is tuple:
        item = get_args(annotation)[0]
        return "JSON" if isinstance(item, type) and issubclass(item, BaseModel) else "A,B,..."
    text = str(annotation)
    if "datetime" in text.lower():
        return "TIME"
    return "TEXT" if annotation is str or "str" in text else "N"


def _shown(default: Any) -> str:
    if isinstance(default, tuple):
        return ",".join(str(item) for item in default) or "none"
    return "none" if default is None else str(default)


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def settings_from_args(args: argparse.Namespace) -> EmulatorSettings:
    """Settings from parsed flags; ValueError (pydantic's for a knob) if a value is refused."""
    return EmulatorSettings(
        token=args.token,
        level=args.level,
        db=args.db,
        preload=args.preload,
        request_log=args.request_log,
        seed=args.seed,
        api_key_prefix=args.api_key_prefix,
        knobs=knobs_from_args(args),
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
    except ValueError as exc:  # "<setting>: <problem>", the setting named as its flag
        parser.error(_flag(str(exc)))
    if not is_loopback(settings.host):
        print(
            f"warning: listening on {settings.host}: this emulator is reachable from other "
            "machines, and anyone who can reach it can use its test token",
            file=sys.stderr,
            flush=True,
        )
    serve(settings)
    return 0


def _knob_problems(exc: ValidationError) -> str:
    errors: list[Any] = exc.errors(include_url=False)
    return "; ".join(
        f"{_flag(str(error['loc'][0]))}"
        + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"][1:])
        + f": {error['msg']}"
        for error in errors
    )


if __name__ == "__main__":
    sys.exit(main())
