"""The Webhook dynamic provider: where CaiGunn posts one chatbot's events."""

from __future__ import annotations

from typing import Any

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)

from caigunn_provider.chatbot_level.provider import (
    NAME,
    UNKNOWN,
    ChatbotLevelProvider,
    check_chatbot_id,
)
from caigunn_provider.dynamic.base import reports, sentinels
from caigunn_provider.errors import AuthError, CaiGunnError, NotFoundError
from caigunn_provider.kinds.webhook.api import WebhookAPI
from caigunn_provider.stackfile.urls import url_problem

INPUTS = ("chatbot_id", "url")


def is_webhook_url(url: object) -> bool:
    """https:// anywhere, or http:// to this machine (tests): the stack file's URL rule."""
    return isinstance(url, str) and url_problem(url) is None


class WebhookProvider(ChatbotLevelProvider):
    """CRUD for one chatbot's webhook URL (its resource id is the chatbot's id)."""

    @reports("check this webhook")
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        news = sentinels(news)
        failures: list[CheckFailure] = []
        check_chatbot_id(news, failures)
        url = news.get("url")
        if url != UNKNOWN and not is_webhook_url(url):
            failures.append(
                CheckFailure("url", "must be an https:// URL (or http:// to localhost, for tests)")
            )
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        olds, news = sentinels(olds), sentinels(news)
        replaces = ["chatbot_id"] if olds.get("chatbot_id") != news.get("chatbot_id") else []
        changed = any(olds.get(key) != news.get(key) for key in INPUTS)
        return DiffResult(
            changes=changed, replaces=replaces, stables=[], delete_before_replace=False
        )

    @reports("set this chatbot's webhook")
    def create(self, props: dict[str, Any]) -> CreateResult:
        # What the chatbot had before (an adopted one may have had a webhook): delete puts it
        # back, since a kept chatbot must not lose what it had when the stack took it over.
        try:
            before = self._context().client.get_chatbot(str(props["chatbot_id"])).webhook_url
        except CaiGunnError as exc:
            raise self.explain(self._context(), exc) from exc
        return CreateResult(
            str(props["chatbot_id"]), {**self._subscribe(props), "url_before": before}
        )

    @reports("read this chatbot's webhook")
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        ctx = self._context()
        try:
            info = ctx.client.get_chatbot(str(props["chatbot_id"]))
        except (NotFoundError, AuthError) as exc:
            if self._chatbot_gone(ctx, str(props.get("chatbot_id"))):
                return ReadResult(None, {})
            raise self.explain(self._context(), exc) from exc
        # Changed or removed outside Pulumi: the next up puts the declared URL back.
        return ReadResult(id_, {**props, "url": info.webhook_url})

    @reports("change this chatbot's webhook")
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult({**self._subscribe(news), "url_before": olds.get("url_before")})

    @reports("remove this chatbot's webhook")
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        ctx = self._context()
        try:
            api = WebhookAPI(ctx.client.transport, self._key(props, ctx))
            before = props.get("url_before")
            if isinstance(before, str) and before:
                api.subscribe(before)  # the webhook it had before this stack set one
            else:
                api.unsubscribe()
        except NotFoundError:
            pass  # none set: what delete wanted
        except AuthError as exc:
            if not self._chatbot_gone(ctx, str(props.get("chatbot_id"))):
                raise self.explain(self._context(), exc) from exc

    def _subscribe(self, props: dict[str, Any]) -> dict[str, Any]:
        ctx = self._context()
        try:
            WebhookAPI(ctx.client.transport, self._key(props, ctx)).subscribe(props["url"])
        except CaiGunnError as exc:
            raise self.explain(self._context(), exc) from exc
        return {key: props.get(key) for key in (*INPUTS, NAME)}
