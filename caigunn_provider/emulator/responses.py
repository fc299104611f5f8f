"""CaiGunn routes: parse requests, call the backend, serialise answers in the service's shapes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic import ValidationError as PydanticValidationError
from starlette.datastructures import ImmutableMultiDict, UploadFile
from starlette.responses import JSONResponse

from caigunn_provider.emulator.faults import FaultInjector, error_response
from caigunn_provider.emulator.models import Chatbot, ChatbotBackend, Plan
from caigunn_provider.emulator.settings import Level

Offset = Annotated[int, Query(ge=0)]
Limit = Annotated[int, Query(ge=1)]
NonEmptyStr = Annotated[str, StringConstraints(min_length=1)]
Model = TypeVar("Model", bound=BaseModel)

_LIST_FIELDS = frozenset({"initial_messages", "allowed_domains"})


class ChatbotSettingsFields(BaseModel):
    """The optional chatbot settings of the current API's create and update forms."""

    model_config = ConfigDict(extra="ignore")

    prompt: str | None = None
    main_color: str | None = None
    is_default_visible: bool | None = None
    button_style: Literal["basic", "image"] | None = None
    initial_messages: list[str] | None = None
    is_fixed: bool | None = None
    show_history: bool | None = None
    allowed_domains: list[str] | None = None
    model_id: str | None = None
    is_shared: bool | None = None
    avatar: str | None = None
    button_image: str | None = None


class CreateFields(ChatbotSettingsFields):
    """Create chatbot: title and plan_id are required."""

    title: NonEmptyStr
    plan_id: uuid.UUID


class UpdateFields(ChatbotSettingsFields):
    """Update chatbot: any setting and the title; plan_id cannot change (it is ignored)."""

    title: NonEmptyStr | None = None


@dataclass(frozen=True)
class RequestFields:
    """A request's query string and form body, read once so sync handlers can use them."""

    query: ImmutableMultiDict[str, Any]
    form: ImmutableMultiDict[str, Any]


async def read_query_and_form(request: Request) -> RequestFields:
    """Dependency: the query string and the (possibly empty) form body."""
    # A body that is not a form (the reference's samples send `Content-Type: application/json`
    # with no body) reads as an empty form, so the query string alone still works.
    return RequestFields(request.query_params, await request.form())


def _field_value(values: list[Any], name: str) -> Any:
    values = [value.filename if isinstance(value, UploadFile) else value for value in values]
    if name not in _LIST_FIELDS:
        return values[-1]
    if len(values) == 1 and isinstance(values[0], str) and values[0].startswith("["):
        try:  # a list sent as one JSON-encoded form field
            return json.loads(values[0])
        except json.JSONDecodeError:
            pass
    return values


def parse_fields(model: type[Model], sources: Mapping[str, ImmutableMultiDict[str, Any]]) -> Model:
    """Validate the model's fields taken from the first source that has each; 422 like FastAPI."""
    data: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for name in model.model_fields:
        for where, values in sources.items():
            if name in values:
                data[name] = _field_value(values.getlist(name), name)
                origin[name] = where
                break
    try:
        return model.model_validate(data)
    except PydanticValidationError as exc:
        raise request_validation_error(exc, origin, default=next(iter(sources))) from exc


def request_validation_error(
    exc: PydanticValidationError, origin: Mapping[str, str], *, default: str
) -> RequestValidationError:
    """The 422 FastAPI would raise, each error's loc starting with where its field came from."""
    errors = []
    for error in exc.errors(include_url=False):
        name = str(error["loc"][0]) if error["loc"] else ""
        item: dict[str, Any] = {**error, "loc": (origin.get(name, default), *error["loc"])}
        if "ctx" in item:  # ctx may hold exception objects; the body must stay JSON
            item["ctx"] = {
                key: value if isinstance(value, str | int | float | bool | None) else str(value)
                for key, value in item["ctx"].items()
            }
        errors.append(item)
    return RequestValidationError(errors)


def clamp(limit: int, max_limit: int | None) -> int:
    """The page size actually served: a server may silently return fewer rows than asked."""
    return limit if max_limit is None else min(limit, max_limit)


def chatbot_info(chatbot: Chatbot) -> dict[str, Any]:
    """The chatbot-info object: identity, plan, keys, timestamps and every setting."""
    return {
        "id": chatbot.id,
        "webchat_id": chatbot.webchat_id,
        "title": chatbot.title,
        "plan_id": chatbot.plan_id,
        "api_key": chatbot.api_key,
        "expired_at": chatbot.expired_at,
        "is_deleted": chatbot.is_deleted,
        "created_at": chatbot.created_at,
        "updated_at": chatbot.updated_at,
        **chatbot.settings,
    }


def plan_info(plan: Plan) -> dict[str, Any]:
    """One entry of the plan list."""
    return {
        "id": plan.id,
        "title": plan.title,
        "crawler_limit": plan.crawler_limit,
        "character_limit": plan.character_limit,
        "training_limit": plan.training_limit,
        "price": plan.price,
    }


class ChatbotResponses:
    """Handlers for the CaiGunn user API; method names follow its operation names."""

    def __init__(
        self, backend: ChatbotBackend, faults: FaultInjector, *, level: Level, token: str
    ) -> None:
        self._backend = backend
        self._faults = faults
        self._level = level
        self._token = token

    def get_all_chatbots(self, offset: Offset = 0, limit: Limit = 30) -> dict[str, Any]:
        """GET /chatbot: a page of {id, title, api_key}."""
        knobs = self._faults.knobs
        chatbots = self._backend.get_all_chatbots(
            offset, clamp(limit, knobs.max_limit), newest_first=knobs.newest_first
        )
        return {
            "chatbots": [{"id": c.id, "title": c.title, "api_key": c.api_key} for c in chatbots]
        }

    def create_chatbot(
        self, fields: Annotated[RequestFields, Depends(read_query_and_form)]
    ) -> dict[str, Any] | JSONResponse:
        """POST /chatbot: form fields (current) or query string (both levels)."""
        if self._level == "seed":  # the seed API takes nothing from the body
            parsed = parse_fields(CreateFields, {"query": fields.query})
        else:
            # The documented channel is the form; the reference's sample also repeats title and
            # plan_id in the query string, so a field missing from the form is taken from there.
            parsed = parse_fields(CreateFields, {"body": fields.form, "query": fields.query})
        settings = parsed.model_dump(exclude_unset=True, exclude={"title", "plan_id"})
        chatbot = self._backend.create_chatbot(parsed.title, str(parsed.plan_id), settings)
        if self._faults.take_create_failure():
            # The row is committed: a client must not assume a failed create created nothing.
            return error_response(500)
        if self._level == "seed":
            return {"api_key": chatbot.api_key, "expired_at": chatbot.expired_at}
        return {
            "chatbot_id": chatbot.id,
            "webchat_id": chatbot.webchat_id,
            "api_key": chatbot.api_key,
            "expired_at": chatbot.expired_at,
        }

    def get_chatbot_info(self, chatbot_id: str) -> dict[str, Any]:
        """GET /chatbot/{id}: the large chatbot object."""
        return chatbot_info(self._backend.get_chatbot_info(chatbot_id))

    def update_chatbot(
        self, chatbot_id: str, fields: Annotated[RequestFields, Depends(read_query_and_form)]
    ) -> dict[str, Any]:
        """PUT /chatbot/{id}: form fields only; plan_id is not updatable."""
        parsed = parse_fields(UpdateFields, {"body": fields.form})
        settings = parsed.model_dump(exclude_unset=True, exclude={"title"})
        self._backend.update_chatbot(chatbot_id, title=parsed.title, settings=settings)
        return {"detail": "update successfully"}

    def delete_chatbot(self, chatbot_id: str) -> dict[str, Any]:
        """DELETE /chatbot/{id}: soft delete."""
        self._backend.delete_chatbot(chatbot_id)
        return {"detail": "Delete chatbot successfully"}

    def get_all_plans(self, offset: Offset = 0, limit: Limit = 30) -> dict[str, Any]:
        """GET /plan: a page of the plan catalogue."""
        limit = clamp(limit, self._faults.knobs.max_limit)
        return {"plans": [plan_info(plan) for plan in self._backend.get_all_plans(offset, limit)]}

    def refresh_token(self, expired_date: Annotated[date | None, Query()] = None) -> dict[str, Any]:
        """GET /token/refresh: the emulator accepts one token only, so it hands back that one."""
        return {"token": self._token}
