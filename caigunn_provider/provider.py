"""The Chatbot dynamic provider: translates Pulumi's property bags into CaiGunn client calls."""

from __future__ import annotations

import os
import sys
import threading
import uuid
from typing import Any

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from caigunn_provider.client import CaiGunnClient, ChatbotSummary
from caigunn_provider.errors import (
    AdoptError,
    APIConnectionError,
    APIError,
    CaiGunnError,
    ConfigError,
    NotFoundError,
    UnsupportedError,
)

DEFAULT_API_URL = "https://caigunn-api.ap-mic.com"
TOKEN_CONFIG, TOKEN_ENV = "caigunn:accessToken", "CAIGUNN_ACCESS_TOKEN"
URL_CONFIG, URL_ENV = "caigunn:apiUrl", "CAIGUNN_API_URL"

# Properties the user declares; everything else in the state is read from CaiGunn.
INPUTS = ("title", "plan_id", "adopt_id")
OUTPUTS = ("title", "plan_id", "adopt_id", "api_key", "expired_at")

# What the Python SDK passes for a value that is not known yet during a preview.
_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

# Module-level, not on the provider: the provider object is pickled into state (dill), so it must
# hold neither the client (with the token) nor a lock; one client serves every thread.
_client_lock = threading.Lock()
_clients: dict[tuple[str, str], CaiGunnClient] = {}


class ChatbotProvider(ResourceProvider):
    """CRUD for one CaiGunn chatbot; works against both the seed-level and the current API."""

    def __init__(self) -> None:
        super().__init__()
        self._config: dict[str, Any] = {}

    # --- configuration ------------------------------------------------------------------------

    def configure(self, req: ConfigureRequest) -> None:
        # Runs in the provider process after the object is unpickled, so the token never
        # reaches the pickled object in state.
        self._config = {
            key: req.config.get(key)
            for key in (TOKEN_CONFIG, URL_CONFIG)
            if req.config.get(key) is not None
        }

    def _client(self) -> CaiGunnClient:
        config = getattr(self, "_config", {})
        token = config.get(TOKEN_CONFIG) or os.environ.get(TOKEN_ENV)
        url = config.get(URL_CONFIG) or os.environ.get(URL_ENV) or DEFAULT_API_URL
        if not token:
            raise ConfigError(
                "no CaiGunn access token: set it with "
                f"`pulumi config set --secret {TOKEN_CONFIG} <token>` or the {TOKEN_ENV} "
                "environment variable"
            )
        with _client_lock:
            key = (str(url), str(token))
            if key not in _clients:
                _clients[key] = CaiGunnClient(str(url), str(token))
            return _clients[key]

    # --- the resource lifecycle ---------------------------------------------------------------

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = []
        title = news.get("title")
        if title != _UNKNOWN and not (isinstance(title, str) and title.strip()):
            failures.append(CheckFailure("title", f"must be a non-empty string (got {title!r})"))
        plan_id = news.get("plan_id")
        if plan_id != _UNKNOWN:
            canonical = _canonical_uuid(plan_id)
            if canonical is None:
                failures.append(CheckFailure("plan_id", f"must be a UUID (got {plan_id!r})"))
            else:
                news = {**news, "plan_id": canonical}
        adopt_id = news.get("adopt_id")
        if adopt_id not in (None, _UNKNOWN) and not (isinstance(adopt_id, str) and adopt_id):
            failures.append(
                CheckFailure("adopt_id", f"must be a chatbot id string (got {adopt_id!r})")
            )
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        # adopt_id only matters to create: dropping `import:` after adoption changes nothing.
        replaces = ["plan_id"] if olds.get("plan_id") != news.get("plan_id") else []
        changed = replaces or olds.get("title") != news.get("title")
        return DiffResult(
            changes=bool(changed),
            replaces=replaces,
            stables=[] if replaces else ["plan_id", "api_key"],
            delete_before_replace=False,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        client = self._client()
        title, plan_id = props["title"], props["plan_id"]
        if props.get("adopt_id"):
            return self._adopt(props["adopt_id"], title, plan_id)
        try:
            created = client.create_chatbot(title, plan_id)
        except (APIError, APIConnectionError) as exc:
            if not exc.may_have_taken_effect:
                raise
            # Running `up` again would create it a second time; adopting it would not.
            raise CaiGunnError(
                f"{exc}\nCaiGunn may have created the chatbot {title!r} all the same. Look in "
                "the account for a chatbot with that title: if it is there, add "
                "`import: <its id>` to this entry of the stack file before the next `pulumi up`, "
                "so that it is adopted rather than created twice."
            ) from exc
        chatbot_id = created.chatbot_id
        if chatbot_id is None:
            # A seed-level create answers only the api_key: find the new row by it.
            found = client.find_by_api_key(created.api_key)
            if found is None:
                raise CaiGunnError(
                    "CaiGunn created the chatbot but it is not in the chatbot list, so its id is "
                    "unknown; find it in the CaiGunn console and adopt it with `import: <id>`"
                )
            chatbot_id = found.id
        outs = {
            "title": title,
            "plan_id": plan_id,
            "adopt_id": None,
            "api_key": created.api_key,
            "expired_at": created.expired_at,
        }
        return CreateResult(chatbot_id, outs)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        live = self._live(id_)
        if live is None:
            return ReadResult(None, {})  # gone: refresh drops it from the state
        outs = {
            **{key: props.get(key) for key in OUTPUTS},
            "title": live.title,
            "plan_id": live.plan_id or props.get("plan_id"),
            "api_key": live.api_key or props.get("api_key"),
        }
        # The inputs follow the live values so the next diff shows what the stack file changes.
        return ReadResult(id_, outs, {key: outs[key] for key in INPUTS})

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        client = self._client()
        try:
            client.update_chatbot(id_, title=news["title"])
        except (NotFoundError, UnsupportedError) as exc:
            if isinstance(exc, NotFoundError) and client.find_chatbot(id_) is None:
                raise _reworded(
                    exc,
                    NotFoundError,
                    f"chatbot {id_} no longer exists in CaiGunn; run `pulumi refresh` to drop "
                    "it from the state, then `pulumi up` to create it again",
                ) from exc
            raise _reworded(
                exc,
                UnsupportedError,
                f"this CaiGunn API cannot rename chatbots (it offers only list and create), so "
                f"chatbot {id_} keeps the title {olds.get('title')!r}. Either put that title back "
                "in the stack file, or replace the chatbot (new id and api_key) with "
                "`pulumi up --replace <urn>`",
            ) from exc
        return UpdateResult({**{key: olds.get(key) for key in OUTPUTS}, "title": news["title"]})

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        client = self._client()
        try:
            client.delete_chatbot(id_)
        except (NotFoundError, UnsupportedError) as exc:
            if isinstance(exc, NotFoundError) and client.find_chatbot(id_) is None:
                return  # already gone: that is what delete wanted
            # The engine shows a provider's stderr beside the operation.
            print(
                f"warning: this CaiGunn API cannot delete chatbots, so chatbot {id_} stays in "
                "the account; it is removed from the Pulumi state only. Delete it in the "
                "CaiGunn console if it is no longer wanted.",
                file=sys.stderr,
                flush=True,
            )

    # --- helpers ------------------------------------------------------------------------------

    def _live(self, chatbot_id: str) -> ChatbotSummary | None:
        """The chatbot as CaiGunn has it now, or None when it is gone."""
        client = self._client()
        try:
            info = client.get_chatbot(chatbot_id)
        except NotFoundError:
            # Deleted, or a seed-level API without the per-chatbot route: the list decides.
            return client.find_chatbot(chatbot_id)
        if info.get("is_deleted"):
            return None
        return ChatbotSummary(
            id=chatbot_id,
            title=str(info.get("title")),
            api_key=info.get("api_key"),
            plan_id=_canonical_uuid(info.get("plan_id")),
        )

    def _adopt(self, chatbot_id: str, title: str, plan_id: str) -> CreateResult:
        """Take over an existing chatbot instead of creating one; never POSTs."""
        live = self._live(chatbot_id)
        if live is None:
            raise AdoptError(
                f"import: chatbot {chatbot_id} is not in this CaiGunn account; check the id in "
                "the `import:` key of the stack file"
            )
        if live.plan_id is not None and live.plan_id != plan_id:
            raise AdoptError(
                f"import: chatbot {chatbot_id} is on plan {live.plan_id}, but the stack file "
                f"says plan_id {plan_id}; a plan cannot change in place, so set plan_id to "
                f"{live.plan_id} to adopt it"
            )
        outs = {
            "title": live.title,
            "plan_id": plan_id,
            "adopt_id": chatbot_id,
            "api_key": live.api_key,
            "expired_at": None,
        }
        if live.title != title:
            self.update(chatbot_id, outs, {"title": title})
            outs["title"] = title
        return CreateResult(chatbot_id, outs)


def _reworded(exc: APIError, cls: type[APIError], message: str) -> APIError:
    """The same API failure as cls, told in terms of what the user was doing."""
    return cls(message, status=exc.status, method=exc.method, url=exc.url, detail=exc.detail)


def _canonical_uuid(value: object) -> str | None:
    """The lower-case canonical form of a UUID string, or None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return None
    return str(parsed) if str(parsed) == value.lower() else None
