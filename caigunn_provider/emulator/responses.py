"""CaiGunn route handlers: call the backend, serialise answers in the service's shapes."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import Depends, Query

from caigunn_provider.capabilities import Level
from caigunn_provider.client.fields import READABLE_SETTINGS
from caigunn_provider.emulator.exceptions import BadRequest
from caigunn_provider.emulator.faults import FaultInjector
from caigunn_provider.emulator.forms import (
    CreateFields,
    RequestFields,
    SeedCreateFields,
    UpdateFields,
    parse_fields,
    read_query_and_form,
)
from caigunn_provider.emulator.knowledge_models import KnowledgeBackend
from caigunn_provider.emulator.knowledge_responses import knowledge_info
from caigunn_provider.emulator.models import (
    PLANS,
    Chatbot,
    ChatbotBackend,
    Plan,
    endless_chatbot,
)
from caigunn_provider.emulator.tokens import TokenStore

# What every view of a chatbot starts with: identity, plan, keys, state and timestamps.
_IDENTITY_FIELDS = (
    "id",
    "webchat_id",
    "title",
    "plan_id",
    "api_key",
    "expired_at",
    "is_deleted",
    "created_at",
    "updated_at",
)

ENDLESS_PAGE_CAP = 10_000

Offset = Annotated[int, Query(ge=0)]
Limit = Annotated[int, Query(ge=1)]


def clamp(limit: int, max_limit: int | None) -> int:
    """The page size actually served: a server may silently return fewer rows than asked."""
    return limit if max_limit is None else min(limit, max_limit)


def chatbot_row(chatbot: Chatbot) -> dict[str, Any]:
    """Everything stored about a chatbot, every setting included (the admin view)."""
    return {**_identity(chatbot), **chatbot.settings}


def chatbot_info(chatbot: Chatbot) -> dict[str, Any]:
    """The chatbot-info object: identity, plan, keys, timestamps and the readable settings."""
    return {
        **_identity(chatbot),
        **{name: chatbot.settings[name] for name in READABLE_SETTINGS},
    }


def _identity(chatbot: Chatbot) -> dict[str, Any]:
    return {name: getattr(chatbot, name) for name in _IDENTITY_FIELDS}


def plan_info(plan: Plan) -> dict[str, Any]:
    """One entry of the plan list: every field of the plan."""
    return asdict(plan)


class ChatbotResponses:
    """Handlers for the CaiGunn user API; method names follow its operation names."""

    def __init__(
        self,
        backend: ChatbotBackend,
        faults: FaultInjector,
        knowledge: KnowledgeBackend,
        *,
        level: Level,
        tokens: TokenStore,
    ) -> None:
        self._backend = backend
        self._faults = faults
        self._knowledge = knowledge
        self._level = level
        self._tokens = tokens

    def get_all_chatbots(self, offset: Offset = 0, limit: Limit = 30) -> dict[str, Any]:
        """GET /chatbot: a page of {id, title, api_key}."""
        self._churn()
        knobs = self._faults.knobs
        offset = 0 if knobs.ignore_offset else offset
        limit = clamp(limit, knobs.max_limit)
        if knobs.endless:
            # Rows are made up, not read: a cap keeps a huge `limit` from exhausting memory, as
            # a real server may silently serve fewer rows than asked.
            limit = min(limit, ENDLESS_PAGE_CAP)
            chatbots = [endless_chatbot(position) for position in range(offset, offset + limit)]
        else:
            chatbots = self._backend.get_all_chatbots(
                offset, limit, newest_first=knobs.newest_first
            )
        return {
            "chatbots": [{"id": c.id, "title": c.title, "api_key": c.api_key} for c in chatbots]
        }

    def create_chatbot(
        self, fields: Annotated[RequestFields, Depends(read_query_and_form)]
    ) -> dict[str, Any]:
        """POST /chatbot: the query string's title and plan_id (seed), the form (current)."""
        if self._level == "seed":  # the seed API takes nothing from the body and no settings
            seed = parse_fields(SeedCreateFields, {"query": fields.query})
            chatbot = self._backend.create_chatbot(seed.title, str(seed.plan_id))
            return {"api_key": chatbot.api_key, "expired_at": chatbot.expired_at}
        # The documented channel is the form; the reference's sample also repeats title and
        # plan_id in the query string, so those two are taken from there when the form lacks them.
        parsed = parse_fields(
            CreateFields, {"body": fields.form, "query": fields.title_and_plan_from_query()}
        )
        chatbot = self._backend.create_chatbot(parsed.title, str(parsed.plan_id), parsed.settings())
        return {
            "chatbot_id": chatbot.id,
            "webchat_id": chatbot.webchat_id,
            "api_key": chatbot.api_key,
            "expired_at": chatbot.expired_at,
        }

    def get_chatbot_info(self, chatbot_id: str) -> dict[str, Any]:
        """GET /chatbot/{id}: the large chatbot object."""
        chatbot = self._backend.get_chatbot_info(chatbot_id)
        extras = self._backend.extras(chatbot.id)
        return {**chatbot_info(chatbot), **knowledge_info(chatbot, self._knowledge, extras)}

    def update_chatbot(
        self, chatbot_id: str, fields: Annotated[RequestFields, Depends(read_query_and_form)]
    ) -> dict[str, Any]:
        """PUT /chatbot/{id}: form fields only; plan_id is not updatable."""
        parsed = parse_fields(UpdateFields, {"body": fields.form})
        self._backend.update_chatbot(chatbot_id, title=parsed.title, settings=parsed.settings())
        return {"detail": "update successfully"}

    def delete_chatbot(self, chatbot_id: str) -> dict[str, Any]:
        """DELETE /chatbot/{id}: soft delete."""
        self._backend.delete_chatbot(chatbot_id)
        return {"detail": "Delete chatbot successfully"}

    def get_all_plans(self, offset: Offset = 0, limit: Limit = 30) -> dict[str, Any]:
        """GET /plan: a page of the plan catalogue."""
        knobs = self._faults.knobs
        offset = 0 if knobs.ignore_offset else offset
        limit = clamp(limit, knobs.max_limit)
        return {"plans": [plan_info(plan) for plan in self._backend.get_all_plans(offset, limit)]}

    def refresh_token(self, expired_date: Annotated[date | None, Query()] = None) -> dict[str, Any]:
        """GET /token/refresh: a new token valid until expired_date; the old one is retired."""
        if expired_date is not None and expired_date <= datetime.now(UTC).date():
            raise BadRequest("expired_date must be a date after today")
        return {"token": self._tokens.refresh(expired_date)}

    def _churn(self) -> None:
        """Make the out-of-band change the churn knobs call for before this list request."""
        step = self._faults.churn_due()
        if step is None:
            return
        if step.kind == "insert":
            self._backend.create_chatbot(f"{step.prefix}churn-{step.number}", PLANS[0].id)
        else:
            newest_first = self._faults.knobs.newest_first
            self._backend.delete_first_with_prefix(step.prefix, newest_first=newest_first)
