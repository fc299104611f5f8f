"""The Serving resource (pulumi-python:dynamic/caigunn:Serving): what an entry with answer
checks serves, put there only once its checks pass (kinds/checks/serving.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from caigunn_provider.chatbot_level.provider import NAME
from caigunn_provider.dynamic import serialization
from caigunn_provider.kinds.checks.serving import KEPT, ServingProvider

# Every resource of this kind shares one pickle of its provider (dynamic/serialization.py).
serialization.install(ServingProvider)


class Serving(Resource, module="caigunn", name="Serving"):
    """One chatbot's model and prompt, switched in together and kept when its checks pass;
    id = the chatbot's id."""

    chatbot_id: pulumi.Output[str]
    mode: pulumi.Output[str]
    serving_model_id: pulumi.Output[str | None]
    accepted_model_id: pulumi.Output[str | None]
    passed: pulumi.Output[bool | None]
    last_passed_at: pulumi.Output[str | None]
    rejected: pulumi.Output[dict[str, Any] | None]
    messages_spent: pulumi.Output[int | None]
    served_seconds: pulumi.Output[float | None]

    def __init__(
        self,
        resource_name: str,
        *,
        chatbot_id: pulumi.Input[str],
        checks: Sequence[dict[str, Any]],
        checks_digest: str,
        model_id: pulumi.Input[str] | None = None,
        prompt: str | None = None,
        mode: str = "enforce",
        recheck: bool = False,
        adopting: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """Put model_id (the entry's trained model, or what serves when None) and prompt (or the
        chatbot's own when None) into service together, once `checks` pass. adopting: the run
        adopts the chatbot (`import:`), which changes nothing: what serves is asked and reported,
        and the declared model and prompt are tried on the next run."""
        props: dict[str, Any] = {
            "chatbot_id": chatbot_id,
            "model_id": model_id,
            "prompt": prompt,
            "checks": list(checks),
            "checks_digest": checks_digest,
            "mode": mode,
            "recheck": recheck,
            "adopting": adopting,
            NAME: resource_name,
            **dict.fromkeys(KEPT),
        }
        # The key is the provider's to find (chatbot_level/keys.py); a step recorded before
        # it left this state may still hold it in its outputs, which stay secret.
        secret = pulumi.ResourceOptions(additional_secret_outputs=["api_key"])
        super().__init__(
            ServingProvider(), resource_name, props, pulumi.ResourceOptions.merge(secret, opts)
        )
