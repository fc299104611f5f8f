"""The Serving dynamic provider: the one step that owns what an entry with answer checks serves.

Runs in the dynamic-provider process; the resource id is the chatbot's id. CaiGunn's talk call
cannot name a model or a prompt: it answers with what serves. So a candidate (a new model, a new
prompt, or both) is switched in, asked the checks a few questions at a time, and kept only when
they pass; otherwise what GET showed before the switch is put back in the same step, at the latest
once the checks can no longer pass or the candidate has served `caigunn:checksMaxServe` seconds.

The state keeps what passed (`accepted_*`) apart from the candidate (the inputs), and a rejected
candidate with its report (`rejected`), so that neither a refresh nor a failed update makes the
rejection disappear: a rerun with nothing changed asks nothing and fails with the recorded report
(the failure is a PartialFailure, which the engine stores and retries on the next run); it asks
again when the checks change, or when `caigunn:recheck` / CAIGUNN_RECHECK=1 says so. A run killed
between the switch and the put-back leaves the state as it was: the next run finds the chatbot
serving something else than what was accepted and puts the accepted model and prompt back first.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
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
    ChatbotLevelProvider,
    check_chatbot_id,
    name_of,
    note,
)
from caigunn_provider.dynamic.base import reports, sentinels
from caigunn_provider.dynamic.partial import PartialFailure
from caigunn_provider.dynamic.runtime import Context
from caigunn_provider.errors import AuthError, CaiGunnError, NotFoundError
from caigunn_provider.kinds.checks import report
from caigunn_provider.kinds.checks.runner import run_checks
from caigunn_provider.kinds.checks.spec import CheckSpec, content_digest
from caigunn_provider.kinds.checks.talk import TalkAPI, asker, talk_transport

# The inputs; `recheck` and `adopting` are about this run, not about what serves.
INPUTS = ("chatbot_id", "model_id", "prompt", "checks", "checks_digest", "mode")
# What the state keeps beside the inputs.
KEPT = (
    "accepted_model_id",
    "accepted_prompt",
    "accepted_checks_digest",
    "last_passed_at",
    "passed",
    "rejected",
    "served_seconds",
    "messages_spent",
    "serving_model_id",
    "serving_prompt_digest",
)


def prompt_digest(prompt: Any) -> str | None:
    """The prompt's identity in the state and in reports (None: the entry declares none)."""
    return None if prompt is None else content_digest(prompt)[:16]


class ServingProvider(ChatbotLevelProvider):
    """Switch an entry's candidate in, ask its checks, keep it or put back what served."""

    @reports("check this chatbot's answer checks")
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        news = sentinels(news)
        failures: list[CheckFailure] = []
        check_chatbot_id(news, failures)
        if news.get("mode") not in ("enforce", "report"):
            failures.append(CheckFailure("mode", "must be enforce or report"))
        if not isinstance(news.get("checks"), list) or not news["checks"]:
            failures.append(CheckFailure("checks", "must be a non-empty list of checks"))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        olds, news = sentinels(olds), sentinels(news)
        replaces = ["chatbot_id"] if olds.get("chatbot_id") != news.get("chatbot_id") else []
        # The checks are compared by their digest: moving one within the list changes nothing.
        changed = any(olds.get(key) != news.get(key) for key in INPUTS if key != "checks")
        drift = olds.get("serving_model_id") != olds.get("accepted_model_id") and bool(
            news.get("model_id")
        )
        drift = drift or (
            news.get("prompt") is not None
            and olds.get("serving_prompt_digest") != prompt_digest(olds.get("accepted_prompt"))
        )
        again = bool(news.get("recheck")) and bool(olds.get("rejected"))
        # The run that adopted the chatbot only reported: the next one tries what is declared.
        again = again or (bool(olds.get("adopting")) and not news.get("adopting"))
        return DiffResult(
            changes=changed or drift or again,
            replaces=replaces,
            stables=[] if replaces else ["chatbot_id"],
            delete_before_replace=False,
        )

    @reports("put this chatbot's model and prompt into service")
    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(str(props["chatbot_id"]), self._serve({}, props))

    @reports("put this chatbot's model and prompt into service")
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._serve(olds, news))

    @reports("read what this chatbot serves")
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        ctx = self._context()
        try:
            info = ctx.client.get_chatbot(str(props["chatbot_id"]))
        except (NotFoundError, AuthError) as exc:
            if self._chatbot_gone(ctx, str(props.get("chatbot_id"))):
                return ReadResult(None, {})
            raise self.explain(ctx, exc) from exc
        except CaiGunnError as exc:
            raise self.explain(ctx, exc) from exc
        return ReadResult(
            id_,
            {
                **props,
                "serving_model_id": info.model_id,
                "serving_prompt_digest": prompt_digest(info.settings.get("prompt")),
            },
        )

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        # What passed keeps serving: removing the checks must not undo the model and prompt they
        # accepted, and a deleted chatbot needs nothing put back.
        return None

    # --- the one step -------------------------------------------------------------------------

    def _serve(self, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        ctx = self._context()
        name = name_of(news)
        outs: dict[str, Any] = {key: news.get(key) for key in (*INPUTS, "adopting", NAME)}
        outs.update({key: olds.get(key) for key in KEPT})
        outs["messages_spent"] = 0
        chatbot_id = str(news["chatbot_id"])
        try:
            serving = _Serving.read(ctx, chatbot_id)
            if olds.get("accepted_model_id") is not None or olds.get("accepted_prompt") is not None:
                serving = self._put_back_accepted(ctx, chatbot_id, olds, news, serving)
            outs.update(serving.outs())
            candidate = _Serving(
                news.get("model_id") or serving.model_id,
                news["prompt"] if news.get("prompt") is not None else serving.prompt,
            )
            if news.get("adopting"):
                # Adoption changes nothing: what serves is asked and reported, not enforced.
                candidate = serving
            rejected = olds.get("rejected")
            if (
                isinstance(rejected, dict)
                and _same_candidate(rejected, candidate, news)
                and not news.get("recheck")
            ):
                raise PartialFailure(str(rejected["report"]), outs=outs, id_=chatbot_id)
            # Asked already: this candidate serves, under these checks (passed, or reported).
            if candidate == serving and olds.get("accepted_checks_digest") == news.get(
                "checks_digest"
            ):
                return outs
            return self._try(ctx, name, chatbot_id, serving, candidate, news, outs)
        except PartialFailure:
            raise
        except CaiGunnError as exc:
            raise self.explain(ctx, exc) from exc

    def _put_back_accepted(
        self,
        ctx: Context,
        chatbot_id: str,
        olds: dict[str, Any],
        news: dict[str, Any],
        serving: _Serving,
    ) -> _Serving:
        """What was accepted, serving again: a run killed between a switch and its put-back (or
        a hand edit) left something else in service. In report mode nothing is put back."""
        # Only what the entry still declares is managed: a model or prompt it no longer names is
        # left as it serves.
        accepted = _Serving(
            (news.get("model_id") and olds.get("accepted_model_id")) or serving.model_id,
            olds["accepted_prompt"]
            if news.get("prompt") is not None and olds.get("accepted_prompt") is not None
            else serving.prompt,
        )
        if accepted == serving or news.get("mode") == "report":
            return serving
        note(
            f"{name_of(news)}: it served something that never passed its checks (a run killed "
            "while checking, or a change by hand): the accepted model and prompt go back first"
        )
        accepted.switch_from(ctx, chatbot_id, serving)
        return accepted

    def _try(
        self,
        ctx: Context,
        name: str,
        chatbot_id: str,
        previous: _Serving,
        candidate: _Serving,
        news: dict[str, Any],
        outs: dict[str, Any],
    ) -> dict[str, Any]:
        """Switch the candidate in, ask, and keep it or put `previous` back."""
        checks = [_check_of(raw) for raw in news.get("checks") or []]
        enforce = news.get("mode") != "report" and not news.get("adopting")
        limit = self.provider_config().checks_max_serve
        key = self._key(news, ctx)  # before the switch: nothing is switched in that cannot be asked
        candidate.switch_from(ctx, chatbot_id, previous)
        started = time.monotonic()
        what = "the new model or prompt" if candidate != previous else "what serves (new checks)"
        note(f"{name}: asking {len(checks)} answer check(s) of {what}")
        # A transport of its own that never sends a talk twice (kinds/checks/talk.py).
        transport = talk_transport(self.provider_config())
        try:
            api = TalkAPI(transport, key)
            verdict = run_checks(asker(api), checks, stop_early=enforce, time_limit=limit)
        finally:
            transport.close()
        now = datetime.now(UTC).isoformat(timespec="seconds")
        outs["messages_spent"] = verdict.talks
        # No call reports usage: what this run spent of the plan's message_limit is said here.
        note(f"{name}: the answer checks spent {verdict.talks} message(s) of the plan")
        if verdict.outcome == "passed" or not enforce:
            served = round(time.monotonic() - started, 1)
            outs.update(candidate.accepted_outs(news, now if verdict.outcome == "passed" else None))
            outs.update(candidate.outs(), passed=verdict.outcome == "passed", rejected=None)
            outs["served_seconds"] = served
            if verdict.outcome != "passed":
                after = report.KEPT_ADOPTED if news.get("adopting") else report.KEPT_REPORTED
                note(report.text(name, verdict, candidate.model_id, served, after=after))
            return outs
        # Enforce: what served before goes back at once, in this step.
        previous.switch_from(ctx, chatbot_id, candidate)
        served = round(time.monotonic() - started, 1)
        if candidate == previous:
            after = report.ALREADY_SERVING
        elif previous.model_id is None and candidate.model_id is not None:
            after = report.NO_MODEL_BEFORE  # CaiGunn has no call that takes a model away
        else:
            after = report.PUT_BACK
        message = report.text(name, verdict, candidate.model_id, served, after=after)
        outs.update(previous.outs(), served_seconds=served)
        outs["rejected"] = {
            "model_id": candidate.model_id,
            "prompt_digest": prompt_digest(candidate.prompt),
            "checks_digest": news.get("checks_digest"),
            "outcome": verdict.outcome,
            "failures": report.failures_of(verdict),
            "served_seconds": served,
            "at": now,
            "report": message,
        }
        raise PartialFailure(message, outs=outs, id_=chatbot_id)


class _Serving:
    """A model and a prompt: what serves, or what a step wants to serve."""

    def __init__(self, model_id: str | None, prompt: str | None) -> None:
        self.model_id = model_id
        self.prompt = prompt

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Serving) and (self.model_id, self.prompt) == (
            other.model_id,
            other.prompt,
        )

    def __hash__(self) -> int:
        return hash((self.model_id, self.prompt))

    @classmethod
    def read(cls, ctx: Context, chatbot_id: str) -> _Serving:
        info = ctx.client.get_chatbot(chatbot_id)
        prompt = info.settings.get("prompt")
        return cls(info.model_id, prompt if isinstance(prompt, str) else None)

    def switch_from(self, ctx: Context, chatbot_id: str, current: _Serving) -> None:
        """One PUT that puts this model and prompt into service together (what differs)."""
        fields: dict[str, Any] = {}
        if self.model_id and self.model_id != current.model_id:
            fields["model_id"] = self.model_id
        if self.prompt is not None and self.prompt != current.prompt:
            fields["prompt"] = self.prompt
        if fields:
            ctx.client.update_chatbot(chatbot_id, fields)

    def outs(self) -> dict[str, Any]:
        return {
            "serving_model_id": self.model_id,
            "serving_prompt_digest": prompt_digest(self.prompt),
        }

    def accepted_outs(self, news: dict[str, Any], passed_at: str | None) -> dict[str, Any]:
        found: dict[str, Any] = {
            "accepted_model_id": self.model_id,
            "accepted_prompt": self.prompt,
            "accepted_checks_digest": news.get("checks_digest"),
        }
        if passed_at:
            found["last_passed_at"] = passed_at
        return found


def _same_candidate(rejected: Any, candidate: _Serving, news: dict[str, Any]) -> bool:
    """Whether the recorded rejection is of this very candidate under these very checks."""
    return (
        isinstance(rejected, dict)
        and rejected.get("model_id") == candidate.model_id
        and rejected.get("prompt_digest") == prompt_digest(candidate.prompt)
        and rejected.get("checks_digest") == news.get("checks_digest")
        and isinstance(rejected.get("report"), str)
    )


def _check_of(raw: Any) -> CheckSpec:
    return CheckSpec(
        ask=str(raw.get("ask")),
        expect=dict(raw.get("expect") or {}),
        repeat=int(raw.get("repeat") or 1),
        min_pass=int(raw.get("min_pass") or raw.get("repeat") or 1),
        where=str(raw.get("where") or ""),
    )
