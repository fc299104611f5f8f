"""The chatbots' checks before anything is declared: their plans, what the server can do, the
chatbots to update, the chatbots a plan change would replace.

Runs in the program process, after caigunn_provider.account.connect() checked the account.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from caigunn_provider import messages
from caigunn_provider.account import Account
from caigunn_provider.capabilities import NEEDS_CURRENT_API, SEED_OFFERS
from caigunn_provider.client import ChatbotInfo, Plan
from caigunn_provider.config import ALLOW_REPLACE, EVERY_ENTRY, ProviderConfig
from caigunn_provider.errors import CaiGunnError, NotFoundError, StackFileError
from caigunn_provider.ids import is_canonical_id
from caigunn_provider.kinds.chatbot.spec import AMBIGUOUS, CHATBOT_TYPE, ChatbotSpec, change_of
from caigunn_provider.program.checkpoint import Checkpoint, Recorded
from caigunn_provider.stackfile.problems import at


class PreflightError(CaiGunnError):
    """A check before the run failed: one line naming the cause, one saying what to do."""


def check_entries(
    path: str, chatbots: Mapping[str, ChatbotSpec], account: Account
) -> Mapping[str, str]:
    """Each entry's plan id, named plans resolved, checked against the account's plans.

    StackFileError lists every problem with its file and line: a plan the account lacks, a plan
    name that matches no plan or several, what a seed-level API cannot do (plan names, settings
    and knowledge need the later API), and knowledge beyond its plan's limits.
    """
    plan_ids: dict[str, str] = {}
    problems: list[str] = []
    for name, spec in chatbots.items():
        where = f"{{at}}: chatbots.{name}"
        plan_id, problem = _plan_of(spec.plan, spec.plan_id, account)
        if problem is not None:
            key = "plan" if spec.plan is not None else "plan_id"
            problems.append(f"{where.format(at=at(path, spec.lines.get(key)))}.{key}: {problem}")
        elif plan_id is not None:
            plan_ids[name] = plan_id
        if spec.settings and not account.caps.takes_settings:
            # Named as the entry writes them: a prompt may come from prompt_file.
            written = [
                key for key in spec.lines if key in spec.settings or key == "prompt_file"
            ] or list(spec.settings)
            line = spec.lines.get(written[0], spec.line)
            problems.append(
                f"{where.format(at=at(path, line))}.{written[0]}: chatbot settings "
                f"({', '.join(written)}) need {NEEDS_CURRENT_API}, and this one offers "
                f"{SEED_OFFERS}; remove them from the entry"
            )
    problems.extend(
        check_parts(
            path, chatbots, plan_ids, account.plans, supported=account.caps.chatbot_level_api
        )
    )
    if problems:
        raise StackFileError(problems)
    return plan_ids


def check_parts(
    path: str,
    chatbots: Mapping[str, ChatbotSpec],
    plan_ids: Mapping[str, str],
    plans: Sequence[Plan],
    *,
    supported: bool,
) -> list[str]:
    """Every problem of the entries' parts (knowledge, webhook...) as `file:line: path: what`.

    supported says whether the API offers the chatbot-level routes (the current level): without
    them every part's keys are refused; with them each part is held to its entry's plan (an
    entry without a resolved plan id is left to the plan check).
    """
    if not supported:
        return refuse_parts(path, chatbots)
    by_id = {plan.id: plan for plan in plans}
    problems: list[str] = []
    for name, spec in chatbots.items():
        plan = by_id.get(plan_ids.get(name, ""))
        if plan is not None:
            for kind, part in spec.parts.items():
                problems.extend(kind.limits(path, name, part, plan))
    return problems


def refuse_parts(path: str, chatbots: Mapping[str, ChatbotSpec]) -> list[str]:
    """One problem per entry with parts: they need the chatbot-level routes of the current API."""
    problems: list[str] = []
    for name, spec in chatbots.items():
        if not spec.parts:
            continue
        written = [key for kind in spec.parts for key in kind.keys if key in spec.lines]
        written = written or [next(iter(spec.parts)).keys[0]]
        needs = [need for kind in spec.parts for need in kind.needs]
        verb = "needs" if len(written) == 1 else "need"
        problems.append(
            f"{at(path, spec.lines.get(written[0]))}: chatbots.{name}.{written[0]}: "
            f"{_and(written)} {verb} {NEEDS_CURRENT_API} (its chatbot-level routes: "
            f"{_and(needs)}), and this one offers {SEED_OFFERS}; remove them from the entry"
        )
    return problems


def _and(words: Sequence[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    return " and ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words)


def check_updated_exist(
    path: str,
    chatbots: Mapping[str, ChatbotSpec],
    account: Account,
    plan_ids: Mapping[str, str],
    owned: Mapping[str, str],
    recorded: Mapping[str, Mapping[str, Any]],
) -> dict[str, ChatbotInfo]:
    """Each chatbot this run would update in place still exists (current level: one GET each).

    A chatbot deleted outside Pulumi is found before anything is written, with its entry named,
    rather than by its update failing halfway through the run. Only a definite 404 stops the run:
    any other failure is left to the update, which reports it. (An entry whose plan changed is
    replaced, not updated: its create does not need the old chatbot.) Returns the answers read,
    {entry: info}, for later checks of this run to reuse.
    """
    if not account.caps.read_by_id:
        return {}
    updated = {
        name: owned[name]
        for name, spec in chatbots.items()
        if name in owned
        and is_canonical_id(owned[name])  # any other id is the update's to report
        # a new plan replaces (its create does not need the old chatbot): only updates count
        and change_of(recorded[name], plan_ids[name], spec.title, spec.settings) == "update"
    }

    def read(name: str) -> ChatbotInfo | bool:
        """The answer; True when proven gone; False when the read proves nothing."""
        try:
            return account.client.get_chatbot(updated[name])
        except NotFoundError:
            return True
        except CaiGunnError:
            return False  # proves nothing: the update meets it again and reports it

    if not updated:
        return {}
    # As many at once as the account-wide limit allows (caigunn:maxConcurrency, default 16).
    with ThreadPoolExecutor(max_workers=account.client.transport.limiter.limit) as pool:
        found = dict(zip(updated, pool.map(read, updated), strict=True))
    gone = [name for name, answer in found.items() if answer is True]
    if gone:
        raise PreflightError(
            "\n".join(
                f"{at(path, chatbots[name].line)}: chatbots.{name}: " + messages.gone(updated[name])
                for name in gone
            )
        )
    return {name: answer for name, answer in found.items() if isinstance(answer, ChatbotInfo)}


@dataclass(frozen=True)
class Replacement:
    """An entry whose chatbot this run replaces (a new id and api_key), said in one sentence."""

    name: str
    allowed: bool
    sentence: str


def replacements(
    path: str,
    chatbots: Mapping[str, ChatbotSpec],
    plan_ids: Mapping[str, str],
    checkpoint: Checkpoint,
    account: Account,
    config: ProviderConfig,
) -> list[Replacement]:
    """The declared entries whose chatbot the state holds on another plan, in file order.

    The engine's `+-` does not say what a replacement costs: every embedded widget and every
    service holding the old id or api_key breaks. The program knows it before anything is
    declared, from the checkpoint (the Chatbot's recorded plan_id against the resolved one: the
    one change ChatbotProvider.diff replaces for; the record of an ambiguous create holds no
    chatbot, and its replacement by `import:` makes none). caigunn:allowReplace allows it by name.
    """
    records = checkpoint.of_type(CHATBOT_TYPE)
    replaced = [
        name
        for name, spec in chatbots.items()
        if name in records
        and name in plan_ids
        and not records[name].outputs.get(AMBIGUOUS)
        and change_of(records[name].inputs, plan_ids[name], spec.title, spec.settings) == "replace"
    ]
    # One value allows this run's every replacement: a `config set` of one name would drop another.
    allow_all = ",".join(replaced)
    return [
        _replacement(
            path, chatbots[name], plan_ids[name], records[name], account, config, allow_all
        )
        for name in replaced
    ]


def refuse_replacements(found: Sequence[Replacement], *, dry_run: bool) -> None:
    """At `pulumi up`, stop before anything is declared on a replacement not allowed.

    A preview only warns, so that the user sees what up would do: the program cannot tell an up
    given --yes (or run in CI) from one whose preview a person will read and confirm, so the
    update itself, which runs the program again, is where it stops.
    """
    refused = [item.sentence for item in found if not item.allowed]
    if refused and not dry_run:
        raise PreflightError("\n".join(refused))


def unknown_allowed(
    path: str, chatbots: Mapping[str, ChatbotSpec], config: ProviderConfig
) -> str | None:
    """A warning for caigunn:allowReplace names that no entry has (a typo allows nothing)."""
    unknown = sorted(name for name in config.allow_replace - set(chatbots) if name != EVERY_ENTRY)
    if not unknown:
        return None
    return (
        f"{ALLOW_REPLACE[0]} names {', '.join(unknown)}, which no entry of {path} is: it allows "
        f"nothing for {'it' if len(unknown) == 1 else 'them'} ({EVERY_ENTRY} allows every entry)"
    )


def _replacement(
    path: str,
    spec: ChatbotSpec,
    plan_id: str,
    record: Recorded,
    account: Account,
    config: ProviderConfig,
    allow_all: str,
) -> Replacement:
    """The sentence for one replaced entry, at the line of its plan key."""
    key = "plan" if spec.plan is not None else "plan_id"
    where = f"{at(path, spec.lines.get(key, spec.line))}: chatbots.{spec.name}.{key}"
    allowed = config.allows_replace(spec.name)
    sentence = messages.replaces_chatbot(
        where,
        _plan_words(str(record.inputs.get("plan_id")), plan_id, account.plans),
        _knowledge_items(spec),
        old_stays=_why_old_stays(record, account),
        allow=None if allowed else allow_all,
    )
    return Replacement(spec.name, allowed, sentence)


def _plan_words(old: str, new: str, plans: Sequence[Plan]) -> tuple[str, str]:
    """The two plans as the user knows them: their titles where the account lists them (with
    their ids too when the titles are alike), else their ids."""
    titles = {plan.id: plan.title for plan in plans}
    words = (titles.get(old, old), titles.get(new, new))
    if words[0].casefold() == words[1].casefold():
        return f"{words[0]} ({old})", f"{words[1]} ({new})"
    return words


def _knowledge_items(spec: ChatbotSpec) -> int:
    """How many knowledge items the new chatbot is given (each uploaded and trained again)."""
    items = getattr(spec.part("knowledge"), "items", ())
    return len(items) if isinstance(items, tuple) else 0


def _why_old_stays(record: Recorded, account: Account) -> str | None:
    """Why the replaced chatbot stays in the account, or None: it is deleted."""
    if record.outputs.get("adopted") is True:
        return (
            "stays in the CaiGunn account (it was adopted with `import:`, and adopted chatbots "
            "are never deleted)"
        )
    if not account.caps.can_delete:
        return "stays in the CaiGunn account (this CaiGunn API cannot delete chatbots)"
    return None


def _close_plan(name: str, plans: list[Plan]) -> str | None:
    """The one plan title close to name (a typo), or None when none or several are."""
    by_folded: dict[str, list[str]] = {}
    for plan in plans:
        by_folded.setdefault(plan.title.casefold(), []).append(plan.title)
    close = difflib.get_close_matches(name.casefold()[:100], list(by_folded), n=2, cutoff=0.6)
    if len(close) == 1 and len(by_folded[close[0]]) == 1:
        return by_folded[close[0]][0]
    return None


def _plan_of(
    name: str | None, plan_id: str | None, account: Account
) -> tuple[str | None, str | None]:
    """(plan id, None) or (None, what is wrong). Names match case-insensitively, exactly once."""
    names = ", ".join(sorted(plan.title for plan in account.plans)) or "none"
    if name is not None:
        if not account.caps.lists_plans:
            return None, (
                "plan names need the current CaiGunn API, which lists plans; this one does not, "
                "so give the plan's id as plan_id, which works everywhere"
            )
        matches = [plan for plan in account.plans if plan.title.casefold() == name.casefold()]
        if not matches:
            hint = _close_plan(name, account.plans)
            hint = f"did you mean {hint!r}? " if hint else ""
            return (
                None,
                f"no plan named {name!r} in this CaiGunn account ({hint}its plans: {names})",
            )
        if len(matches) > 1:
            ids = ", ".join(plan.id for plan in matches)
            return None, f"{len(matches)} plans are named {name!r} ({ids}); use plan_id instead"
        return matches[0].id, None
    if account.caps.lists_plans and plan_id not in {plan.id for plan in account.plans}:
        return None, f"{plan_id} is not a plan of this CaiGunn account (its plans: {names})"
    return plan_id, None
