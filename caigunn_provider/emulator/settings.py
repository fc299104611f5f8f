"""Start-up settings of one emulator instance."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Literal

from caigunn_provider.emulator.knobs import Knobs

Level = Literal["current", "seed"]
LEVELS: tuple[Level, ...] = ("current", "seed")

DEFAULT_TOKEN = "demo-token"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
# The one line printed on stdout, followed by the base URL, once the server accepts connections.
READY_PREFIX = "CaiGunn emulator listening on "


@dataclass(frozen=True)
class EmulatorSettings:
    """What the command line decides once, at start-up; `knobs` can change later at run time."""

    token: str = DEFAULT_TOKEN
    level: Level = "current"
    db: str | None = None
    preload: int = 0
    request_log: str | None = None
    seed: int = 0
    # Text every new api_key starts with (the rest stays random), so that a test can look for
    # api_keys where they must not be: a canary.
    api_key_prefix: str = ""
    knobs: Knobs = field(default_factory=Knobs)
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT

    def __post_init__(self) -> None:
        # An empty token would make a request without the header's value pass the check.
        if not self.token.strip():
            raise ValueError("token: must not be empty or blank")
        if not self.api_key_prefix.isascii() or not self.api_key_prefix.isprintable():
            raise ValueError("api_key_prefix: must be printable ASCII")
        if self.preload < 0:
            raise ValueError("preload: must be 0 or more")


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach an address (a name other than localhost: unknown)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
