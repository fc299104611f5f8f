"""The OpentalkBinding dynamic provider: which Opentalk device one chatbot serves.

Runs in the dynamic-provider process. The resource id is the chatbot's id. CaiGunn documents no
call that reads a binding back, so a refresh keeps what the state says.
"""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, UpdateResult

from caigunn_provider.chatbot_level.provider import (
    NAME,
    UNKNOWN,
    ChatbotLevelProvider,
    check_chatbot_id,
)
from caigunn_provider.dynamic.base import reports, sentinels
from caigunn_provider.errors import AuthError, CaiGunnError, NotFoundError
from caigunn_provider.kinds.opentalk.api import OpentalkAPI
from caigunn_provider.stackfile.rules import MAX_TITLE_LENGTH
from caigunn_provider.stackfile.values import must_be_string, text_problem

INPUTS = ("chatbot_id", "device_id")


class OpentalkProvider(ChatbotLevelProvider):
    """CRUD for one chatbot's Opentalk binding: bind on create and update, unbind on delete."""

    @reports("check this Opentalk binding")
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        news = sentinels(news)
        failures: list[CheckFailure] = []
        check_chatbot_id(news, failures)
        device_id = news.get("device_id")
        what = None
        if not isinstance(device_id, str):
            what = must_be_string(device_id)
        elif device_id != UNKNOWN:
            what = text_problem(device_id, MAX_TITLE_LENGTH)
        if what is not None:
            failures.append(CheckFailure("device_id", what))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        olds, news = sentinels(olds), sentinels(news)
        # Another chatbot is another binding; another device is a rebind of this one.
        replaces = ["chatbot_id"] if olds.get("chatbot_id") != news.get("chatbot_id") else []
        changed = any(olds.get(key) != news.get(key) for key in INPUTS)
        return DiffResult(
            changes=changed, replaces=replaces, stables=[], delete_before_replace=False
        )

    @reports("bind this chatbot to its Opentalk device")
    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(str(props["chatbot_id"]), self._bind(props))

    @reports("bind this chatbot to another Opentalk device")
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._bind(news))

    @reports("unbind this chatbot from its Opentalk device")
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        ctx = self._context()
        try:
            OpentalkAPI(ctx.client.transport, self._key(props, ctx)).unbind()
        except NotFoundError:
            pass  # nothing bound: what delete wanted
        except AuthError as exc:
            # A deleted chatbot's api_key means nothing: its binding went with it.
            if not self._chatbot_gone(ctx, str(props.get("chatbot_id"))):
                raise self.explain(ctx, exc) from exc
        except CaiGunnError as exc:
            raise self.explain(ctx, exc) from exc

    def _bind(self, props: dict[str, Any]) -> dict[str, Any]:
        ctx = self._context()
        try:
            OpentalkAPI(ctx.client.transport, self._key(props, ctx)).bind(props["device_id"])
        except CaiGunnError as exc:
            raise self.explain(ctx, exc) from exc
        return {key: props.get(key) for key in (*INPUTS, NAME)}
