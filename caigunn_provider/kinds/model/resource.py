"""The Training and Model resources (pulumi-python:dynamic/caigunn:Training and :Model).

A chatbot's training is two steps: Training starts it and records its event (or the right model
it found), Model waits for that and puts the model into service. Programs declare both, Training
first (kinds/knowledge/declare.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pulumi
from pulumi.dynamic import Resource

from caigunn_provider.chatbot_level.provider import NAME
from caigunn_provider.dynamic import serialization
from caigunn_provider.kinds.model.provider import ModelProvider
from caigunn_provider.kinds.model.training import TrainingProvider

# Every resource of a kind shares one pickle of its provider (dynamic/serialization.py).
serialization.install(ModelProvider)
serialization.install(TrainingProvider)


class Training(Resource, module="caigunn", name="Training"):
    """One chatbot's training on its declared rows, started (never waited for); id = the
    chatbot's id. event_id is the training's event, or None where ready_model_id was found."""

    chatbot_id: pulumi.Output[str]
    model_name: pulumi.Output[str | None]
    training_data_ids: pulumi.Output[list[str]]
    event_id: pulumi.Output[str | None]
    # When this step started the training (seconds since the epoch): the Model's wait follows it.
    started_at: pulumi.Output[float | None]
    model_id: pulumi.Output[str | None]
    title: pulumi.Output[str]
    rows: pulumi.Output[list[str]]

    def __init__(
        self,
        resource_name: str,
        *,
        chatbot_id: pulumi.Input[str],
        training_data_ids: pulumi.Input[Sequence[pulumi.Input[str]]],
        model_name: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "chatbot_id": chatbot_id,
            "model_name": model_name,
            "training_data_ids": training_data_ids,
            NAME: resource_name,
            "event_id": None,
            "started_at": None,
            "model_id": None,
            "title": None,
            "rows": None,
        }
        # The key is the provider's to find (chatbot_level/keys.py); a step recorded before
        # it left this state may still hold it in its outputs, which stay secret.
        secret = pulumi.ResourceOptions(additional_secret_outputs=["api_key"])
        super().__init__(
            TrainingProvider(), resource_name, props, pulumi.ResourceOptions.merge(secret, opts)
        )


class Model(Resource, module="caigunn", name="Model"):
    """The model one chatbot answers with, trained on its knowledge items; id = the chatbot's id."""

    chatbot_id: pulumi.Output[str]
    model_name: pulumi.Output[str | None]
    model_id: pulumi.Output[str]
    trained_ids: pulumi.Output[list[str]]
    active_model_id: pulumi.Output[str | None]

    def __init__(
        self,
        resource_name: str,
        *,
        training: Training,
        serve: bool = True,
        opts: pulumi.ResourceOptions | None = None,
        after: Callable[[pulumi.Input[str]], pulumi.Output[str]] | None = None,
    ) -> None:
        """Declare the chatbot's model: the one its Training found or started. Name it after the
        chatbot's entry: failures name it. serve=False leaves putting it into service to the
        entry's answer checks (kinds/checks/serving.py). after holds its registration back (the
        run's trainings all start first: caigunn_provider.program.gate.StartsFirst.after)."""
        props = {
            "chatbot_id": after(training.chatbot_id) if after else training.chatbot_id,
            "model_name": training.model_name,
            "training_data_ids": training.training_data_ids,
            "ready_model_id": training.model_id,
            "rows": training.rows,
            "event_id": training.event_id,
            "started_at": training.started_at,
            "title": training.title,
            "serve": serve,
            NAME: resource_name,
            "model_id": None,
            "trained_ids": None,
            "active_model_id": None,
            "served": None,
        }
        # The key is the provider's to find (chatbot_level/keys.py); a step recorded before
        # it left this state may still hold it in its outputs, which stay secret.
        secret = pulumi.ResourceOptions(additional_secret_outputs=["api_key"])
        super().__init__(
            ModelProvider(), resource_name, props, pulumi.ResourceOptions.merge(secret, opts)
        )
