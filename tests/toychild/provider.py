"""The ToyChild dynamic provider: create, read, update and delete one toy of one chatbot.

Runs in the dynamic-provider process (which imports it by reference: the test puts the repo on
its PYTHONPATH). The resource id is `<chatbot id>/<label>`.
"""

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

from caigunn_provider.chatbot_level.provider import NAME, ChatbotLevelProvider, check_chatbot_id
from caigunn_provider.dynamic.base import reports, sentinels
from caigunn_provider.dynamic.runtime import Context
from caigunn_provider.errors import AuthError, CaiGunnError, NotFoundError
from caigunn_provider.stackfile.values import must_be_string
from tests.toychild.api import ToyChildAPI
from tests.toychild.kind import LABEL_RULE, MAX_NOTE, is_label

INPUTS = ("chatbot_id", "label", "note")
# Another chatbot or another label is another toy; another note is an update.
REPLACES = ("chatbot_id", "label")


class ToyChildProvider(ChatbotLevelProvider):
    """CRUD for one toy: PUT on create and update, GET on read, DELETE on delete."""

    def _toys(self, props: dict[str, Any], ctx: Context) -> ToyChildAPI:
        # The chatbot's key is not in the toy's state: the provider finds it (keys.py).
        return ToyChildAPI(ctx.client.transport, self._key(props, ctx))

    @reports("check this toy")
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        news = sentinels(news)
        failures: list[CheckFailure] = []
        check_chatbot_id(news, failures)
        if not is_label(news.get("label")):
            failures.append(CheckFailure("label", f"{LABEL_RULE} (got {news.get('label')!r})"))
        note = news.get("note")
        if not isinstance(note, str):
            failures.append(CheckFailure("note", must_be_string(note)))
        elif len(note) > MAX_NOTE:
            failures.append(CheckFailure("note", f"must be at most {MAX_NOTE} characters"))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        olds, news = sentinels(olds), sentinels(news)
        replaces = [key for key in REPLACES if olds.get(key) != news.get(key)]
        changed = any(olds.get(key) != news.get(key) for key in INPUTS)
        return DiffResult(
            changes=changed, replaces=replaces, stables=[], delete_before_replace=False
        )

    @reports("create this toy")
    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"{props['chatbot_id']}/{props['label']}", self._put(props))

    @reports("read this toy")
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        ctx = self._context()
        try:
            live = self._toys(props, ctx).get(str(props.get("label")))
        except NotFoundError:
            return ReadResult(None, {})  # deleted outside Pulumi: the next up makes it again
        except AuthError as exc:
            if self._chatbot_gone(ctx, str(props.get("chatbot_id"))):
                return ReadResult(None, {})
            raise self.explain(ctx, exc) from exc
        except CaiGunnError as exc:
            raise self.explain(ctx, exc) from exc
        # A note changed outside Pulumi: the state learns it, the next up puts the declared back.
        return ReadResult(id_, {**props, "note": live["note"]})

    @reports("update this toy")
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._put(news))

    @reports("delete this toy")
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        ctx = self._context()
        try:
            self._toys(props, ctx).delete(str(props.get("label")))
        except NotFoundError:
            pass  # already gone: what delete wanted
        except AuthError as exc:
            # A deleted chatbot's api_key means nothing: its toys went with it.
            if not self._chatbot_gone(ctx, str(props.get("chatbot_id"))):
                raise self.explain(ctx, exc) from exc
        except CaiGunnError as exc:
            raise self.explain(ctx, exc) from exc

    def _put(self, props: dict[str, Any]) -> dict[str, Any]:
        ctx = self._context()
        try:
            made = self._toys(props, ctx).put(str(props["label"]), str(props["note"]))
        except CaiGunnError as exc:
            raise self.explain(ctx, exc) from exc
        return {**{key: props.get(key) for key in (*INPUTS, NAME)}, "note": made["note"]}
