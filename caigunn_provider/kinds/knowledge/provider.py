"""The KnowledgeItem dynamic provider: one item of a chatbot's training data.

A text is answered at once with its row. A file or a website is a background job: its create only
POSTs and records the job's event id (`rows_apart`), so that the engine saves it before anyone
waits; its KnowledgeRows (kinds/knowledge/rows.py) then waits for the rows. An item the older
code made holds its rows in `ids` itself, and keeps them.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from pathlib import Path
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
from caigunn_provider.chatbot_level.api import (
    COMPLETED,
    FAILED,
    Added,
    ChatbotAPI,
    Event,
    TrainingRow,
)
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
from caigunn_provider.chatbot_level.waiters import wait_for_event
from caigunn_provider.dynamic.base import reports, sentinels, warn
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
from caigunn_provider.kinds.knowledge import digest
from caigunn_provider.kinds.knowledge.attempts import (
    ROW_TYPE,
    Jobs,
    Once,
    Others,
    is_attempt,
    new_attempt,
    resolve,
    row_ids,
)
from caigunn_provider.messages import may_have_taken_effect

KINDS = ("text", "text_file", "file", "website")
# The kinds CaiGunn answers with an event to wait for (a KnowledgeRows holds their rows).
ASYNC_KINDS = ("file", "website")
# The output that marks an item whose rows its KnowledgeRows holds (absent from older states).
ROWS_APART = "rows_apart"
INPUTS = (
    "chatbot_id",
    "kind",
    "digest",
    "path",
    "text",
    "website",
    "single_page",
    "held_ids",
)
# A change of any of these makes a new item (the new one first, the old one deleted at the end).
REPLACE_ON = ("chatbot_id", "kind", "digest", "website", "single_page")


def replaced_keys(olds: dict[str, Any], news: dict[str, Any]) -> list[str]:
    """The inputs whose change replaces the item (a missing single_page counts as false)."""
    changed = []
    for key in REPLACE_ON:
        old, new = olds.get(key), news.get(key)
        if key == "single_page":
            old, new = bool(old), bool(new) if new != UNKNOWN else new
        if old != new:
            changed.append(key)
    return changed


def held_rows(olds: dict[str, Any], news: dict[str, Any]) -> list[str]:
    """The rows the item's KnowledgeRows holds for the item's recorded event, as the program read
    them from the stack's checkpoint (`held_ids`: [] when unknown or still waited for)."""
    held = news.get("held_ids")
    if not isinstance(held, list) or not olds.get(ROWS_APART):
        return []
    return [str(row_id) for row_id in held]


def made_nothing(event: Event | None) -> bool:
    """Whether a crawl or upload is known to have made no row of the item: CaiGunn no longer
    knows it (None), it failed, or it ended with a failed part or no row (the item's rows are
    then posted again, as when its create failed)."""
    if event is None or event.status == FAILED:
        return True
    if event.status != COMPLETED:
        return False
    ids, failures = row_ids(event)
    return bool(failures) or not ids


class KnowledgeItemProvider(ChatbotLevelProvider):
    """CRUD for one knowledge item: its rows, made and deleted with its chatbot's api-key."""

    @reports("check this knowledge item")
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        news = sentinels(news)
        failures: list[CheckFailure] = []
        check_chatbot_id(news, failures)
        kind = news.get("kind")
        if kind not in KINDS:
            failures.append(CheckFailure("kind", f"must be one of {', '.join(KINDS)}"))
        value = news.get("digest")
        if value != UNKNOWN and not digest.is_digest(value):
            failures.append(CheckFailure("digest", "must be a sha256 hex digest"))
        needs = {"text": "text", "text_file": "path", "file": "path", "website": "website"}
        field = needs.get(str(kind))
        if field and not (isinstance(news.get(field), str) and news[field]):
            failures.append(CheckFailure(field, f"a {kind} item needs its {field}"))
        news["single_page"] = bool(news.get("single_page")) if kind == "website" else None
        if (
            kind in ASYNC_KINDS
            and not olds
            and not failures
            and not is_attempt(news.get("attempt"))
        ):
            # A create: the chatbot's rows of its type before the POST, in the pending create's
            # inputs, so that a run killed inside the POST leaves the next one what it needs.
            attempt = self._attempt_or_none(news)
            if attempt is not None:
                news["attempt"] = attempt
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        olds, news = sentinels(olds), sentinels(news)
        # Rows gone (deleted outside Pulumi, or by a training that then failed while the item
        # was out of the stack): the item is made again, never silently left out of a training.
        replaces = replaced_keys(olds, news) or (["ids"] if self._rows_gone(olds) else [])
        if unresolved(olds):
            pending = not replaces  # its rows are told (or it is posted again) by its update
        elif olds.get(ROWS_APART):
            pending = False
            if not replaces:
                retry, gone = self._job_state(olds, news)
                replaces = ["ids"] if gone else []
                pending = retry
        else:
            # An older item whose crawl or upload an earlier run stopped waiting for.
            pending = bool(olds.get("event_id")) and not olds.get("ids")
        changed = (
            bool(replaces)
            or pending
            or any(olds.get(key) != news.get(key) for key in ("path", "text"))
        )
        return DiffResult(
            changes=changed,
            replaces=replaces,
            stables=[] if replaces else ["ids", "titles"],
            delete_before_replace=False,
        )

    @reports("create this knowledge item")
    def create(self, props: dict[str, Any]) -> CreateResult:
        recover = props.get("recover")
        if props.get("kind") in ASYNC_KINDS and is_attempt(recover):
            # A run killed inside this item's POST: its rows are told before anything is posted.
            outs = self._settle_attempt({**props, "attempt": recover}, created=True)
        else:
            outs = self._add(props)
        return CreateResult(str(outs["ids"][0] if outs["ids"] else outs["event_id"]), outs)

    @reports("read this knowledge item")
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        ctx = self._context()
        outs = dict(props)
        if unresolved(outs):
            # Its rows are not told yet: only the next up's update may tell them (attempts.py).
            return ReadResult(id_, outs)
        try:
            api = self._api(props, ctx)
            ids = list(outs.get("ids") or [])
            if not ids and outs.get("event_id"):
                event = self._event_or_none(api, outs)
                if event is None and outs.get(ROWS_APART):
                    # Its rows may be held by its KnowledgeRows: the next up's diff tells.
                    return ReadResult(id_, outs)
                if event is None or event.status == FAILED:
                    return ReadResult(None, {})  # it never made a row: the next up adds it again
                if event.status != COMPLETED:
                    return ReadResult(id_, outs)  # still at work: the next up waits for it
                ids = row_ids(event)[0]
                if not outs.get(ROWS_APART):
                    outs["ids"] = ids  # an older item holds its rows itself
            rows = {row.id: row for row in api.list_training_data()}
        except (NotFoundError, AuthError) as exc:
            if self._chatbot_gone(ctx, str(props.get("chatbot_id"))):
                return ReadResult(None, {})
            raise self.explain(self._context(), exc) from exc
        if not ids or any(row_id not in rows for row_id in ids):
            # Deleted outside Pulumi (in whole or in part): the next up adds it again, and the
            # model's update deletes what is left of it, as rows it supersedes.
            return ReadResult(None, {})
        if not outs.get(ROWS_APART):
            outs["titles"] = [rows[row_id].title for row_id in ids]
        return ReadResult(id_, outs)

    @reports("update this knowledge item")
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        outs = {**olds, **{key: news.get(key) for key in (*INPUTS, NAME)}}
        if unresolved(olds):
            return UpdateResult(self._settle_attempt({**news, "attempt": olds["attempt"]}))
        if olds.get("ids") or not olds.get("event_id") or held_rows(olds, news):
            return UpdateResult(outs)  # nothing of the item itself changed in CaiGunn
        # A crawl or upload with no rows recorded here: posted again only once CaiGunn says it
        # failed or no longer knows it, never while it may still be at work.
        api = self._api(news)
        try:
            event = self._event_or_none(api, olds)
        except CaiGunnError as exc:
            raise self.explain(self._context(), exc) from exc
        if event is None and is_attempt(olds.get("attempt")) and news.get("others") is not None:
            # Forgotten by CaiGunn: its rows are looked for as a lost answer's are, then it is
            # posted again once, only where none are found.
            return UpdateResult(self._settle_attempt({**news, "attempt": olds["attempt"]}))
        if made_nothing(event):
            return UpdateResult(self._add(news))  # it made nothing known: add the item afresh
        # Still at work, or done: its KnowledgeRows waits for it (an older item moves over).
        return UpdateResult({**outs, "ids": [], ROWS_APART: True})

    @reports("delete this knowledge item")
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        ctx = self._context()
        ids = list(props.get("ids") or [])
        try:
            api = self._api(props, ctx)
            if not ids and props.get("event_id"):
                event = self._ended_event(api, props)
                ids = row_ids(event)[0] if event and event.status == COMPLETED else []
            for row_id in ids:
                # A 404 proves it gone, which is what delete wanted (the model's update did it).
                with contextlib.suppress(NotFoundError):
                    api.delete_training_data(row_id)
        except (NotFoundError, AuthError) as exc:
            if not self._chatbot_gone(ctx, str(props.get("chatbot_id"))):
                raise self.explain(self._context(), exc) from exc

    # --- helpers ------------------------------------------------------------------------------

    @staticmethod
    def _event_or_none(api: ChatbotAPI, props: dict[str, Any]) -> Event | None:
        """The item's crawl or upload event; None, with a warning, when CaiGunn no longer knows
        it (events may expire: how long they live is not documented). Never a stuck stack."""
        try:
            return api.event(str(props["event_id"]))
        except NotFoundError:
            warn(
                f"{name_of(props)}: CaiGunn no longer knows the event {props['event_id']} of this "
                "item's crawl or upload (it may have expired); the item is taken as never made"
            )
            return None

    def _ended_event(self, api: ChatbotAPI, props: dict[str, Any]) -> Event | None:
        """The item's crawl or upload once ended, waited for (with the training timeout) so that
        a delete finds every row it makes; a wait past the timeout fails the delete, which keeps
        the item in the state for the next run to delete."""
        event = self._event_or_none(api, props)
        if event is None or event.ended:
            return event
        event_id, name = str(props["event_id"]), name_of(props)
        try:
            return wait_for_event(
                lambda: api.event(event_id),
                event_id=event_id,
                timeout=self._timeout(),
                progress=lambda stage, elapsed: progress(words.progress(name, stage, elapsed)),
            )
        except BackgroundWorkFailed:
            return None  # it made nothing to delete
        except WaitTimeout as exc:
            raise words.delete_waits(name, _what(props), self._timeout()) from exc

    def _job_state(self, olds: dict[str, Any], news: dict[str, Any]) -> tuple[bool, bool]:
        """(post again, rows gone) of an item whose KnowledgeRows holds its rows: posted again
        when CaiGunn says its job failed or no longer knows it; its rows gone (deleted outside
        Pulumi) when a row its completed job made is missing. Neither where it cannot be told:
        a job that may still be at work is never posted again. Rows its KnowledgeRows already
        holds are checked without the event: an event CaiGunn forgot after it completed never
        makes a second upload or crawl."""
        held = held_rows(olds, news)
        if held:
            return False, self._rows_gone({**olds, "ids": held})
        if not knowable(olds) or not olds.get("event_id"):
            return False, False
        try:
            event = self._event_or_none(self._api(olds), olds)
        except (CaiGunnError, ValueError):
            return False, False  # proves nothing: the KnowledgeRows' wait meets it
        if made_nothing(event):
            return True, False
        if event is None or event.status != COMPLETED:
            return False, False
        return False, self._rows_gone({**olds, "ids": row_ids(event)[0]})

    def _attempt_or_none(self, news: dict[str, Any]) -> dict[str, Any] | None:
        """A new attempt of a file or website item about to be created, with its chatbot's rows of
        that type now (one read per chatbot and run); None where they cannot be read yet (the
        create reads them then)."""
        chatbot_id = news.get("chatbot_id")
        if not knowable(news):
            return None
        ctx = self._context()
        try:
            rows = ctx.slot("knowledge jobs", lambda _: Jobs()).before(
                str(chatbot_id), lambda: self._api(news, ctx).list_training_data()
            )
        except (CaiGunnError, ValueError):
            return None
        kind = str(news["kind"])
        return new_attempt(kind, (row.id for row in rows if row.type == ROW_TYPE[kind]))

    def _rows_gone(self, olds: dict[str, Any]) -> bool:
        """Whether a row the item made is no longer in its chatbot's training data (one list
        read per chatbot and run, shared by its items); False where that cannot be told."""
        ids, chatbot_id = olds.get("ids"), olds.get("chatbot_id")
        if not ids or not knowable(olds):
            return False
        ctx = self._context()
        present = ctx.slot("knowledge rows", lambda _: PresentRows())
        try:
            rows = present.of(str(chatbot_id), lambda: self._api(olds, ctx).list_training_data())
        except (CaiGunnError, ValueError):
            return False  # proves nothing: the update meets it and reports it
        return any(row_id not in rows for row_id in ids)

    def _add(self, props: dict[str, Any]) -> dict[str, Any]:
        """Add the item to its chatbot's training data and wait until its rows exist."""
        name, kind = name_of(props), props["kind"]
        outs = {key: props.get(key) for key in (*INPUTS, NAME)}
        outs.update(ids=[], titles=None, event_id=None)
        ctx = self._context()
        api = self._api(props, ctx)
        if kind in ASYNC_KINDS:
            return self._post_job(api, ctx.slot("knowledge jobs", lambda _: Jobs()), props, outs)
        try:
            text = props["text"] if kind == "text" else _text(name, props)
            texts = ctx.slot("knowledge text posts", lambda _: TextPosts())
            outs["ids"] = [texts.add(api, str(props["chatbot_id"]), text, name)]
        except CaiGunnError as exc:
            raise self.explain(ctx, exc) from exc
        return outs

    def _post_job(
        self, api: ChatbotAPI, jobs: Jobs, props: dict[str, Any], outs: dict[str, Any]
    ) -> dict[str, Any]:
        """POST a file or a website and return at once with its event: the engine records it
        before the item's KnowledgeRows waits for it. A lost answer is recorded as the attempt
        (a partial failure, so that no training starts on rows not yet told apart), never sent
        again in this run."""
        name, kind, chatbot_id = name_of(props), str(props["kind"]), str(props["chatbot_id"])
        try:
            attempt = props.get("attempt")
            if not is_attempt(attempt):
                rows = jobs.before(chatbot_id, api.list_training_data)
                attempt = new_attempt(kind, (r.id for r in rows if r.type == ROW_TYPE[kind]))

            def send() -> Added:
                if kind == "website":
                    return api.add_website(props["website"], bool(props.get("single_page")))
                return api.add_file(Path(props["path"]).name, _read(name, props))

            unresolved_elsewhere = Others.of(props.get("others")).unresolved
            added = jobs.post(
                chatbot_id, ROW_TYPE[kind], name, unresolved_elsewhere, send, may_have_taken_effect
            )
        except CaiGunnError as exc:
            if may_have_taken_effect(exc):
                kept = {**outs, "ids": [], "event_id": None, ROWS_APART: True, "attempt": attempt}
                raise PartialFailure(
                    words.job_answer_lost(name, _what(props), exc), outs=kept, id_=name
                ) from exc
            raise self.explain(self._context(), exc) from exc
        assert added.event_id is not None  # the parser refuses an answer with neither
        return {**outs, "event_id": added.event_id, ROWS_APART: True, "attempt": attempt}

    def _settle_attempt(self, props: dict[str, Any], *, created: bool = False) -> dict[str, Any]:
        """The item with its attempt resolved: the rows it made, held by the item itself, or, where
        it made none, the item posted again (once). Past the settle wait's limit, the attempt
        stays as it is (a create keeps it as a partial failure)."""
        name, attempt = name_of(props), props["attempt"]
        outs = {key: props.get(key) for key in (*INPUTS, NAME)}
        outs.update(titles=None, event_id=None, attempt=attempt)
        ctx = self._context()
        api, config = self._api(props, ctx), self.provider_config()
        jobs = ctx.slot("knowledge jobs", lambda _: Jobs())
        try:
            if props.get("others") is None:
                # The program could not read the stack's checkpoint: the other items' rows, which
                # must not be taken for this one's, are unknown.
                raise CaiGunnError(
                    "the rows of the upload or crawl whose answer was lost cannot be told apart "
                    "from the other items' without the stack's checkpoint, which this run could "
                    "not read; run `pulumi up` again"
                )
            made = resolve(
                api,
                str(props["chatbot_id"]),
                attempt,
                Others.of(props.get("others")),
                jobs,
                settle=config.settle_time,
                timeout=config.training_timeout,
                say=lambda stage: progress(f"{name}: {stage}"),
            )
        except CaiGunnError as exc:
            if created:
                kept: dict[str, Any] = {**outs, "ids": [], ROWS_APART: True}
                raise PartialFailure(f"{name}: {exc}", outs=kept, id_=name) from exc
            raise CaiGunnError(f"{name}: {exc}") from exc
        jobs.resolved(name)
        if made:
            note(words.job_rows_found(name, _what(props), made))
            # Held by the item itself, as an older item's are: its KnowledgeRows takes them.
            return {**outs, "ids": made, ROWS_APART: False}
        note(words.job_made_nothing(name, _what(props)))
        fresh = {key: value for key, value in props.items() if key != "attempt"}
        return self._add(fresh)


def finish(
    props: dict[str, Any], api: ChatbotAPI, event_id: str, outs: dict[str, Any], timeout: float
) -> dict[str, Any]:
    """Wait for a crawl or upload and return outs with its rows; a timeout or a cut-off wait is
    a PartialFailure that keeps the event, so that the next run waits for the same one."""
    name = name_of(props)
    what = _what(props)
    try:
        event = wait_for_event(
            lambda: api.event(event_id),
            event_id=event_id,
            timeout=timeout,
            progress=lambda stage, elapsed: progress(words.progress(name, stage, elapsed)),
        )
    except WaitTimeout as exc:
        outs = {**outs, "ids": [], "event_id": event_id}
        raise PartialFailure(
            words.still_running(name, what, timeout), outs=outs, id_=event_id
        ) from exc
    except BackgroundWorkFailed as exc:
        raise words.item_failed(name, what, exc.detail) from exc
    except (APIConnectionError, APIError) as exc:
        if isinstance(exc, AuthError | NotFoundError):
            raise
        # Kept in the state as a partial failure: a rerun resumes waiting for this event.
        outs = {**outs, "ids": [], "event_id": event_id}
        raise PartialFailure(words.wait_cut_off(name, what, exc), outs=outs, id_=event_id) from exc
    ids, failures = row_ids(event)
    if failures or not ids:
        raise words.item_failed(name, what, "; ".join(failures) or "it made no training data")
    return {**outs, "ids": ids, "event_id": event_id}


def _what(props: dict[str, Any]) -> str:
    if props.get("kind") == "website":
        scope = "the page" if props.get("single_page") else "the site"
        return f"crawl {scope} {props.get('website')}"
    return f"upload {props.get('path')}"


def _read(name: str, props: dict[str, Any]) -> bytes:
    """The file's content, as long as it is what the plan saw (its digest)."""
    path = str(props["path"])
    try:
        content = Path(os.getcwd(), path).read_bytes()
    except OSError as exc:
        raise words.unreadable(name, path, exc) from exc
    if digest.of_bytes(content) != props.get("digest"):
        raise words.file_changed(name, path)
    return content


def _text(name: str, props: dict[str, Any]) -> str:
    content = _read(name, props)
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CaiGunnError(f"{name}: {props['path']} is not UTF-8 text") from exc


def unresolved(olds: dict[str, Any]) -> bool:
    """Whether the item is a recorded attempt whose rows are not told yet (no rows, no event)."""
    return is_attempt(olds.get("attempt")) and not olds.get("ids") and not olds.get("event_id")


class PresentRows:
    """Each chatbot's training-data row ids, read once per run (the first asker reads, the
    others of that chatbot wait for its answer)."""

    def __init__(self) -> None:
        self._ids: Once[frozenset[str]] = Once()

    def of(self, chatbot_id: str, read: Callable[[], list[TrainingRow]]) -> frozenset[str]:
        return self._ids.get(chatbot_id, lambda: frozenset(row.id for row in read()))


# A text POST that failed and is proven not to have landed (no new row) is sent again this often.
TEXT_ATTEMPTS = 3


class TextPosts:
    """Each chatbot's text POSTs, one at a time, each owning exactly its row even when its answer
    is lost (a 5xx or a timeout after the request left): the POST is never sent again; the text
    rows that appeared meanwhile are compared with those known before it. Exactly one new row is
    this item's; none means it did not land (and it is sent again, a few times at most); more is
    a stop that names them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        # Each chatbot's text row ids as this run knows them (read before its first POST).
        self._known: dict[str, set[str]] = {}

    def add(self, api: ChatbotAPI, chatbot_id: str, text: str, name: str) -> str:
        """POST the text; the id of the row it made."""
        with self._lock:
            lock = self._locks.setdefault(chatbot_id, threading.Lock())
        with lock:
            known = self._known.get(chatbot_id)
            if known is None:
                known = self._known[chatbot_id] = _text_rows(api)
            for attempt in range(1, TEXT_ATTEMPTS + 1):
                try:
                    added = api.add_text(text)
                except CaiGunnError as exc:
                    if not may_have_taken_effect(exc):
                        raise
                    new = sorted(_text_rows(api) - known)
                    known.update(new)
                    if len(new) == 1:
                        return new[0]
                    if new:
                        raise words.text_unclear(name, exc, new) from exc
                    if attempt == TEXT_ATTEMPTS:
                        raise
                    continue  # proven not to have landed: sending it again makes no second row
                if added.id is None:
                    raise CaiGunnError(f"{name}: CaiGunn answered a text upload without an id")
                known.add(added.id)
                return added.id
            raise AssertionError("unreachable: the last attempt returns or raises")


def _text_rows(api: ChatbotAPI) -> set[str]:
    return {row.id for row in api.list_training_data() if row.type == "text"}
