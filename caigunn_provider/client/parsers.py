"""The API's JSON answers as typed values; Malformed for a shape the API does not document."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NoReturn

from caigunn_provider.client.fields import SETTING_KEYS
from caigunn_provider.client.transport import Malformed
from caigunn_provider.ids import canonical_id

# The settings a chatbot-info answer may carry back (issue 14); anything else is ignored.
SETTING_FIELDS = SETTING_KEYS


@dataclass(frozen=True)
class ChatbotRow:
    """One row of the chatbot list; plan_id is None where the server does not list it (seed)."""

    id: str
    title: str
    # The api_key is the chatbot's secret: kept out of repr so that a logged row cannot leak it.
    api_key: str | None = field(repr=False)
    plan_id: str | None = None


@dataclass(frozen=True)
class CreatedChatbot:
    """The answer to a create; chatbot_id is None at the seed level, which returns only the key."""

    api_key: str = field(repr=False)
    expired_at: str | None
    chatbot_id: str | None


@dataclass(frozen=True)
class ChatbotInfo:
    """The chatbot-info object (current level): identity, plan, key and the settings it returns."""

    id: str
    title: str
    plan_id: str | None
    api_key: str | None = field(repr=False)
    is_deleted: bool
    settings: Mapping[str, Any]
    # When the plan period ends (current level; None where absent or malformed: it informs, so
    # an unreadable one is not worth failing a run for).
    period_end_at: datetime | None = None
    # Where CaiGunn posts its events; the id of the model it answers with (`model.id`), as
    # opposed to settings["model_id"].
    webhook_url: str | None = None
    model_id: str | None = None


@dataclass(frozen=True)
class RefreshedToken:
    """A new access token from the refresh call; expires_at where the answer says it."""

    token: str = field(repr=False)
    expires_at: datetime | None = None

    def __reduce__(self) -> NoReturn:
        raise TypeError("a refreshed token is a secret and must not be pickled")


@dataclass(frozen=True)
class Plan:
    """One plan of the account; a limit is None where the plan list does not give it."""

    id: str
    title: str
    character_limit: int | None = None
    crawler_limit: int | None = None
    training_limit: int | None = None
    price: float | None = None


def ignore(payload: Any) -> None:
    """For answers whose body carries nothing we need."""
    return None


def rows(key: str, parse_row: Callable[[Mapping[str, Any]], Any]) -> Callable[[Any], list[Any]]:
    """A parser for a paged list answer `{key: [row, ...]}`."""

    def parse(payload: Any) -> list[Any]:
        items = _object(payload).get(key)
        if not isinstance(items, list):
            raise Malformed(f"no {key!r} list in the answer")
        parsed = []
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise Malformed(f"row {index} of {key!r} is not an object")
            parsed.append(parse_row(item))
        return parsed

    return parse


def chatbot_row(row: Mapping[str, Any]) -> ChatbotRow:
    return ChatbotRow(
        id=_id(row, "id"),
        title=_str(row, "title", required=True) or "",
        api_key=_str(row, "api_key"),
        plan_id=_optional_id(row, "plan_id"),
    )


def plan_row(row: Mapping[str, Any]) -> Plan:
    return Plan(
        id=_id(row, "id"),
        title=_str(row, "title", required=True) or "",
        character_limit=_optional_count(row, "character_limit"),
        crawler_limit=_optional_count(row, "crawler_limit"),
        training_limit=_optional_count(row, "training_limit"),
        price=_optional_price(row.get("price")),
    )


def _optional_price(value: object) -> float | None:
    """A plan's price where the plan list gives a finite, non-negative number; None otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0 <= value < float("inf") else None


def created(payload: Any) -> CreatedChatbot:
    body = _object(payload)
    api_key = _str(body, "api_key", required=True)
    if not api_key:
        raise Malformed("the create answer has an empty api_key")
    return CreatedChatbot(
        api_key=api_key,
        expired_at=_str(body, "expired_at"),
        chatbot_id=_optional_id(body, "chatbot_id"),
    )


def chatbot_info(payload: Any) -> ChatbotInfo:
    body = _object(payload)
    return ChatbotInfo(
        id=_id(body, "id"),
        title=_str(body, "title", required=True) or "",
        plan_id=_optional_id(body, "plan_id"),
        api_key=_str(body, "api_key"),
        is_deleted=body.get("is_deleted") is True,
        settings=_settings(body),
        period_end_at=_lenient_time(body.get("period_end_at")),
        webhook_url=_lenient_str(body.get("webhook_url")),
        model_id=canonical_id(_object_or_empty(body.get("model")).get("id")),
    )


def refreshed_token(payload: Any) -> RefreshedToken:
    """`{"token": ...}`, maybe with the new token's expiry (`expired_at` or `expires_at`)."""
    body = _object(payload)
    token = _str(body, "token", required=True)
    if not token:
        raise Malformed("the refresh answer has an empty token")
    expires = _lenient_time(body.get("expired_at", body.get("expires_at")))
    return RefreshedToken(token=token, expires_at=expires)


def _settings(body: Mapping[str, Any]) -> dict[str, Any]:
    """The settings an info answer returns; first messages back to plain texts where they can be."""
    settings = {key: body[key] for key in SETTING_FIELDS if key in body}
    messages = settings.get("initial_messages")
    if isinstance(messages, list) and all(
        isinstance(item, dict) and isinstance(item.get("value"), str) for item in messages
    ):
        settings["initial_messages"] = [item["value"] for item in messages]
    return settings


# --- field readers: a problem is described by the field's name and type, never its value ------


def _object(payload: Any) -> Mapping[str, Any]:
    if not isinstance(payload, dict):
        raise Malformed(f"a JSON {_kind(payload)} where an object was expected")
    return payload


def _str(row: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    value = row.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise Malformed(f"{key!r} is {_kind(value)}, not a string")
    return value


def _id(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    canonical = canonical_id(value)
    if canonical is None:
        raise Malformed(f"{key!r} is {_kind(value)}, not a UUID string")
    return canonical


def _optional_count(row: Mapping[str, Any], key: str) -> int | None:
    """A plan limit; None when absent or of a shape not documented (a limit only informs checks)."""
    value = row.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _optional_id(row: Mapping[str, Any], key: str) -> str | None:
    return None if row.get(key) is None else _id(row, key)


def _lenient_time(value: object) -> datetime | None:
    """An ISO 8601 date-time (a date alone counts as its midnight), in UTC where no zone is given;
    None for anything else."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _lenient_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _object_or_empty(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _kind(value: object) -> str:
    if value is None:
        return "missing or null"
    if isinstance(value, str):
        return "a string of another form" if value else "an empty string"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)
