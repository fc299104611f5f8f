"""The Model resource that programs declare (pulumi-python:dynamic/caigunn:Model)."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
from pulumi.dynamic import Resource

from caigunn_provider.chatbot_level.provider import NAME
from caigunn_provider.dynamic import serialization
from caigunn_provider.kinds.model.provider import ModelProvider

# Every resource of this kind shares one pickle of its provider (dynamic/serialization.py).
serialization.install(ModelProvider)


class Model(Resource, module="caigunn", name="Model"):
    """The model one chatbot answers with, trained on its knowledge items; id = the chatbot's id."""

    chatbot_id: pulumi.Output[str]
    model_name: pulumi.Output[str | None]
    model_id: pulumi.Output[str]
    trained_ids: pulumi.Output[list[str]]
    active_model_id: pulumi.Output[str | None]
    pending_event: pulumi.Output[str | None]

    def __init__(
        self,
        resource_name: str,
        *,
        chatbot_id: pulumi.Input[str],
        api_key: pulumi.Input[str],
        training_data_ids: pulumi.Input[Sequence[pulumi.Input[str]]],
        model_name: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Declare the chatbot's model: training_data_ids are its KnowledgeItems' ids (flattened).

        model_name None trains with the API's default. Name it after the chatbot's entry: failures
        name it.
        """
        props = {
            "chatbot_id": chatbot_id,
            "api_key": api_key,
            "model_name": model_name,
            "training_data_ids": training_data_ids,
            NAME: resource_name,
            "model_id": None,
            "trained_ids": None,
            "active_model_id": None,
            "pending_event": None,
        }
        secret = pulumi.ResourceOptions(additional_secret_outputs=["api_key"])
        super().__init__(
            ModelProvider(), resource_name, props, pulumi.ResourceOptions.merge(secret, opts)
        )
