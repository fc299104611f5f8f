"""The provider's configuration (token, URL, timeouts, concurrency): where each comes from."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NoReturn
from urllib.parse import urlsplit

from caigunn_provider.client import CaiGunnClient
from caigunn_provider.client.limits import DEFAULT_MAX_CONCURRENCY, MAX_CONCURRENCY_LIMIT
from caigunn_provider.client.transport import (
    MIN_TOKEN_LENGTH,
    is_sendable_token,
    token_may_travel_to,
)
from caigunn_provider.errors import ConfigError
from caigunn_provider.stackfile.rules import is_valid_logical_name

DEFAULT_API_URL = "https://caigunn-api.ap-mic.com"
DEFAULT_TIMEOUT = 30.0

# Each setting: its stack-config key (namespace caigunn) and its environment fallback.
TOKEN = ("caigunn:accessToken", "CAIGUNN_ACCESS_TOKEN")
API_URL = ("caigunn:apiUrl", "CAIGUNN_API_URL")
TIMEOUT = ("caigunn:requestTimeout", "CAIGUNN_REQUEST_TIMEOUT")
MAX_CONCURRENCY = ("caigunn:maxConcurrency", "CAIGUNN_MAX_CONCURRENCY")
TRAINING_TIMEOUT = ("caigunn:trainingTimeout", "CAIGUNN_TRAINING_TIMEOUT")
SETTLE_TIME = ("caigunn:settleTime", "CAIGUNN_SETTLE_TIME")
EXPIRY_WARNING_DAYS = ("caigunn:expiryWarningDays", "CAIGUNN_EXPIRY_WARNING_DAYS")
CHECKS_MODE = ("caigunn:checksMode", "CAIGUNN_CHECKS_MODE")
CHECKS_MAX_SERVE = ("caigunn:checksMaxServe", "CAIGUNN_CHECKS_MAX_SERVE")
RECHECK = ("caigunn:recheck", "CAIGUNN_RECHECK")
ALLOW_REPLACE = ("caigunn:allowReplace", "CAIGUNN_ALLOW_REPLACE")
KEYS = (
    TOKEN[0],
    API_URL[0],
    TIMEOUT[0],
    MAX_CONCURRENCY[0],
    TRAINING_TIMEOUT[0],
    SETTLE_TIME[0],
    EXPIRY_WARNING_DAYS[0],
    CHECKS_MODE[0],
    CHECKS_MAX_SERVE[0],
    RECHECK[0],
    ALLOW_REPLACE[0],
)
# How long a crawl, an upload or a training is waited for (seconds) before the run gives up on it.
DEFAULT_TRAINING_TIMEOUT = 1800.0
MAX_TRAINING_TIMEOUT = 24 * 3600.0
# How long a chatbot's rows of one kind must stay as they are before the rows an upload or a crawl
# whose POST lost its answer made are counted (and, where it made none, it is posted again).
DEFAULT_SETTLE_TIME = 60.0
MAX_SETTLE_TIME = 3600.0
# A chatbot whose plan period ends within this many days is warned about at preview and up.
DEFAULT_EXPIRY_WARNING_DAYS = 14
MAX_EXPIRY_WARNING_DAYS = 3650
# Answer checks: `enforce` puts back what served before when a check fails or cannot be asked,
# `report` only reports (an audited override). A candidate serves at most CHECKS_MAX_SERVE seconds
# while it is checked: past that, what is left unasked makes it unchecked.
CHECKS_MODES = ("enforce", "report")
DEFAULT_CHECKS_MAX_SERVE = 60.0
MAX_CHECKS_MAX_SERVE = 3600.0
# caigunn:allowReplace: the entries whose chatbot a `pulumi up` may replace (a new id and
# api_key); EVERY_ENTRY allows them all. `all` is not a wildcard: an entry may be named `all`.
EVERY_ENTRY = "*"

# Where a setting's value came from: the stack's config, the environment variable, the default.
Source = Literal["config", "environment", "default"]

SET_TOKEN = (
    f"Set it with `pulumi config set --secret {TOKEN[0]} <token>` "
    f"or the {TOKEN[1]} environment variable."
)


@dataclass(frozen=True)
class ProviderConfig:
    """Every `caigunn:` setting, checked: read once per process (the program's pipeline, each
    provider's configure), safe to hand to the client."""

    api_url: str
    token: str = field(repr=False)
    timeout: float = DEFAULT_TIMEOUT
    # Requests in flight to this account at once, across every client and thread of a process.
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    # How long a crawl, an upload or a training is waited for; how near a plan period's end warns.
    training_timeout: float = DEFAULT_TRAINING_TIMEOUT
    settle_time: float = DEFAULT_SETTLE_TIME
    expiry_warning_days: int = DEFAULT_EXPIRY_WARNING_DAYS
    # Answer checks: the mode, how long a candidate may serve while checked, and whether a
    # rejected candidate is asked again (answers that vary) rather than failed with its report.
    checks_mode: str = "enforce"
    checks_max_serve: float = DEFAULT_CHECKS_MAX_SERVE
    recheck: bool = False
    # The entries whose chatbot `pulumi up` may replace (EVERY_ENTRY: all); see allows_replace.
    allow_replace: frozenset[str] = frozenset()
    # Where the token and the URL came from (never their values), for the words of an error.
    token_source: Source = field(default="config", repr=False, compare=False)
    api_url_source: Source = field(default="default", repr=False, compare=False)
    # What the caller should show the user once (e.g. config and environment disagree).
    warnings: tuple[str, ...] = field(default=(), repr=False, compare=False)

    def client(self, **transport_options: Any) -> CaiGunnClient:
        """A client of the configured account, with its request timeout and concurrency."""
        return CaiGunnClient(
            self.api_url,
            self.token,
            timeout=self.timeout,
            max_concurrency=self.max_concurrency,
            **transport_options,
        )

    def allows_replace(self, name: str) -> bool:
        """Whether caigunn:allowReplace lets `pulumi up` replace the chatbot of entry name."""
        return EVERY_ENTRY in self.allow_replace or name in self.allow_replace

    def __reduce__(self) -> NoReturn:
        # It holds the token: it must never be pickled into Pulumi state with a provider.
        raise TypeError("the provider configuration holds the access token and must not be pickled")


def resolve(config: Mapping[str, object], environ: Mapping[str, str]) -> ProviderConfig:
    """ProviderConfig from stack config (full keys like caigunn:apiUrl), else the environment.

    ConfigError names the setting, what is wrong and how to set it; it never echoes a value.
    ProviderConfig.warnings holds what the caller should show once: a setting given in both places
    with different values (the config wins).
    """
    warnings: list[str] = []
    token, token_source = _sourced(config, environ, TOKEN, warnings)
    if token is None or (isinstance(token, str) and not token.strip()):
        raise ConfigError(f"No CaiGunn access token is set.\n{SET_TOKEN}")
    if not is_sendable_token(token):
        raise ConfigError(
            "The CaiGunn access token holds characters that cannot be sent (spaces, line breaks "
            f"or non-ASCII: a copy-paste slip?).\n{SET_TOKEN}"
        )
    if len(str(token)) < MIN_TOKEN_LENGTH:
        raise ConfigError(
            f"The CaiGunn access token {_from(token_source, TOKEN)} is shorter than "
            f"{MIN_TOKEN_LENGTH} characters, too short to be one (a copy-paste slip?).\n"
            f"{SET_TOKEN}"
        )
    raw_url, url_source = _sourced(config, environ, API_URL, warnings)
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
    return ProviderConfig(
        api_url=url,
        token=str(token),
        timeout=_timeout(config, environ),
        max_concurrency=_max_concurrency(config, environ),
        training_timeout=training_timeout(config, environ),
        settle_time=settle_time(config, environ),
        expiry_warning_days=expiry_warning_days(config, environ),
        checks_mode=checks_mode(config, environ),
        checks_max_serve=checks_max_serve(config, environ),
        recheck=recheck(config, environ),
        allow_replace=allow_replace(config, environ),
        token_source=token_source,
        api_url_source=url_source if raw_url is not None else "default",
        warnings=tuple(warnings),
    )


def describe_source(source: Source, keys: tuple[str, str]) -> str:
    """Where a setting came from, in words: "the stack's config (caigunn:accessToken)"."""
    if source == "environment":
        return f"the {keys[1]} environment variable"
    if source == "config":
        return f"the stack's config ({keys[0]})"
    return "the default"


def _from(source: Source, keys: tuple[str, str]) -> str:
    return f"from {describe_source(source, keys)}"


def _sourced(
    config: Mapping[str, object],
    environ: Mapping[str, str],
    keys: tuple[str, str],
    warnings: list[str],
) -> tuple[object, Source]:
    """The value (config first, then the environment) and where it came from; a warning when
    both are set and differ. Neither value is ever put into the warning."""
    in_config, in_env = config.get(keys[0]), environ.get(keys[1])
    if in_config is None:
        return in_env, "environment" if in_env is not None else "default"
    if in_env is not None and in_env.strip() and _differ(in_config, in_env, keys):
        warnings.append(
            f"{keys[0]} is set in the stack's config and {keys[1]} in the environment, to "
            f"different values: the stack's config wins ({keys[1]} is not used)."
        )
    return in_config, "config"


def _differ(in_config: object, in_env: str, keys: tuple[str, str]) -> bool:
    if keys == API_URL:
        # The same URL written with a trailing slash is the same URL.
        return str(in_config).strip().rstrip("/") != in_env.strip().rstrip("/")
    return str(in_config) != in_env


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


def _max_concurrency(config: Mapping[str, object], environ: Mapping[str, str]) -> int:
    raw = _pick(config, environ, MAX_CONCURRENCY)
    if raw is None:
        return DEFAULT_MAX_CONCURRENCY
    text = str(raw).strip()
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_CONCURRENCY_LIMIT):
        raise ConfigError(
            f"{MAX_CONCURRENCY[0]} is not a whole number from 1 to {MAX_CONCURRENCY_LIMIT} "
            f"(requests in flight to the account at once; default {DEFAULT_MAX_CONCURRENCY}).\n"
            f"Set it with `pulumi config set {MAX_CONCURRENCY[0]} <number>` or "
            f"{MAX_CONCURRENCY[1]}."
        )
    return int(text)


def training_timeout(config: Mapping[str, object], environ: Mapping[str, str]) -> float:
    """caigunn:trainingTimeout (else CAIGUNN_TRAINING_TIMEOUT, else 1800): seconds, checked."""
    return _seconds(
        config,
        environ,
        TRAINING_TIMEOUT,
        DEFAULT_TRAINING_TIMEOUT,
        MAX_TRAINING_TIMEOUT,
        "(a day)",
    )


def settle_time(config: Mapping[str, object], environ: Mapping[str, str]) -> float:
    """caigunn:settleTime (else CAIGUNN_SETTLE_TIME, else 60): seconds, checked."""
    return _seconds(config, environ, SETTLE_TIME, DEFAULT_SETTLE_TIME, MAX_SETTLE_TIME, "(an hour)")


def _seconds(
    config: Mapping[str, object],
    environ: Mapping[str, str],
    keys: tuple[str, str],
    default: float,
    most: float,
    why: str,
) -> float:
    """A setting of seconds, above 0 and at most `most`; ConfigError saying `why` otherwise."""
    raw = _pick(config, environ, keys)
    if raw is None:
        return default
    try:
        seconds = float(str(raw))
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and 0 < seconds <= most):
        raise ConfigError(
            f"{keys[0]} is not a number of seconds between 0 and {most:g} {why}.\n"
            f"Set it with `pulumi config set {keys[0]} <seconds>` or {keys[1]}."
        )
    return seconds


def expiry_warning_days(config: Mapping[str, object], environ: Mapping[str, str]) -> int:
    """caigunn:expiryWarningDays (else CAIGUNN_EXPIRY_WARNING_DAYS, else 14): whole days, checked.

    0 warns only about periods already over.
    """
    raw = _pick(config, environ, EXPIRY_WARNING_DAYS)
    if raw is None:
        return DEFAULT_EXPIRY_WARNING_DAYS
    text = str(raw).strip()
    if not (text.isascii() and text.isdigit() and int(text) <= MAX_EXPIRY_WARNING_DAYS):
        raise ConfigError(
            f"{EXPIRY_WARNING_DAYS[0]} is not a whole number of days from 0 to "
            f"{MAX_EXPIRY_WARNING_DAYS} (a chatbot whose plan period ends within it is warned "
            f"about; default {DEFAULT_EXPIRY_WARNING_DAYS}).\n"
            f"Set it with `pulumi config set {EXPIRY_WARNING_DAYS[0]} <days>` or "
            f"{EXPIRY_WARNING_DAYS[1]}."
        )
    return int(text)


def checks_mode(config: Mapping[str, object], environ: Mapping[str, str]) -> str:
    """caigunn:checksMode (else CAIGUNN_CHECKS_MODE, else enforce): enforce or report."""
    raw = _pick(config, environ, CHECKS_MODE)
    if raw is None:
        return CHECKS_MODES[0]
    text = str(raw).strip().lower()
    if text not in CHECKS_MODES:
        raise ConfigError(
            f"{CHECKS_MODE[0]} is neither enforce nor report (enforce, the default, puts back "
            "what served before when an answer check fails; report only reports).\n"
            f"Set it with `pulumi config set {CHECKS_MODE[0]} enforce` or {CHECKS_MODE[1]}."
        )
    return text


def checks_max_serve(config: Mapping[str, object], environ: Mapping[str, str]) -> float:
    """caigunn:checksMaxServe (else CAIGUNN_CHECKS_MAX_SERVE, else 60): seconds, checked."""
    return _seconds(
        config,
        environ,
        CHECKS_MAX_SERVE,
        DEFAULT_CHECKS_MAX_SERVE,
        MAX_CHECKS_MAX_SERVE,
        "(how long a candidate model or prompt may serve while its checks are asked; default "
        f"{DEFAULT_CHECKS_MAX_SERVE:g})",
    )


def recheck(config: Mapping[str, object], environ: Mapping[str, str]) -> bool:
    """caigunn:recheck (else CAIGUNN_RECHECK, else false): ask a rejected candidate again."""
    raw = _pick(config, environ, RECHECK)
    if raw is None:
        return False
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes"):
        return True
    if text in ("", "0", "false", "no"):
        return False
    raise ConfigError(
        f"{RECHECK[0]} is not true or false (true asks a rejected candidate's checks again).\n"
        f"Run `{RECHECK[1]}=1 pulumi up` once, or `pulumi config set {RECHECK[0]} true`."
    )


def allow_replace(config: Mapping[str, object], environ: Mapping[str, str]) -> frozenset[str]:
    """caigunn:allowReplace (else CAIGUNN_ALLOW_REPLACE, else none): the entries whose chatbot
    `pulumi up` may replace, comma-separated, or `*` for every entry.

    A replacement gives the chatbot a new id and api_key, which breaks whatever holds the old
    ones, so it is allowed by name. Like every setting's error, the ConfigError never echoes
    the value (a token pasted into the wrong setting would leak).
    """
    raw = _pick(config, environ, ALLOW_REPLACE)
    if raw is None:
        return frozenset()
    names = [name.strip() for name in str(raw).split(",") if name.strip()]
    if not all(name == EVERY_ENTRY or is_valid_logical_name(name) for name in names):
        raise ConfigError(
            f"{ALLOW_REPLACE[0]} is not a comma-separated list of entry names (letters, digits, "
            f"_, . and -) or {EVERY_ENTRY} for every entry (the entries whose chatbot `pulumi up` "
            "may replace: a new id and api_key).\n"
            f"Set it with `pulumi config set {ALLOW_REPLACE[0]} <name>,<name>` or "
            f"{ALLOW_REPLACE[1]}; remove it with `pulumi config rm {ALLOW_REPLACE[0]}`."
        )
    return frozenset(names)
