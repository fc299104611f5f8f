"""The one rule for a URL a stack file names (a website to crawl, a webhook): https anywhere,
plain http to this machine only (tests), never credentials in it."""

from __future__ import annotations

from urllib.parse import urlsplit

from caigunn_provider.client.transport import is_loopback_host
from caigunn_provider.stackfile.problems import Problems, count, show
from caigunn_provider.stackfile.rules import bad_character
from caigunn_provider.stackfile.values import check_string

__all__ = ["MAX_URL_LENGTH", "check_url", "url_problem"]

# Browsers and most servers stop near here; a longer "URL" is a paste gone wrong.
MAX_URL_LENGTH = 2048


def url_problem(url: str) -> str | None:
    """What is wrong with a website or webhook URL: https, or http to a loopback host only."""
    if not url:
        return "must not be empty"
    if len(url) > MAX_URL_LENGTH:
        return f"must be at most {count(MAX_URL_LENGTH)} characters (got {count(len(url))})"
    if bad_character(url, multiline=False) is not None or any(char.isspace() for char in url):
        return f"must be a URL without spaces or control characters (got {show(url)})"
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 -- a port out of range raises here
    except ValueError:
        return f"not a URL (got {show(url)})"
    if parts.scheme not in ("https", "http") or not host:
        return f"must be an https:// URL (got {show(url)})"
    if parts.username is not None or parts.password is not None:
        # Not shown: it would be a secret, and the state and every preview would show it.
        return "must not carry a user name or password"
    if parts.scheme == "http" and not is_loopback_host(host):
        return (
            f"must be an https:// URL (got {show(url)}); http:// is accepted only to this "
            "machine (localhost, 127.0.0.1, [::1]), for tests"
        )
    return None


def check_url(value: object, line: int, path: str, problems: Problems) -> str | None:
    """The URL a stack-file value holds, or None with its problem added at its line."""
    url = check_string(value, line, path, problems)
    if url is None:
        return None
    what = url_problem(url)
    if what is not None:
        problems.add(line, path, what)
        return None
    return url
