"""What a failure means for the user, said once, in the user's terms (stack file, config, CLI)."""

from __future__ import annotations

from collections.abc import Sequence

from caigunn_provider.capabilities import NEEDS_CURRENT_API, SEED_OFFERS
from caigunn_provider.client import ChatbotRow
from caigunn_provider.config import ALLOW_REPLACE, API_URL, SET_TOKEN, TOKEN, Source
from caigunn_provider.errors import (
    AmbiguousCreate,
    APIConnectionError,
    APIError,
    AuthError,
    CaiGunnError,
    ConfigError,
    MalformedAnswerError,
    NotFoundError,
    OwnershipError,
)


def may_have_taken_effect(exc: BaseException) -> bool:
    """Whether a write that failed with exc may all the same have been done by CaiGunn.

    No answer after the request left (a timeout, a dropped connection), a 5xx, or a success
    status with an unreadable body: the server may have acted. A 4xx (429 included) is a refusal
    before any work, and a connection that was never made sent nothing.
    """
    if isinstance(exc, APIConnectionError):
        return exc.reached
    if isinstance(exc, MalformedAnswerError):
        return True
    return isinstance(exc, APIError) and exc.status >= 500


CHECK_URL = (
    f"Check {API_URL[0]} (`pulumi config set {API_URL[0]} <url>` or {API_URL[1]}) and the network;"
    " nothing was changed."
)
# The URL came from the environment: the config key would override it, so say which to fix.
CHECK_URL_FROM_ENV = (
    f"The URL came from the {API_URL[1]} environment variable (the stack's config sets no "
    f"{API_URL[0]}): check it and the network; nothing was changed."
)
# Where a refused token came from, and how to replace it there.
TOKEN_FROM = {
    "config": (
        f"The token came from the stack's config ({TOKEN[0]}): set a valid one with "
        f"`pulumi config set --secret {TOKEN[0]} <token>`."
    ),
    "environment": (
        f"The token came from the {TOKEN[1]} environment variable (the stack's config sets no "
        f"{TOKEN[0]}): set a valid one there, or with `pulumi config set --secret {TOKEN[0]} "
        "<token>`, which wins over the environment."
    ),
}


TOKEN_REFRESH = "python -m caigunn_provider token refresh"


def refused_mid_run(exc: CaiGunnError, *, first: bool, what: str = "the access token") -> str:
    """The token was refused after the run's checks passed (it expired meanwhile, say).

    what names what the refused call carried (a chatbot-level call carries the api_key too).
    """
    if not first:
        return f"CaiGunn refused {what} here too (see the first refusal of this run)."
    return (
        f"CaiGunn refused {what} after this run's checks had passed ({exc}), so it "
        f"has probably expired meanwhile: renew it with `{TOKEN_REFRESH}`, then run "
        "`pulumi up` again."
    )


def explain(exc: CaiGunnError, token_source: Source | None = None) -> CaiGunnError:
    """The user-facing form of an error met outside a create (auth, unknown plan...)."""
    if isinstance(exc, AuthError):
        return ConfigError(refused_token(exc, token_source))
    return exc


def refused_token(exc: CaiGunnError, token_source: Source | None = None) -> str:
    """CaiGunn refused the token: from which source (where known) and how to set a valid one."""
    advice = TOKEN_FROM.get(token_source or "", SET_TOKEN)
    return f"CaiGunn refused the access token ({exc}).\n{advice}"


def account_unusable(
    exc: CaiGunnError,
    api_url: str = "",
    *,
    token_source: Source | None = None,
    api_url_source: Source | None = None,
) -> str:
    """Why the CaiGunn API cannot be used at all (token, network, wrong URL), and what to do.

    The sources (ProviderConfig.token_source, .api_url_source) name the setting to fix where known.
    """
    api = f"the CaiGunn API at {api_url}" if api_url else "the CaiGunn API"
    check_url = CHECK_URL_FROM_ENV if api_url_source == "environment" else CHECK_URL
    if isinstance(exc, AuthError):
        return refused_token(exc, token_source)
    if isinstance(exc, APIConnectionError):
        return f"Could not reach {api} ({exc}).\n{check_url}"
    if isinstance(exc, NotFoundError):
        url = api_url or "The API URL"
        return f"{url} does not answer like a CaiGunn API ({exc}).\n{check_url}"
    if isinstance(exc, APIError):
        return f"{api[0].upper()}{api[1:]} failed ({exc}).\nTry again later; nothing was changed."
    return str(exc)


def create_failed(title: str, exc: CaiGunnError) -> CaiGunnError:
    """A create that surely did not happen: nothing to clean up, and running again is safe."""
    if isinstance(exc, AuthError):
        return exc  # the provider says a refusal in full once per run
    if isinstance(exc, APIError | APIConnectionError):
        return _reworded(
            exc,
            f"CaiGunn did not create the chatbot {title!r} ({exc}); nothing was created, so "
            "`pulumi up` can simply be run again once the cause is fixed",
        )
    return exc


def create_gave_up(title: str, cause: BaseException, attempts: int) -> CaiGunnError:
    """Every attempt went unanswered and the account shows none of them took effect."""
    return CaiGunnError(
        f"CaiGunn did not create the chatbot {title!r}: {attempts} attempts went without an "
        f"answer (the last: {cause}), and the account shows no new chatbot with that title. "
        "Nothing was created, so `pulumi up` can simply be run again once CaiGunn answers"
    )


def create_unresolved(title: str, cause: BaseException, why: str) -> OwnershipError:
    """A create that may have happened and could not be matched to a chatbot in this run."""
    return OwnershipError(
        f"CaiGunn may have created the chatbot {title!r} ({cause}), and {why}. Before the next "
        "`pulumi up`, look in the account for a chatbot with that title: if one is this entry's, "
        "add `import: <its id>` to this entry in the stack file (`import_=` in a Python program) "
        "so that it is adopted, not made twice"
    )


def create_ambiguous(
    title: str, cause: BaseException, candidates: Sequence[ChatbotRow]
) -> AmbiguousCreate:
    """Several new chatbots could be the one a failed create made: the user must say which."""
    ids = ", ".join(row.id for row in candidates)
    return AmbiguousCreate(
        f"CaiGunn may have created the chatbot {title!r} ({cause}), but {len(candidates)} new "
        f"chatbots with that title appeared meanwhile ({ids}), so which one is this entry's cannot "
        f"be told. Add `import: <id>` with the right one to this entry in the stack file "
        "(`import_=` in a Python program), then run `pulumi up`",
        candidates=tuple(row.id for row in candidates),
    )


def cannot_rename(chatbot_id: str, old_title: str) -> CaiGunnError:
    return CaiGunnError(
        f"chatbot {chatbot_id} cannot be renamed: this CaiGunn API offers {SEED_OFFERS}. "
        f"Put the title {old_title!r} back in the stack file or program, or replace the chatbot "
        "(new id and api_key) with `pulumi up --replace <urn>`"
    )


def gone(chatbot_id: str) -> str:
    """A chatbot the state holds was deleted outside Pulumi, found before or while updating it."""
    return (
        f"chatbot {chatbot_id} no longer exists in CaiGunn (it was deleted outside Pulumi); run "
        "`pulumi refresh` to drop it from the state, then `pulumi up` to create it again"
    )


def gone_on_update(chatbot_id: str, exc: NotFoundError) -> CaiGunnError:
    return _reworded(exc, gone(chatbot_id))


def _reworded(exc: APIError | APIConnectionError, message: str) -> CaiGunnError:
    if isinstance(exc, APIError):
        return type(exc)(
            message, status=exc.status, method=exc.method, url=exc.url, detail=exc.detail
        )
    return APIConnectionError(
        message, method=exc.method, url=exc.url, reached=exc.reached, timed_out=exc.timed_out
    )


def settings_need_current_api(keys: Sequence[str]) -> CaiGunnError:
    return CaiGunnError(
        f"chatbot settings ({', '.join(keys)}) need {NEEDS_CURRENT_API}, and this one offers "
        f"{SEED_OFFERS}; remove them from the entry"
    )


def plain_token(stack: str) -> str:
    """The access token is in the stack's config in plain text (set without --secret)."""
    return (
        f"{TOKEN[0]} is stored in plain text in Pulumi.{stack}.yaml, a file teams commit: "
        f"encrypt it with `pulumi config set --secret {TOKEN[0]} <the same token>`"
    )


# The advice of a plan limit's problem: a larger plan is no free fix for a chatbot that exists.
LARGER_PLAN = "choose a larger plan (which replaces a chatbot that exists: a new id and api_key)"


def replaces_chatbot(
    where: str,
    plans: tuple[str, str],
    knowledge_items: int,
    *,
    old_stays: str | None,
    allow: str | None,
) -> str:
    """One sentence: a plan change replaces an entry's chatbot, and what that costs.

    where is `file:line: chatbots.name.plan`; plans the old and the new plan as the user knows
    them; old_stays why the old chatbot is kept in the account (None: it is deleted); allow the
    caigunn:allowReplace value to suggest, or None when the setting already allows it.
    """
    items = "item is" if knowledge_items == 1 else "items are"
    knowledge = (
        f", its {knowledge_items} knowledge {items} uploaded and trained again"
        if knowledge_items
        else ""
    )
    old = "the old chatbot is deleted" if old_stays is None else f"the old chatbot {old_stays}"
    allowed = (
        f"{ALLOW_REPLACE[0]} allows it"
        if allow is None
        else f"allow it with `pulumi config set {ALLOW_REPLACE[0]} {allow}`"
    )
    return (
        f"{where}: changing the plan from {plans[0]} to {plans[1]} replaces this chatbot: it "
        f"gets a new id and api_key{knowledge}, and {old}; {allowed}"
    )
