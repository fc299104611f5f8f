"""Provider settings: each missing or malformed setting gets one message, and no value echoed."""

from __future__ import annotations

import pickle

import pytest

from caigunn_provider.config import DEFAULT_API_URL, resolve
from caigunn_provider.errors import ConfigError

TOKEN = "tok-3fe1c0ffee"
SET_TOKEN = (
    "Set it with `pulumi config set --secret caigunn:accessToken <token>` or the "
    "CAIGUNN_ACCESS_TOKEN environment variable."
)
SET_URL = "Set it with `pulumi config set caigunn:apiUrl <url>` or CAIGUNN_API_URL."


def test_config_wins_over_the_environment_and_the_url_defaults_to_production() -> None:
    settings = resolve({"caigunn:accessToken": TOKEN}, {"CAIGUNN_ACCESS_TOKEN": "other"})
    assert (settings.token, settings.api_url, settings.timeout) == (TOKEN, DEFAULT_API_URL, 30.0)


def test_the_environment_is_the_fallback() -> None:
    env = {"CAIGUNN_ACCESS_TOKEN": TOKEN, "CAIGUNN_API_URL": "http://127.0.0.1:8765/"}
    settings = resolve({}, env)
    assert (settings.token, settings.api_url) == (TOKEN, "http://127.0.0.1:8765")


@pytest.mark.parametrize("token", [None, "", "   "])
def test_a_missing_or_empty_token_says_how_to_set_it(token: str | None) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve({"caigunn:accessToken": token}, {})
    assert str(caught.value) == f"No CaiGunn access token is set.\n{SET_TOKEN}"


@pytest.mark.parametrize(
    "token", ["s3cr3t en", "s3cr3t\n", "s3cr3tö", "s3cr3t\u202e", "s3cr3t\x00"]
)
def test_a_token_that_cannot_travel_in_a_header_is_a_clean_config_error(token: str) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve({"caigunn:accessToken": token}, {})
    assert str(caught.value) == (
        "The CaiGunn access token holds characters that cannot be sent (spaces, line breaks or "
        f"non-ASCII: a copy-paste slip?).\n{SET_TOKEN}"
    )
    assert "s3cr3t" not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "caigunn-api.ap-mic.com",
        "ftp://caigunn-api.ap-mic.com",
        "https://",
        "https://user:tok-3fe1c0ffee@host",
        "https://host:99999",
        "https://host/?x=1",
        "https://ho st",
    ],
)
def test_a_malformed_url_is_refused_without_echoing_it(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve({"caigunn:accessToken": TOKEN, "caigunn:apiUrl": url}, {})
    assert str(caught.value) == (
        f"caigunn:apiUrl is not an http(s) URL such as {DEFAULT_API_URL}.\n{SET_URL}"
    )


@pytest.mark.parametrize("url", ["http://example.com", "http://10.0.0.5:8765", "http://[::2]:80"])
def test_the_token_goes_over_plain_http_only_to_loopback(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve({"caigunn:accessToken": TOKEN, "caigunn:apiUrl": url}, {})
    assert str(caught.value) == (
        "caigunn:apiUrl uses plain http:// to a host other than this machine, so the access "
        "token would travel unencrypted.\n"
        f"Use https:// (http:// is allowed for localhost only). {SET_URL}"
    )


@pytest.mark.parametrize(
    "url", ["http://localhost:1", "http://127.0.0.1:8765", "http://[::1]:8765", "https://x.example"]
)
def test_loopback_http_and_any_https_are_allowed(url: str) -> None:
    assert resolve({"caigunn:accessToken": TOKEN, "caigunn:apiUrl": url}, {}).api_url == url


@pytest.mark.parametrize("timeout", ["0", "-1", "nan", "inf", "abc", "601"])
def test_a_bad_timeout_is_refused(timeout: str) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve({"caigunn:accessToken": TOKEN, "caigunn:requestTimeout": timeout}, {})
    assert str(caught.value).startswith("caigunn:requestTimeout is not a number of seconds")


def test_settings_refuse_to_be_pickled_so_the_token_never_reaches_state() -> None:
    settings = resolve({"caigunn:accessToken": TOKEN}, {})
    assert TOKEN not in repr(settings)
    with pytest.raises(TypeError):
        pickle.dumps(settings)
