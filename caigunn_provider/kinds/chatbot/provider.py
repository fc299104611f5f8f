"""The Chatbot dynamic provider: Pulumi's check, diff, create, read, update and delete."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    UpdateResult,
)

from caigunn_provider import messages
from caigunn_provider.chatbot_level.keys import remember
from caigunn_provider.chatbot_level.live import Live, live
from caigunn_provider.client import ChatbotRow
from caigunn_provider.client.fields import changed_settings
from caigunn_provider.dynamic import status
from caigunn_provider.dynamic.base import UNKNOWN, BaseProvider, reports, warn
from caigunn_provider.dynamic.partial import PartialFailure
from caigunn_provider.dynamic.runtime import Context
from caigunn_provider.errors import AmbiguousCreate, CaiGunnError, ConfigError, NotFoundError
from caigunn_provider.ids import canonical_id
from caigunn_provider.kinds.chatbot import ownership, prescan, retain
from caigunn_provider.kinds.chatbot.expiry import (
    EXPIRES_AT,
    LEGACY_EXPIRED_AT,
    as_output,
    parse_time,
    recorded_end,
)
from caigunn_provider.kinds.chatbot.shared import run_of
from caigunn_provider.kinds.chatbot.spec import AMBIGUOUS, AMBIGUOUS_ID, change_of

# Inputs the program declares. The one-shot ones matter only to the create that makes the
# resource and are spent once it exists: `__import` and `__recover` name an existing chatbot to take
# over; `__prior_ids` are the ids that had the entry's title when its create was checked, so that a
# later run can tell which chatbot an interrupted create made (kinds/chatbot/recovery.py).
# Their "__" prefix keeps them out of the engine's diff display, where a spent value would show
# as a change on every later update.
IMPORT, RECOVER, PRIOR_IDS = "__import", "__recover", "__prior_ids"
SCAN = prescan.SCAN
# An output: how long the account's list was when the chatbot was made or adopted. A later
# refresh through the list reads it at that pace (caigunn_provider/listing.py); it is never
# updated, so that a refresh leaves the state as it was.
LIST_SIZE = "__list_size"
ONE_SHOT = (IMPORT, RECOVER, PRIOR_IDS)
INPUTS = ("title", "plan_id", "settings", *ONE_SHOT)


class ChatbotProvider(BaseProvider):
    """CRUD for one CaiGunn chatbot, on any server: what it cannot do is asked, not assumed."""

    @reports("check this chatbot")
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        news = dict(news)
        # Where the program's scan for this run's creates is written (kinds/chatbot/prescan.py):
        # spent here, never stored.
        scanned = news.pop(SCAN, None)
        failures = []
        title = news.get("title")
        if title != UNKNOWN and not (isinstance(title, str) and title.strip()):
            failures.append(CheckFailure("title", f"must be a non-empty string (got {title!r})"))
        for key in ("plan_id", IMPORT, RECOVER):
            value = news.get(key)
            if value == UNKNOWN or (value is None and key != "plan_id"):
                continue
            canonical = canonical_id(value)
            if canonical is None:
                failures.append(CheckFailure(key, f"must be a UUID (got {value!r})"))
            news[key] = canonical
        if not isinstance(news.get("settings") or {}, dict):
            failures.append(CheckFailure("settings", "must be a mapping of chatbot settings"))
        if failures:
            return CheckResult(news, failures)
        news["settings"] = dict(news.get("settings") or {}) or None
        replacing = bool(olds) and change_of(olds, news.get("plan_id"), "", None) == "replace"
        if olds:
            # The resource exists: adoption happened when it was created and is never redone
            # (not even by a `pulumi up --replace`, which check cannot tell from an update).
            news[IMPORT] = None
            # Spent by its create, the prior ids are kept as the state has them so that unchanged
            # inputs read as unchanged: else the engine rewrites its whole checkpoint once per
            # chatbot, and a second `up` grows with the square of their number.
            news[PRIOR_IDS] = olds.get(PRIOR_IDS)
            if not replacing:
                news[RECOVER] = None
        if (not olds or replacing) and title != UNKNOWN and news.get(IMPORT) is None:
            ctx = self.context()
            # The create that follows needs to know what the server can do: that probe goes
            # out beside the scan rather than after it.
            ctx.probe_ahead()
            handed = prescan.prior_ids(scanned, str(title)) if not olds else None
            if handed is not None:
                run_of(ctx).listing.note_size(handed.size, handed.page_size)
                news[PRIOR_IDS] = handed.prior_ids
            else:
                rows = run_of(ctx).listing.snapshot(proven=True).rows.values()
                news[PRIOR_IDS] = sorted(row.id for row in rows if row.title == title)
        return CheckResult(news, [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        if olds.get(AMBIGUOUS):
            # The record of an ambiguous create: replaced by the chatbot `import:` names (the
            # program stops a run without one before anything is declared). The engine checks the
            # replacement's inputs afresh, so its `import:` is not spent on the record.
            return DiffResult(changes=True, replaces=[AMBIGUOUS], delete_before_replace=False)
        # The kinds inside the entry are stepped after this: they find its key here (keys.py).
        # Only a diff without the provider's configuration (a unit test) cannot tell it.
        with contextlib.suppress(ConfigError):
            remember(self.context(), _id, olds.get("api_key"))
        # The one-shot inputs only matter to create: leaving `import:` in the file changes nothing.
        change = change_of(olds, news.get("plan_id"), news["title"], news.get("settings"))
        replaces = ["plan_id"] if change == "replace" else []
        return DiffResult(
            changes=change is not None,
            replaces=replaces,
            stables=[] if replaces else ["plan_id", "api_key"],
            delete_before_replace=False,
        )

    @reports("create this chatbot")
    def create(self, props: dict[str, Any]) -> CreateResult:
        ctx = self.context()
        title, plan_id = props["title"], props["plan_id"]
        settings: dict[str, Any] = dict(props.get("settings") or {})
        caps = self.capabilities(ctx)
        if settings and not caps.takes_settings:
            raise messages.settings_need_current_api(list(settings))
        taken_over = props.get(IMPORT) or props.get(RECOVER)
        if taken_over:
            why = (
                "import" if props.get(IMPORT) else "recovering the chatbot an interrupted run made"
            )
            found = self._adopt(ctx, taken_over, title, plan_id, settings, why)
            # Settings the API does not return could not be compared: the next `up` applies them.
            verified = {k: v for k, v in settings.items() if k in found.settings}
            outs = self._outs(
                found.row,
                plan_id,
                verified,
                run_of(ctx).listing.size(),
                plan_verified=caps.lists_plans,
                expires_at=as_output(found.period_end),
            )
            remember(ctx, found.row.id, found.row.api_key)
            return CreateResult(found.row.id, {**outs, "adopted": bool(props.get(IMPORT)) or None})
        try:
            made = ownership.create(ctx, title, plan_id, settings, props.get(PRIOR_IDS))
            if settings:
                ownership.apply_ignored_settings(ctx, made.row.id, settings)
        except AmbiguousCreate as exc:
            # Kept in the state, so that a blind rerun stops again instead of creating a second
            # chatbot: a record with a placeholder id, whose read and delete do nothing.
            record = {key: props.get(key) for key in ("title", "plan_id", "settings", PRIOR_IDS)}
            raise PartialFailure(
                str(exc),
                outs={**record, AMBIGUOUS: list(exc.candidates)},
                id_=f"{AMBIGUOUS_ID}{uuid.uuid4()}",
            ) from exc
        except CaiGunnError as exc:
            raise self.explain(ctx, exc) from exc
        # The create's answer says when the new period ends: no read is spent on it.
        outs = self._outs(
            made.row,
            plan_id,
            settings,
            run_of(ctx).listing.size(),
            expires_at=as_output(parse_time(made.expired_at)),
        )
        remember(ctx, made.row.id, made.row.api_key)
        return CreateResult(made.row.id, outs)

    @reports("read this chatbot")
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        if props.get(AMBIGUOUS):
            return ReadResult(id_, props)  # the record of an ambiguous create: nothing to read
        ctx = self.context()
        run_of(ctx).listing.hint_size(props.get(LIST_SIZE))
        found = self._live(ctx, id_)
        if found is None:
            return ReadResult(None, {})  # proven gone: refresh drops it from the state
        live = found.row
        managed = dict(props.get("settings") or {})
        outs = {
            **{key: value for key, value in props.items() if key != LEGACY_EXPIRED_AT},
            "title": live.title,
            "plan_id": live.plan_id or props.get("plan_id"),
            "plan_verified": None
            if props.get("plan_verified") is not False or live.plan_id
            else False,
            "api_key": live.api_key or props.get("api_key"),
            # Settings the API returns show drift; write-only ones keep what was last sent.
            "settings": {key: found.settings.get(key, value) for key, value in managed.items()}
            or None,
            # The period as the server shows it now (a renewal moves it), else as recorded.
            EXPIRES_AT: as_output(found.period_end or recorded_end(props)),
        }
        # The inputs follow the live values, so that the next diff shows what the file changes.
        inputs = {key: outs.get(key) if key not in ONE_SHOT else None for key in INPUTS}
        remember(ctx, id_, outs["api_key"])
        return ReadResult(id_, outs, inputs)

    @reports("update this chatbot")
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        ctx = self.context()
        remember(ctx, id_, olds.get("api_key"))
        changed = changed_settings(olds.get("settings"), news.get("settings"))
        outs = {**olds, "title": news["title"], "settings": news.get("settings") or None}
        if not changed and olds.get("title") == news["title"]:
            return UpdateResult(outs)  # only settings taken out of the entry: nothing to send
        caps = self.capabilities(ctx)
        if changed and not caps.takes_settings:
            raise messages.settings_need_current_api(list(changed))
        if olds.get("title") != news["title"] and not caps.can_rename:
            raise messages.cannot_rename(id_, olds.get("title", ""))
        fields = dict(changed)
        if olds.get("title") != news["title"]:
            fields["title"] = news["title"]
        try:
            ctx.client.update_chatbot(id_, fields)
        except NotFoundError as exc:
            raise messages.gone_on_update(id_, exc) from exc
        except CaiGunnError as exc:
            raise self.explain(ctx, exc) from exc
        run_of(ctx).listing.record_renamed(id_, news["title"])
        return UpdateResult(outs)

    @reports("delete this chatbot")
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        if props.get(AMBIGUOUS):
            return  # the record of an ambiguous create: no chatbot of its own to delete
        ctx = self.context()
        if props.get("adopted"):
            # Kept in the Diagnostics under the chatbot's own name: the summary counts it deleted.
            name = status.current_name() or "this entry"
            status.say(retain.kept_message(name, props.get("title"), id_), ephemeral=False)
            return
        if not self.capabilities(ctx).can_delete:
            warn(
                f"this CaiGunn API cannot delete chatbots, so chatbot {id_} stays in the "
                "account; it leaves the Pulumi state only. Delete it in the CaiGunn console if "
                "it is no longer wanted."
            )
            return
        try:
            ctx.client.delete_chatbot(id_)
        except NotFoundError:
            pass  # a by-id 404 proves it gone, which is what delete wanted
        except CaiGunnError as exc:
            raise self.explain(ctx, exc) from exc
        run_of(ctx).listing.record_deleted(id_)

    # --- helpers ------------------------------------------------------------------------------

    def _adopt(
        self,
        ctx: Context,
        chatbot_id: str,
        title: str,
        plan_id: str,
        settings: dict[str, Any],
        why: str,
    ) -> Live:
        try:
            return ownership.adopt(ctx, chatbot_id, title, plan_id, settings, why=why)
        except CaiGunnError as exc:
            raise self.explain(ctx, exc) from exc

    def _live(self, ctx: Context, chatbot_id: str) -> Live | None:
        try:
            return live(ctx, chatbot_id)
        except CaiGunnError as exc:
            raise self.explain(ctx, exc) from exc

    @staticmethod
    def _outs(
        row: ChatbotRow,
        plan_id: str,
        settings: dict[str, Any],
        size: int,
        *,
        plan_verified: bool = True,
        expires_at: str | None = None,
    ) -> dict[str, Any]:
        # The flags are recorded only where they say something (a None is left out of the state).
        return {
            "title": row.title,
            "plan_id": plan_id,
            "plan_verified": None if plan_verified else False,
            "api_key": row.api_key,
            EXPIRES_AT: expires_at,
            "adopted": None,
            "settings": settings or None,
            LIST_SIZE: size or None,
        }
