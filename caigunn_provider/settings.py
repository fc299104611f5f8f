"""The provider's settings (token, API URL, timeout): where they come from, and the one check."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NoReturn
from urllib.parse import urlsplit

from caigunn_provider.client.transport import is_sendable_token, token_may_travel_to
from caigunn_provider.errors import ConfigError

DEFAULT_API_URL = "https://caigunn-api.ap-mic.com"
DEFAULT_TIMEOUT = 30.0

# Each setting: its stack-config key (namespace caigunn) and its environment fallback.
TOKEN = ("caigunn:accessToken", "CAIGUNN_ACCESS_TOKEN")
API_URL = ("caigunn:apiUrl", "CAIGUNN_API_URL")
TIMEOUT = ("caigunn:requestTimeout", "CAIGUNN_REQUEST_TIMEOUT")
TRAINING_TIMEOUT = ("caigunn:trainingTimeout", "CAIGUNN_TRAINING_TIMEOUT")
KEYS = (TOKEN[0], API_URL[0], TIMEOUT[0], TRAINING_TIMEOUT[0])
# How long a crawl, an upload or a training is waited for (seconds) before the run gives up on it.
DEFAULT_TRAINING_TIMEOUT = 1800.0
MAX_TRAINING_TIMEOUT = 24 * 3600.0

SET_TOKEN = (
    f"Set it with `pulumi config set --secret {TOKEN[0]} <token>` "
    f"or the {TOKEN[1]} environment variable."
)


@dataclass(frozen=True)
class Settings:
    """Checked settings: safe to hand to the client."""

    api_url: str
    token: str = field(repr=False)
    timeout: float = DEFAULT_TIMEOUT

    def __reduce__(self) -> NoReturn:
        # Settings hold the token: they must never be pickled into Pulumi state with a provider.
        raise TypeError("provider settings hold the access token and must not be pickled")


def resolve(config: Mapping[str, object], environ: Mapping[str, str]) -> Settings:
    """Settings from stack config (full keys like caigunn:apiUrl), else the environment.

    ConfigError names the setting, what is wrong and how to set it; it never echoes a value.
    """
    token = _pick(config, environ, TOKEN)
    if token is None or (isinstance(token, str) and not token.strip()):
        raise ConfigError(f"No CaiGunn access token is set.\n{SET_TOKEN}")
    if not is_sendable_token(token):
        raise ConfigError(
            "The CaiGunn access token holds characters that cannot be sent (spaces, line breaks "
            f"or non-ASCII: a copy-paste slip?).\n{SET_TOKEN}"
        )
    raw_url = _pick(config, environ, API_URL)
    url = (raw_url if isinstance(raw_url, str) else DEFAULT_API_URL).strip().rstrip("/")
    set_url = f"Set it with `pulumi config set {API_URL[0]} <url>` or {API_URL[1]}."
    if not _is_http_url(url):
        # The value is not echoed: a token pasted into the wrong setting would leak.
        raise ConfigError(
            f"{API_URL[0]} is not an http(s) URL such as {DEFAULT_API_URL}.\n{set_url}"
        )
    if not token_may_travel_to(url):
        raise ConfigError(
            f"{API_URL[0]} uses plain http:// to a host other than this machine, so the access "
            "token would travel unencrypted.\n"
            f"Use https:// (http:// is allowed for localhost only). {set_url}"
        )
    return Settings(api_url=url, token=str(token), timeout=_timeout(config, environ))


def _pick(
    config: Mapping[str, object], environ: Mapping[str, str], keys: tuple[str, str]
) -> object:
    value = config.get(keys[0])
    return value if value is not None else environ.get(keys[1])


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and not parts.username
        and not parts.query
        and not parts.fragment
        and url.isascii()
        and url.isprintable()
        and " " not in url
    )


def _timeout(config: Mapping[str, object], environ: Mapping[str, str]) -> float:
    raw = _pick(config, environ, TIMEOUT)
    if raw is None:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(str(raw))
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and 0 < seconds <= 600):
        raise ConfigError(
            f"{TIMEOUT[0]} is not a number of seconds between 0 and 600.\n"
            f"Set it with `pulumi config set {TIMEOUT[0]} <seconds>` or {TIMEOUT[1]}."
        )
    return seconds


def training_timeout(config: Mapping[str, object], environ: Mapping[str, str]) -> float:
    """caigunn:trainingTimeout (else CAIGUNN_TRAINING_TIMEOUT, else 1800): seconds, checked."""
    raw = _pick(config, environ, TRAINING_TIMEOUT)
    if raw is None:
        return DEFAULT_TRAINING_TIMEOUT
    try:
        seconds = float(str(raw))
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and 0 < seconds <= MAX_TRAINING_TIMEOUT):
        raise ConfigError(
            f"{TRAINING_TIMEOUT[0]} is not a number of seconds between 0 and "
            f"{MAX_TRAINING_TIMEOUT:g} (a day).\n"
            f"Set it with `pulumi config set {TRAINING_TIMEOUT[0]} <seconds>` or "
            f"{TRAINING_TIMEOUT[1]}."
        )
    return seconds
