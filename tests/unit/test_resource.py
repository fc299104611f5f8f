"""The Chatbot resource class: the SDK reads its output annotations, so they must fit the values."""

from __future__ import annotations

from pulumi import _types
from pulumi.runtime import rpc

from caigunn_provider.kinds.chatbot.resource import Chatbot


def test_the_settings_output_takes_lists_and_texts() -> None:
    # The SDK shapes each output by the class annotation; `dict[str, object]` once made it fail
    # on any list setting, so a stack with first messages or allowed domains could not be applied.
    settings = {"prompt": "Be brief.", "initial_messages": ["Hi!"], "is_shared": True}
    typ = _types.resource_types(Chatbot)["settings"]
    assert rpc.translate_output_properties(settings, lambda key: key, typ) == settings
