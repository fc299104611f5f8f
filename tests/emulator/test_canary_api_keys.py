"""Canary api_keys: with --api-key-prefix every new api_key is recognisable and still random."""

from __future__ import annotations

import re

import pytest

from caigunn_provider.emulator.server import build_parser, settings_from_args
from caigunn_provider.emulator.startup import EmulatorSettings
from tests.support import emulator

from .api_calls import create_by_query

PREFIX = "CANARY-KEY-"


def test_without_a_prefix_api_keys_are_40_hex_digits(level: str) -> None:
    with emulator(level) as admin:  # type: ignore[arg-type]
        created = create_by_query(admin, "plain")

    assert re.fullmatch(r"[0-9a-f]{40}", created["api_key"])


def test_every_new_api_key_starts_with_the_prefix_and_stays_random(level: str) -> None:
    with emulator(level, api_key_prefix=PREFIX, preload=2) as admin:  # type: ignore[arg-type]
        created = [create_by_query(admin, f"bot-{n}")["api_key"] for n in range(3)]
        stored = [row["api_key"] for row in admin.rows()]

    assert set(created) < set(stored)
    assert len(set(stored)) == 5  # the two preloaded chatbots are canaries too
    for api_key in stored:
        assert re.fullmatch(re.escape(PREFIX) + r"[0-9a-f]{40}", api_key)


def test_the_flag_sets_the_prefix_and_its_default_is_none() -> None:
    parser = build_parser()

    assert settings_from_args(parser.parse_args([])).api_key_prefix == ""
    given = settings_from_args(parser.parse_args(["--api-key-prefix", PREFIX]))
    assert given.api_key_prefix == PREFIX


@pytest.mark.parametrize("prefix", ["CANARY\n", "CANARY\x00", "CANARY-ключ"])
def test_a_prefix_that_is_not_printable_ascii_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="api_key_prefix: must be printable ASCII"):
        EmulatorSettings(api_key_prefix=prefix)
