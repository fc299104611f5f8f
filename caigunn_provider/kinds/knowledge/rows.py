"""The KnowledgeRows dynamic provider: the rows of one file or website item, waited for.

Its KnowledgeItem's create only POSTs the file or the crawl and records the job's event id, so
that the engine has it in the state before any wait (issue 28); this resource, declared right
after the item, waits for that event and holds the rows it made. A run killed during the wait
leaves the event in the item's state: the next run waits for the same job, never posting it
again. An item the older code made holds its rows itself: they are taken at once, with no request.
"""

from __future__ import annotations

import contextlib
from typing import Any

from pulumi.dynamic import CheckResult, CreateResult, DiffResult, UpdateResult

from caigunn_provider.chatbot_level.provider import (
    NAME,
    ChatbotLevelProvider,
    check_chatbot_id,
)
from caigunn_provider.dynamic.base import reports, sentinels
from caigunn_provider.errors import AuthError, NotFoundError
from caigunn_provider.kinds.knowledge.provider import finish

INPUTS = ("chatbot_id", "event_id", "item_ids", "kind", "path", "website", "single_page")


class KnowledgeRowsProvider(ChatbotLevelProvider):
    """Wait for one item's crawl or upload; its outputs are the rows it made (`ids`)."""

    @reports("check this knowledge item's rows")
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        news = sentinels(news)
        failures: list[Any] = []
        check_chatbot_id(news, failures)
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        olds, news = sentinels(olds), sentinels(news)
        # Pending (no rows yet): the wait goes on. A new event (the item posted again): its rows.
        changed = not olds.get("ids") or any(
            olds.get(key) != news.get(key) for key in ("event_id", "item_ids")
        )
        return DiffResult(changes=changed, replaces=[], stables=[], delete_before_replace=False)

    @reports("wait for this knowledge item's rows")
    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = self._rows(props)
        # The job's event, else the first row (an older item's), else its name: never empty.
        ids = outs.get("ids") or []
        return CreateResult(str(outs.get("event_id") or (ids[0] if ids else props.get(NAME))), outs)

    @reports("wait for this knowledge item's rows")
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        held = list(olds.get("ids") or [])
        if held and not news.get("item_ids") and olds.get("event_id") == news.get("event_id"):
            # The same job's rows, already held (an older step's record): no request, and
            # never a wait on an event CaiGunn may have forgotten since.
            return UpdateResult({**{key: news.get(key) for key in (*INPUTS, NAME)}, "ids": held})
        return UpdateResult(self._rows(news))

    @reports("delete this knowledge item's rows")
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Its rows, deleted: a 404 is what delete wanted (the item's delete, or the training's
        update, may have deleted them first), and a deleted chatbot took them with it."""
        ctx = self._context()
        try:
            api = self._api(props, ctx)
        except NotFoundError:
            return  # the chatbot is gone (its key with it), and its rows went with it
        try:
            for row_id in props.get("ids") or []:
                with contextlib.suppress(NotFoundError):
                    api.delete_training_data(str(row_id))
        except AuthError as exc:
            if not self._chatbot_gone(ctx, str(props.get("chatbot_id"))):
                raise self.explain(ctx, exc) from exc

    def _rows(self, props: dict[str, Any]) -> dict[str, Any]:
        """The item's rows: those it holds itself (an older item), or its job's, waited for."""
        outs = {key: props.get(key) for key in (*INPUTS, NAME)}
        known = list(props.get("item_ids") or [])
        if known or not props.get("event_id"):
            return {**outs, "ids": known}
        ctx = self._context()
        return finish(props, self._api(props, ctx), str(props["event_id"]), outs, self._timeout())
