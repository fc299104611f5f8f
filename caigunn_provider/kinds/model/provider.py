"""The Model dynamic provider: waits for the training its Training step started, then puts that
model into service (the chatbot's model_id). Its resource id is the chatbot's id.

Runs in the dynamic-provider process. The Training step (kinds/model/training.py) recorded the
event (or the model it found) before this step began: a run killed while this one waits leaves
nothing pending that a rerun could start twice; the rerun waits for the same event.
"""

from __future__ import annotations

import time
from typing import Any

from pulumi.dynamic import CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult

from caigunn_provider.chatbot_level import words
from caigunn_provider.chatbot_level.api import Event
from caigunn_provider.chatbot_level.provider import (
    NAME,
    UNKNOWN,
    ChatbotLevelProvider,
    check_chatbot_id,
    name_of,
    progress,
)
from caigunn_provider.chatbot_level.waiters import wait_for_event
from caigunn_provider.dynamic.base import reports, sentinels
from caigunn_provider.dynamic.partial import PartialFailure
from caigunn_provider.errors import (
    APIConnectionError,
    APIError,
    AuthError,
    BackgroundWorkFailed,
    CaiGunnError,
    NotFoundError,
    WaitTimeout,
)
from caigunn_provider.kinds.model.api import ModelAPI
from caigunn_provider.kinds.model.plan import newest_titled
from caigunn_provider.kinds.model.training import trained_other_rows

INPUTS = ("chatbot_id", "model_name", "training_data_ids", "serve")
# What the Training step recorded: the model it found, or the event of the training it started.
# The Model's `served` output is the one of these it has put into service.
STARTED = ("ready_model_id", "event_id", "title")


class ModelProvider(ChatbotLevelProvider):
    """Wait for one chatbot's training, then put its model into service."""

    @reports("check this chatbot's model")
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        news = sentinels(news)
        failures: list[Any] = []
        check_chatbot_id(news, failures)
        ids = news.get("training_data_ids")
        if isinstance(ids, list) and UNKNOWN not in ids:
            news["training_data_ids"] = sorted(set(ids))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        olds, news = sentinels(olds), sentinels(news)
        replaces = ["chatbot_id"] if olds.get("chatbot_id") != news.get("chatbot_id") else []
        started = _outcome(news, olds) != olds.get("served") or olds.get("title") != news.get(
            "title"
        )
        drift = not olds.get("model_id") or (
            _serves(news) and olds.get("active_model_id") != olds.get("model_id")
        )
        return DiffResult(
            changes=bool(replaces)
            or started
            or drift
            or _serves(olds) != _serves(news)
            or olds.get("training_data_ids") != news.get("training_data_ids"),
            replaces=replaces,
            stables=[] if replaces else ["chatbot_id"],
            delete_before_replace=False,
        )

    @reports("train this chatbot")
    def create(self, props: dict[str, Any]) -> CreateResult:
        # The model the chatbot answered with before (an adopted one had one): delete puts it
        # back, since a kept chatbot must not keep answering with the stack's last model.
        ctx = self._context()
        before = None
        if _serves(props):
            try:
                before = ctx.client.get_chatbot(str(props["chatbot_id"])).model_id
            except CaiGunnError as exc:
                raise self.explain(ctx, exc) from exc
        outs = self._serve({"active_model_id": before, "model_before": before}, props)
        return CreateResult(str(props["chatbot_id"]), outs)

    @reports("read this chatbot's model")
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        ctx = self._context()
        try:
            info = ctx.client.get_chatbot(str(props["chatbot_id"]))
        except (NotFoundError, AuthError) as exc:
            if self._chatbot_gone(ctx, str(props.get("chatbot_id"))):
                return ReadResult(None, {})
            raise self.explain(ctx, exc) from exc
        # A model set outside Pulumi shows as a change: the next up puts this one back.
        active = info.model_id if _serves(props) else None
        return ReadResult(id_, {**props, "active_model_id": active})

    @reports("train this chatbot")
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._serve(olds, news))

    @reports("put back the model this chatbot had")
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        # CaiGunn cannot delete a model: the chatbot goes back to the one it had before (a model
        # that answer checks put into service is theirs to put back: kinds/checks/serving.py).
        before = props.get("model_before") if _serves(props) else None
        if not before or before == props.get("active_model_id"):
            return
        ctx = self._context()
        try:
            ctx.client.update_chatbot(str(props["chatbot_id"]), {"model_id": before})
        except (NotFoundError, AuthError) as exc:
            if not self._chatbot_gone(ctx, str(props.get("chatbot_id"))):
                raise self.explain(ctx, exc) from exc
        except CaiGunnError as exc:
            raise self.explain(ctx, exc) from exc

    # --- the one update -----------------------------------------------------------------------

    def _serve(self, olds: dict[str, Any] | None, news: dict[str, Any]) -> dict[str, Any]:
        ctx = self._context()
        previous = olds or {}
        outs: dict[str, Any] = {key: news.get(key) for key in (*INPUTS, *STARTED, NAME)}
        outs.update(
            model_id=previous.get("model_id"),
            trained_ids=previous.get("trained_ids"),
            active_model_id=previous.get("active_model_id"),
            served=previous.get("served"),
            model_before=previous.get("model_before"),
        )
        try:
            model_id = self._model_of(olds, news, outs)
            if model_id:
                outs.update(
                    model_id=model_id,
                    trained_ids=news.get("training_data_ids"),
                    served=_outcome(news),
                )
            if not _serves(news):
                # Answer checks put it into service (kinds/checks/serving.py), or keep it out.
                outs.update(active_model_id=None, model_before=None)
            elif outs["model_id"] and outs["model_id"] != previous.get("active_model_id"):
                # The chatbot answers with its old model until now: never with none.
                ctx.client.update_chatbot(str(news["chatbot_id"]), {"model_id": outs["model_id"]})
                outs["active_model_id"] = outs["model_id"]
        except CaiGunnError as exc:
            if isinstance(exc, PartialFailure):
                raise
            raise self.explain(ctx, exc) from exc
        return outs

    def _model_of(
        self, olds: dict[str, Any] | None, news: dict[str, Any], outs: dict[str, Any]
    ) -> str | None:
        """The model the Training step found, or the one its training made (waited for here)."""
        if news.get("ready_model_id"):
            return str(news["ready_model_id"])
        event_id = news.get("event_id")
        if not event_id:
            return None
        if olds and olds.get("served") == event_id and olds.get("model_id"):
            return str(olds["model_id"])  # waited for already
        ctx = self._context()
        api = ModelAPI(ctx.client.transport, self._key(news, ctx))
        name = name_of(news)
        event = self._wait(api, name, str(event_id), outs, _age(news.get("started_at")))
        if trained_other_rows(event, news.get("rows")):
            raise words.trained_other_rows(name, str(event.data.get("model_id")))
        model_id = event.data.get("model_id")
        if isinstance(model_id, str) and model_id:
            return model_id
        found = newest_titled(api.list_models(), str(news.get("title")))
        if not found:
            raise CaiGunnError(
                f"{name}: the training completed, but no model is titled {news.get('title')}"
            )
        return found[0]

    def _wait(
        self, api: ModelAPI, name: str, event_id: str, outs: dict[str, Any], age: float
    ) -> Event:
        timeout = self._timeout()
        try:
            return wait_for_event(
                lambda: api.event(event_id),
                event_id=event_id,
                timeout=timeout,
                progress=lambda stage, elapsed: progress(words.progress(name, stage, elapsed)),
                age=age,
            )
        except WaitTimeout as exc:
            # The event is the Training step's record: the next up waits for it again.
            raise PartialFailure(
                words.still_running(name, "the training", timeout),
                outs=outs,
                id_=str(outs["chatbot_id"]),
            ) from exc
        except BackgroundWorkFailed as exc:
            raise words.training_failed(name, exc.detail) from exc
        except NotFoundError as exc:
            raise words.event_forgotten(name, event_id) from exc
        except (APIConnectionError, APIError) as exc:
            if isinstance(exc, AuthError):
                raise
            # The event is the Training step's record: a rerun waits for this same training.
            raise CaiGunnError(words.wait_cut_off(name, "the training", exc)) from exc


def _age(started_at: Any) -> float:
    """How long ago the Training step started the training (0 when it did not say: a state
    from before it did, or a clock that went back)."""
    if isinstance(started_at, (int, float)) and not isinstance(started_at, bool):
        return max(0.0, time.time() - float(started_at))
    return 0.0


def _serves(props: dict[str, Any]) -> bool:
    """Whether this step puts its model into service (not when answer checks gate the entry)."""
    return props.get("serve") is not False


def _outcome(news: dict[str, Any], olds: dict[str, Any] | None = None) -> Any:
    """What the Training step recorded: the model it found, else its training's event.

    At preview, an output the Training step never had shows as unknown (the engine stores no
    None, and the SDK calls a missing output unknown): its known event, the one already served,
    says that no model was found and nothing changed.
    """
    ready, event_id = news.get("ready_model_id"), news.get("event_id")
    unknown_but_unchanged = (
        ready == UNKNOWN
        and event_id not in (None, UNKNOWN)
        and olds is not None
        and olds.get("served") == event_id
        and not olds.get("ready_model_id")
    )
    return event_id if unknown_but_unchanged else ready or event_id
