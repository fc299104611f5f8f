"""Create and update fields: their models, the two array encodings, errors located like FastAPI."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints
from pydantic import ValidationError as PydanticValidationError
from starlette.datastructures import ImmutableMultiDict, UploadFile

NonEmptyStr = Annotated[str, StringConstraints(min_length=1)]
# An origin as a browser sends it: scheme, host and optional port, nothing after.
Origin = Annotated[
    str,
    StringConstraints(
        pattern=r"^https?://([A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$",
        max_length=300,
    ),
]
Color = Annotated[str, StringConstraints(pattern=r"^#[0-9A-Fa-f]{6}$")]
Model = TypeVar("Model", bound=BaseModel)

# Fields that carry a list: sent as one field holding a JSON array (the documented encoding), or
# as the field repeated once per item.
_LIST_FIELDS = frozenset({"initial_messages", "allowed_domains"})
# At the current level the query string may repeat these (the reference's own sample does).
_QUERY_FIELDS = frozenset({"title", "plan_id"})


class TextMessage(BaseModel):
    """One first message of a chatbot."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["text"]
    value: str


def _text_if_plain(item: Any) -> Any:
    # A plain string stands for a text message.
    return {"type": "text", "value": item} if isinstance(item, str) else item


Message = Annotated[TextMessage, BeforeValidator(_text_if_plain)]


class ChatbotSettingsFields(BaseModel):
    """The optional chatbot settings of the current API's create and update forms."""

    model_config = ConfigDict(extra="ignore")

    prompt: str | None = None
    main_color: Color | None = None
    is_default_visible: bool | None = None
    button_style: Literal["basic", "image"] | None = None
    initial_messages: list[Message] | None = None
    is_fixed: bool | None = None
    show_history: bool | None = None
    allowed_domains: list[Origin] | None = None
    model_id: uuid.UUID | None = None
    is_shared: bool | None = None
    avatar: str | None = None  # an uploaded file: its name is what the emulator keeps
    button_image: str | None = None

    def settings(self) -> dict[str, Any]:
        """The settings the request gave, as JSON values."""
        return self.model_dump(mode="json", exclude_unset=True, exclude={"title", "plan_id"})


class CreateFields(ChatbotSettingsFields):
    """Create chatbot at the current level: title and plan_id are required."""

    title: NonEmptyStr
    plan_id: uuid.UUID


class UpdateFields(ChatbotSettingsFields):
    """Update chatbot: any setting and the title; plan_id cannot change (it is ignored)."""

    title: NonEmptyStr | None = None


class SeedCreateFields(BaseModel):
    """Create chatbot at the seed level: the query string's title and plan_id, nothing else."""

    model_config = ConfigDict(extra="ignore")

    title: NonEmptyStr
    plan_id: uuid.UUID


@dataclass(frozen=True)
class RequestFields:
    """A request's query string and form body, read once so sync handlers can use them."""

    query: ImmutableMultiDict[str, Any]
    form: ImmutableMultiDict[str, Any]

    def title_and_plan_from_query(self) -> ImmutableMultiDict[str, Any]:
        """Only the query fields the current level also takes from there."""
        return ImmutableMultiDict(
            [(name, value) for name, value in self.query.multi_items() if name in _QUERY_FIELDS]
        )


async def read_query_and_form(request: Request) -> RequestFields:
    """Dependency: the query string and the (possibly empty) form body."""
    # A body that is not a form (the reference's samples send `Content-Type: application/json`
    # with no body) reads as an empty form, so the query string alone still works.
    return RequestFields(request.query_params, await request.form())


def _json_or_text(value: str, opening: str) -> Any:
    """The JSON value if `value` is JSON starting with `opening`, else the text itself."""
    if value.lstrip().startswith(opening):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            pass
    return value


def _field_value(values: list[Any], name: str) -> Any:
    values = [value.filename if isinstance(value, UploadFile) else value for value in values]
    if name not in _LIST_FIELDS:
        return values[-1]
    if len(values) == 1 and isinstance(values[0], str):
        whole = _json_or_text(values[0], "[")
        if isinstance(whole, list):
            return whole
    if name == "initial_messages":  # each repeated field: one JSON object, or plain text
        return [_json_or_text(value, "{") if isinstance(value, str) else value for value in values]
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
        # ctx may hold exception objects and input a refused Infinity: the body must stay JSON.
        for key in ("ctx", "input"):
            if key in item:
                item[key] = _json_safe(item[key])
        errors.append(item)
    return RequestValidationError(errors)


def _json_safe(value: Any) -> Any:
    """The value with anything strict JSON cannot hold (NaN, Infinity, objects) as text."""
    if isinstance(value, Mapping):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
