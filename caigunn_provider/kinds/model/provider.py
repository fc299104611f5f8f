"""The Model dynamic provider: trains a chatbot once per change of its items, then uses it."""

from __future__ import annotations

import contextlib
from typing import Any

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)

from caigunn_provider.chatbot_level import words
from caigunn_provider.chatbot_level.api import COMPLETED, FAILED
from caigunn_provider.chatbot_level.provider import (
    NAME,
    UNKNOWN,
    ChatbotLevelProvider,
    check_chatbot_id,
    name_of,
    note,
)
from caigunn_provider.chatbot_level.waiters import wait_for_event
from caigunn_provider.dynamic.base import reports, sentinels
from caigunn_provider.dynamic.partial import PartialFailure
from caigunn_provider.dynamic.runtime import Context
from caigunn_provider.errors import (
    AuthError,
    BackgroundWorkFailed,
    CaiGunnError,
    NotFoundError,
    WaitTimeout,
)
from caigunn_provider.kinds.model.api import MODEL_NAMES, ModelAPI
from caigunn_provider.kinds.model.plan import model_title, needs_training, newest, superseded

INPUTS = ("chatbot_id", "api_key", "model_name", "training_data_ids")


class ModelProvider(ChatbotLevelProvider):
    """CRUD for the trained model of one chatbot (its resource id is the chatbot's id)."""

    @reports("check this chatbot's model")
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        news = sentinels(news)
        failures: list[CheckFailure] = []
        check_chatbot_id(news, failures)
        name = news.get("model_name")
        if name is not None and name != UNKNOWN and name not in MODEL_NAMES:
            failures.append(
                CheckFailure(
                    "model_name", f"must be one of {', '.join(MODEL_NAMES)} (got {name!r})"
                )
            )
        ids = news.get("training_data_ids")
        if isinstance(ids, list) and UNKNOWN not in ids:
            news["training_data_ids"] = sorted(set(ids))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        olds, news = sentinels(olds), sentinels(news)
        replaces = ["chatbot_id"] if olds.get("chatbot_id") != news.get("chatbot_id") else []
        ids = news.get("training_data_ids")
        known = isinstance(ids, list) and UNKNOWN not in ids
        ids = ids if isinstance(ids, list) else []
        retrain = not known or needs_training(olds, news)
        drift = olds.get("active_model_id") != olds.get("model_id")
        if retrain and not replaces:
            # Rows of the previous set are this stack's too: superseded ones go before training.
            earlier = [*(olds.get("training_data_ids") or []), *(olds.get("trained_ids") or [])]
            self._tell_unmanaged(news, [*ids, *earlier] if known else None)
        return DiffResult(
            changes=bool(replaces)
            or retrain
            or drift
            or olds.get("api_key") != news.get("api_key"),
            replaces=replaces,
            stables=[] if replaces else ["chatbot_id"],
            delete_before_replace=False,
        )

    @reports("train this chatbot")
    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(str(props["chatbot_id"]), self._converge(None, props))

    @reports("read this chatbot's model")
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        ctx = self._context()
        try:
            info = ctx.client.get_chatbot(str(props["chatbot_id"]))
        except (NotFoundError, AuthError) as exc:
            if self._chatbot_gone(ctx, str(props.get("chatbot_id"))):
                return ReadResult(None, {})
            raise self.explain(self._context(), exc) from exc
        # A model set outside Pulumi shows as a change: the next up puts this one back.
        return ReadResult(id_, {**props, "active_model_id": info.model_id})

    @reports("train this chatbot")
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._converge(olds, news))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        # CaiGunn cannot delete a model, and the chatbot keeps answering with the one it has.
        return None

    # --- the one update -----------------------------------------------------------------------

    def _converge(self, olds: dict[str, Any] | None, news: dict[str, Any]) -> dict[str, Any]:
        ctx = self._context()
        api = self._model_api(news, ctx)
        name = name_of(news)
        new_ids = sorted(set(news.get("training_data_ids") or []))
        model_name = news.get("model_name")
        title = model_title(new_ids, model_name)
        previous = olds or {}
        outs: dict[str, Any] = {key: news.get(key) for key in (*INPUTS, NAME)}
        outs.update(
            training_data_ids=new_ids,
            model_id=previous.get("model_id"),
            trained_ids=previous.get("trained_ids"),
            title=previous.get("title"),
            active_model_id=previous.get("active_model_id"),
            pending_event=None,
            pending_title=None,
        )
        try:
            # Rows of removed or replaced items go first: a training uses every row there is.
            for row_id in superseded(olds, new_ids):
                with contextlib.suppress(NotFoundError):
                    api.delete_training_data(row_id)
            if needs_training(olds, news):
                model_id = self._model_for(api, name, title, model_name, previous, outs)
                outs.update(model_id=model_id, trained_ids=new_ids, title=title)
            if outs["model_id"] and outs["model_id"] != previous.get("active_model_id"):
                # The chatbot answers with its old model until now: never with none.
                ctx.client.update_chatbot(str(news["chatbot_id"]), {"model_id": outs["model_id"]})
                outs["active_model_id"] = outs["model_id"]
        except CaiGunnError as exc:
            if isinstance(exc, PartialFailure):
                raise
            raise self.explain(self._context(), exc) from exc
        return outs

    def _model_for(
        self,
        api: ModelAPI,
        name: str,
        title: str,
        model_name: str | None,
        previous: dict[str, Any],
        outs: dict[str, Any],
    ) -> str:
        """The model trained on exactly these items: one an earlier run started, or a new one."""
        pending = previous.get("pending_event")
        if pending:
            event = api.event(pending)
            if event.status not in (COMPLETED, FAILED):
                event = self._wait(api, name, pending, {**outs, **_pending(pending, previous)})
            found = event.data.get("model_id") if event.status == COMPLETED else None
            if isinstance(found, str) and previous.get("pending_title") == title:
                return found
        existing = newest(api.list_models(), title)
        if existing is not None:
            return existing  # never a second training of the same items
        event_id = api.train(title, model_name)
        event = self._wait(
            api, name, event_id, {**outs, "pending_event": event_id, "pending_title": title}
        )
        model_id = event.data.get("model_id")
        if isinstance(model_id, str) and model_id:
            return model_id
        found = newest(api.list_models(), title)
        if found is None:
            raise CaiGunnError(f"{name}: the training completed, but no model is titled {title}")
        return found

    def _wait(self, api: ModelAPI, name: str, event_id: str, pending_outs: dict[str, Any]) -> Any:
        timeout = self._timeout()
        try:
            return wait_for_event(
                lambda: api.event(event_id),
                event_id=event_id,
                timeout=timeout,
                progress=lambda stage, elapsed: note(words.progress(name, stage, elapsed)),
            )
        except WaitTimeout as exc:
            # Recorded in the state although the update fails, so the next up waits for this
            # training instead of starting another.
            raise PartialFailure(
                words.still_running(name, "the training", timeout),
                outs=pending_outs,
                id_=str(pending_outs["chatbot_id"]),
            ) from exc
        except BackgroundWorkFailed as exc:
            raise words.training_failed(name, exc.detail) from exc

    def _model_api(self, props: dict[str, Any], ctx: Context) -> ModelAPI:
        return ModelAPI(ctx.client.transport, str(props.get("api_key")))

    def _tell_unmanaged(self, news: dict[str, Any], ids: list[str] | None) -> None:
        """Say which rows of the chatbot this stack did not create: the training uses them too."""
        if ids is None or news.get("api_key") in (None, UNKNOWN):
            return
        try:
            rows = self._model_api(news, self._context()).list_training_data()
        except (CaiGunnError, ValueError):
            return  # a notice only: the update itself reports what goes wrong
        mine = set(ids)
        others = [row for row in rows if row.id not in mine]
        if others:
            shown = ", ".join(repr(row.title or row.id) for row in others[:5])
            more = f" and {len(others) - 5} more" if len(others) > 5 else ""
            note(
                f"{name_of(news)}: {len(others)} row(s) of training data that this stack did not "
                f"create exist ({shown}{more}) and will be trained on too"
            )


def _pending(event_id: str, previous: dict[str, Any]) -> dict[str, Any]:
    return {"pending_event": event_id, "pending_title": previous.get("pending_title")}
