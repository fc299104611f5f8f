"""The Training dynamic provider: starts one chatbot's training and records its event, never waits.

Runs in the dynamic-provider process. Its step is short: it deletes the rows the declared set no
longer has, then uses a model already trained on exactly the chatbot's rows (named or not, the
API's default model counts the same), or POSTs one training. Either way the outcome (a model id,
or the training's event id) is in the state before anyone waits: the Model waits for it in a step
of its own, which a killed run simply runs again on the same event. Its resource id is the
chatbot's id.
"""

from __future__ import annotations

import contextlib
import time
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
from caigunn_provider.chatbot_level.api import COMPLETED, FAILED, Event
from caigunn_provider.chatbot_level.keys import knowable
from caigunn_provider.chatbot_level.provider import (
    NAME,
    UNKNOWN,
    ChatbotLevelProvider,
    check_chatbot_id,
    name_of,
    note,
    progress,
)
from caigunn_provider.chatbot_level.waiters import FIRST_POLL, GROWTH, LONGEST_POLL
from caigunn_provider.dynamic.base import reports, sentinels
from caigunn_provider.dynamic.runtime import Context
from caigunn_provider.errors import CaiGunnError, NotFoundError
from caigunn_provider.kinds.model.api import MODEL_NAMES, ModelAPI
from caigunn_provider.kinds.model.plan import (
    is_right,
    model_title,
    needs_training,
    newest_titled,
    superseded,
)
from caigunn_provider.messages import may_have_taken_effect

INPUTS = ("chatbot_id", "model_name", "training_data_ids")
# How many models titled for this set are looked at, newest first, before one is trained.
LOOKS = 3


class TrainingProvider(ChatbotLevelProvider):
    """Start (or find) the training of one chatbot on its declared rows."""

    @reports("check this chatbot's training")
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
        retrain = not known or needs_training(olds, news) or self._ended_badly(olds)
        if retrain and not replaces and isinstance(ids, list) and known:
            # Rows of the previous set are this stack's too: superseded ones go before training.
            self._tell_unmanaged(news, [*ids, *(olds.get("trained_ids") or [])])
        return DiffResult(
            changes=bool(replaces) or retrain,
            replaces=replaces,
            stables=[] if replaces else ["chatbot_id"],
            delete_before_replace=False,
        )

    @reports("start this chatbot's training")
    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(str(props["chatbot_id"]), self._start(None, props))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        # What the training started is the Model's to read; this step's record stays as it is.
        return ReadResult(id_, props)

    @reports("start this chatbot's training")
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        if not needs_training(olds, news) and not self._ended_badly(olds):
            return UpdateResult(olds)  # nothing to start
        return UpdateResult(self._start(olds, news))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        # A training cannot be taken back; the chatbot keeps answering with the model it has.
        return None

    # --- the one short step ---------------------------------------------------------------------

    def _start(self, olds: dict[str, Any] | None, news: dict[str, Any]) -> dict[str, Any]:
        ctx = self._context()
        try:
            api = ModelAPI(ctx.client.transport, self._key(news, ctx))
        except CaiGunnError as exc:
            raise self.explain(ctx, exc) from exc
        declared = sorted(set(news.get("training_data_ids") or []))
        model_name = news.get("model_name")
        title = model_title(declared, model_name)
        outs: dict[str, Any] = {key: news.get(key) for key in (*INPUTS, NAME)}
        outs.update(training_data_ids=declared, trained_ids=declared, title=title)
        try:
            # Rows of removed or replaced items go first: a training uses every row there is.
            for row_id in superseded(olds, declared):
                with contextlib.suppress(NotFoundError):
                    api.delete_training_data(row_id)
            rows = [row.id for row in api.list_training_data()]
            # Every row the training uses (hand-made ones too): the Model holds it to them.
            outs["rows"] = sorted(rows)
            found = self._right_model(ctx, api, str(news["chatbot_id"]), rows, title, model_name)
            if found is not None:
                return {**outs, "model_id": found, "event_id": None}
            started_at = time.time()
            try:
                event_id = api.train(title, model_name)
            except CaiGunnError as exc:
                if not may_have_taken_effect(exc):
                    raise
                # Never POSTed again: the model it may have started is waited for by title.
                found = self._lost_training(api, name_of(news), rows, title, model_name, exc)
                return {**outs, "model_id": found, "event_id": None}
        except CaiGunnError as exc:
            raise self.explain(ctx, exc) from exc
        note(f"{name_of(news)}: training started (event {event_id})")
        return {**outs, "model_id": None, "event_id": event_id, "started_at": round(started_at, 3)}

    @staticmethod
    def _right_model(
        ctx: Context,
        api: ModelAPI,
        chatbot_id: str,
        rows: list[str],
        title: str,
        model_name: str | None,
    ) -> str | None:
        """A model trained on exactly these rows with this model: the one the chatbot answers
        with, or one titled for the set (a run that lost its state after training)."""
        candidates = [ctx.client.get_chatbot(chatbot_id).model_id]
        candidates += newest_titled(api.list_models(), title)[:LOOKS]
        for model_id in dict.fromkeys(candidate for candidate in candidates if candidate):
            try:
                if is_right(api.get_model(model_id), rows, model_name):
                    return model_id
            except NotFoundError:
                continue
        return None

    def _lost_training(
        self,
        api: ModelAPI,
        name: str,
        rows: list[str],
        title: str,
        model_name: str | None,
        cause: CaiGunnError,
    ) -> str:
        """The model a training POST whose answer was lost made: looked for by its title (a
        training in progress is invisible until its model is listed), up to the training
        timeout; a timeout is the lost answer's failure, and the next run looks again."""
        timeout, started = self._timeout(), time.monotonic()
        interval = FIRST_POLL
        while True:
            for model_id in newest_titled(api.list_models(), title)[:LOOKS]:
                with contextlib.suppress(NotFoundError):
                    if is_right(api.get_model(model_id), rows, model_name):
                        return model_id
            elapsed = time.monotonic() - started
            if elapsed >= timeout:
                raise words.training_answer_lost(name, cause, timeout)
            progress(f"{name}: a training answer was lost: waiting for its model ({elapsed:.0f} s)")
            time.sleep(min(interval, timeout - elapsed))
            interval = min(interval * GROWTH, LONGEST_POLL)

    def _ended_badly(self, olds: dict[str, Any]) -> bool:
        """Whether the training this step started failed, or CaiGunn no longer knows its event:
        then the next step trains again (after looking for a right model)."""
        event_id = olds.get("event_id")
        if not event_id or not knowable(olds):
            return False
        try:
            api = ModelAPI(self._context().client.transport, self._key(olds))
        except (CaiGunnError, ValueError):
            return False  # proves nothing: the Model's wait meets it and reports it
        try:
            event = api.event(str(event_id))
        except NotFoundError:
            return True
        except (CaiGunnError, ValueError):
            return False  # proves nothing: the Model's wait meets it and reports it
        return event.status == FAILED or trained_other_rows(event, olds.get("rows"))

    def _tell_unmanaged(self, news: dict[str, Any], ids: list[str]) -> None:
        """Say which rows of the chatbot this stack did not create: the training uses them too.

        Named by id and type only: a row's title may be the start of a private text.
        """
        if not knowable(news):
            return
        try:
            api = ModelAPI(self._context().client.transport, self._key(news))
            rows = api.list_training_data()
        except (CaiGunnError, ValueError):
            return  # a notice only: the update itself reports what goes wrong
        mine = set(ids)
        others = [row for row in rows if row.id not in mine]
        if others:
            shown = ", ".join(f"{row.id} ({row.type or 'unknown type'})" for row in others[:5])
            more = f" and {len(others) - 5} more" if len(others) > 5 else ""
            note(
                f"{name_of(news)}: {len(others)} row(s) of training data that this stack did not "
                f"create exist ({shown}{more}) and will be trained on too"
            )


def trained_other_rows(event: Event, rows: object) -> bool:
    """Whether a completed training used rows other than those there were when it was started
    (another training of the chatbot, from another stack or the console, or rows added
    meanwhile): its model is then not the declared knowledge's."""
    trained = event.data.get("training_data_ids")
    if event.status != COMPLETED or not isinstance(trained, list) or not isinstance(rows, list):
        return False
    ids = {item.get("id") if isinstance(item, dict) else item for item in trained}
    return ids != set(rows)
