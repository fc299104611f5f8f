"""During a preview, another resource's outputs reach check and diff as the SDK's Unknown objects.

The SDK's dynamic-provider server deserializes check's and diff's inputs keeping unknowns as
`pulumi.output.Unknown` objects; a new chatbot's id and api_key are unknown while its items, its
Model and its Webhook are checked, so each of them must take Unknown for what it is.
"""

from __future__ import annotations

from typing import Any

from pulumi import output

from caigunn_provider.dynamic.base import UNKNOWN, sentinels
from caigunn_provider.dynamic.runtime import Runtime
from caigunn_provider.kinds.knowledge import digest
from caigunn_provider.kinds.knowledge.provider import KnowledgeItemProvider
from caigunn_provider.kinds.model.provider import ModelProvider
from caigunn_provider.kinds.webhook.provider import WebhookProvider

CHATBOT_ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


def Unknown() -> Any:
    """What the SDK's server passes for an unknown input."""
    return output.Unknown()  # type: ignore[no-untyped-call]


def test_sentinels_turns_every_unknown_into_the_wire_string_at_any_depth() -> None:
    props = {"a": Unknown(), "b": [Unknown(), "x"], "c": {"d": Unknown()}, "e": 1}

    assert sentinels(props) == {"a": UNKNOWN, "b": [UNKNOWN, "x"], "c": {"d": UNKNOWN}, "e": 1}


def test_an_item_of_a_chatbot_not_yet_made_passes_its_check() -> None:
    news = {
        "chatbot_id": Unknown(),
        "api_key": Unknown(),
        "kind": "text",
        "digest": digest.of_text("Hello"),
        "text": "Hello",
    }

    result = KnowledgeItemProvider(Runtime()).check({}, news)

    assert result.failures == []
    assert result.inputs["chatbot_id"] == UNKNOWN


def test_a_model_of_items_not_yet_made_passes_its_check_and_diff() -> None:
    news = {"chatbot_id": Unknown(), "api_key": Unknown(), "training_data_ids": [Unknown()] * 3}
    provider = ModelProvider(Runtime())

    result = provider.check({}, news)

    assert result.failures == []
    assert result.inputs["training_data_ids"] == [UNKNOWN] * 3
    olds = {"chatbot_id": CHATBOT_ID, "training_data_ids": ["a"], "trained_ids": ["a"]}
    known = {"chatbot_id": CHATBOT_ID, "api_key": Unknown(), "training_data_ids": [Unknown()]}
    assert provider.diff(CHATBOT_ID, olds, known).changes


def test_a_webhook_of_a_chatbot_not_yet_made_passes_its_check() -> None:
    news = {"chatbot_id": Unknown(), "api_key": Unknown(), "url": "https://hooks.example.com/a"}

    assert WebhookProvider(Runtime()).check({}, news).failures == []
