"""CaiGunnClient: one method per CaiGunn API operation, in CaiGunn's terms only."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from caigunn_provider.capabilities import Capabilities, from_probe
from caigunn_provider.client import parsers
from caigunn_provider.client.parsers import (
    ChatbotInfo,
    ChatbotRow,
    CreatedChatbot,
    Plan,
    RefreshedToken,
)
from caigunn_provider.client.transport import Malformed, Transport
from caigunn_provider.errors import UnsupportedError
from caigunn_provider.ids import is_canonical_id

CHATBOT_PATH = "/api/external/user/chatbot"
PLAN_PATH = "/api/external/user/plan"
TOKEN_REFRESH_PATH = "/api/external/user/token/refresh"
# Plans asked for per page: an account has a handful, so one page is usually all of them.
PLAN_PAGE = 100


class CaiGunnClient:
    """The CaiGunn chatbot-management API; every call goes through one Transport."""

    def __init__(self, base_url: str, token: str, **transport_options: Any) -> None:
        self.transport = Transport(base_url, token, **transport_options)
        self._capabilities: Capabilities | None = None
        # The probe asks for the plan list's first page; list_plans() starts from it.
        self._first_plans: list[Plan] | None = None
        self._probe_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"CaiGunnClient(base_url={self.base_url!r})"

    @property
    def base_url(self) -> str:
        return self.transport.base_url

    def close(self) -> None:
        self.transport.close()

    def list_chatbots_page(self, offset: int, limit: int) -> list[ChatbotRow]:
        """GET /chatbot: one page of the list (a server may return fewer rows than asked)."""
        params = {"offset": offset, "limit": limit}
        rows: list[ChatbotRow] = self.transport.send(
            "GET", CHATBOT_PATH, params=params, parse=parsers.rows("chatbots", parsers.chatbot_row)
        )
        return rows

    def create_chatbot(
        self, title: str, plan_id: str, settings: Mapping[str, Any] | None = None
    ) -> CreatedChatbot:
        """POST /chatbot; the seed level reads the query string, the current one form data."""
        query = {"title": title, "plan_id": plan_id}
        form = {**query, **_form(_api_shape(settings or {}))}
        created: CreatedChatbot = self.transport.send(
            "POST", CHATBOT_PATH, params=query, data=form, parse=parsers.created
        )
        return created

    def get_chatbot(self, chatbot_id: str) -> ChatbotInfo:
        """GET /chatbot/{id}: the chatbot-info object (current level only; may be is_deleted)."""
        info: ChatbotInfo = self.transport.send(
            "GET",
            _chatbot_path(chatbot_id),
            errors={405: UnsupportedError},
            parse=_info_of(chatbot_id),
        )
        return info

    def update_chatbot(self, chatbot_id: str, fields: Mapping[str, Any]) -> None:
        """PUT /chatbot/{id} with form data (title and settings; plan_id cannot change)."""
        self.transport.send(
            "PUT",
            _chatbot_path(chatbot_id),
            data=_form(_api_shape(fields)),
            errors={405: UnsupportedError},
            parse=parsers.ignore,
        )

    def delete_chatbot(self, chatbot_id: str) -> None:
        """DELETE /chatbot/{id}."""
        self.transport.send(
            "DELETE",
            _chatbot_path(chatbot_id),
            errors={405: UnsupportedError},
            parse=parsers.ignore,
        )

    def list_plans_page(self, offset: int, limit: int) -> list[Plan]:
        """GET /plan: one page of the account's plans; UnsupportedError where there is no route."""
        plans: list[Plan] = self.transport.send(
            "GET",
            PLAN_PATH,
            params={"offset": offset, "limit": limit},
            errors={404: UnsupportedError, 405: UnsupportedError},
            parse=parsers.rows("plans", parsers.plan_row),
        )
        return plans

    def list_plans(self, *, shifted: list[Plan] | None = None, max_pages: int = 100) -> list[Plan]:
        """Every plan of the account (a short list), each once.

        The page the capability probe read is the first. `shifted` is the page at offset 1 where
        it was asked for beside the probe: when it is the first page less its first row, the
        first page reached the list's end (a page cut short by a clamp would be followed by one
        more row), so a short list costs no request of its own.
        """
        with self._probe_lock:
            first, self._first_plans = self._first_plans, None
        if first is not None and shifted is not None and first and _ids(shifted) == _ids(first[1:]):
            return list({plan.id: plan for plan in first}.values())
        plans: dict[str, Plan] = {}
        offset = 0
        for _ in range(max_pages):
            if first is not None:
                page, first = first, None
            else:
                page = self.list_plans_page(offset, PLAN_PAGE)
            fresh = [plan for plan in page if plan.id not in plans]
            plans.update((plan.id, plan) for plan in fresh)
            if not fresh:
                break
            offset += len(page)
        return list(plans.values())

    def capabilities_known(self) -> bool:
        """Whether capabilities() has its answer already (it then costs no request)."""
        return self._capabilities is not None

    def refresh_token(self, expires: date | None = None) -> RefreshedToken:
        """GET /token/refresh: a new token (valid until `expires` where given).

        Sent once, like a create: the server may retire the old token as it answers, so a lost
        answer is not asked for again with a token that may no longer be valid.
        """
        params = {"expired_date": expires.isoformat()} if expires is not None else None
        refreshed: RefreshedToken = self.transport.send(
            "GET", TOKEN_REFRESH_PATH, params=params, parse=parsers.refreshed_token, once=True
        )
        return refreshed

    def capabilities(self) -> Capabilities:
        """What this server can do, from one probe: the plan list's route, which the later API
        added with the others (its first page, which list_plans() then needs not ask again).

        Asked once per client: the threads that ask meanwhile wait for that one answer.
        """
        with self._probe_lock:
            if self._capabilities is None:
                try:
                    self._first_plans = self.list_plans_page(0, PLAN_PAGE)
                except UnsupportedError:
                    self._capabilities = from_probe(lists_plans=False)
                else:
                    self._capabilities = from_probe(lists_plans=True)
            return self._capabilities


def _ids(plans: list[Plan]) -> list[str]:
    return [plan.id for plan in plans]


def _chatbot_path(chatbot_id: str) -> str:
    # Only a canonical UUID goes into a path: nothing else can reach another route.
    if not is_canonical_id(chatbot_id):
        raise ValueError("a chatbot id must be a canonical lower-case UUID to be put into a URL")
    return f"{CHATBOT_PATH}/{chatbot_id}"


def _info_of(chatbot_id: str) -> Callable[[Any], ChatbotInfo]:
    def parse(payload: Any) -> ChatbotInfo:
        info = parsers.chatbot_info(payload)
        if info.id != chatbot_id:
            raise Malformed("an answer about another chatbot than the one asked for")
        return info

    return parse


def _api_shape(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Settings as the API takes them: first messages are `{"type": "text", "value": ...}`."""
    shaped = dict(settings)
    if isinstance(shaped.get("initial_messages"), list):
        shaped["initial_messages"] = [
            {"type": "text", "value": text} for text in shaped["initial_messages"]
        ]
    return shaped


def _form(fields: Mapping[str, Any]) -> dict[str, str]:
    """Form fields as strings: booleans as true/false, lists as one JSON-encoded field."""
    encoded: dict[str, str] = {}
    for key, value in fields.items():
        if isinstance(value, bool):
            encoded[key] = "true" if value else "false"
        elif isinstance(value, list | dict):
            encoded[key] = json.dumps(value)
        elif value is not None:
            encoded[key] = str(value)
    return encoded
