"""The provider layer alone: check, diff and configure, without HTTP or the engine."""

from __future__ import annotations

import base64

import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider

from caigunn_provider.errors import ConfigError
from caigunn_provider.provider import ChatbotProvider

PLAN = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
OTHER_PLAN = "6b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def configured(**config: str) -> ChatbotProvider:
    provider = ChatbotProvider()
    provider.configure(ConfigureRequest(Config(dict(config), "caigunn-chatbots")))
    return provider


def test_check_accepts_a_title_and_a_uuid_and_lowercases_the_uuid() -> None:
    result = ChatbotProvider().check({}, {"title": "Support", "plan_id": PLAN.upper()})
    assert result.failures == []
    assert result.inputs["plan_id"] == PLAN


@pytest.mark.parametrize(
    ("news", "prop", "reason"),
    [
        ({"title": "", "plan_id": PLAN}, "title", "must be a non-empty string (got '')"),
        ({"title": 7, "plan_id": PLAN}, "title", "must be a non-empty string (got 7)"),
        ({"title": "T", "plan_id": "abc"}, "plan_id", "must be a UUID (got 'abc')"),
        ({"title": "T", "plan_id": None}, "plan_id", "must be a UUID (got None)"),
    ],
)
def test_check_names_the_failing_property(news: dict[str, object], prop: str, reason: str) -> None:
    [failure] = ChatbotProvider().check({}, news).failures
    assert (failure.property, failure.reason) == (prop, reason)


def test_diff_replaces_on_a_plan_change() -> None:
    olds = {"title": "T", "plan_id": PLAN, "adopt_id": None}
    result = ChatbotProvider().diff("id", olds, {**olds, "plan_id": OTHER_PLAN})
    assert result.changes is True
    assert result.replaces == ["plan_id"]


def test_diff_updates_in_place_on_a_title_change() -> None:
    olds = {"title": "T", "plan_id": PLAN, "adopt_id": None}
    result = ChatbotProvider().diff("id", olds, {**olds, "title": "New"})
    assert result.changes is True
    assert result.replaces == []


def test_diff_ignores_dropping_the_import_key_after_adoption() -> None:
    olds = {"title": "T", "plan_id": PLAN, "adopt_id": "abc"}
    result = ChatbotProvider().diff("abc", olds, {**olds, "adopt_id": None})
    assert result.changes is False


def test_no_token_anywhere_is_a_config_error_that_says_where_to_set_it() -> None:
    with pytest.raises(ConfigError, match=r"pulumi config set --secret caigunn:accessToken"):
        configured().create({"title": "T", "plan_id": PLAN})


def test_stack_config_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAIGUNN_ACCESS_TOKEN", "env-token")
    monkeypatch.setenv("CAIGUNN_API_URL", "http://env.invalid")
    provider = configured(**{"caigunn:accessToken": "cfg-token", "caigunn:apiUrl": "http://cfg"})
    assert provider._client().base_url == "http://cfg"
    assert configured()._client().base_url == "http://env.invalid"


def test_the_serialized_provider_holds_no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAIGUNN_ACCESS_TOKEN", "env-token-xyz")
    provider = ChatbotProvider()
    provider._client()
    pickled = base64.b64decode(serialize_provider(provider))
    assert b"env-token-xyz" not in pickled
