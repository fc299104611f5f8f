"""The Chatbot kind in the run pipeline: its checks before the run, its declarations, its outputs.

Runs in the program process.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pulumi

from caigunn_provider.client import ChatbotInfo
from caigunn_provider.config import ProviderConfig
from caigunn_provider.errors import CaiGunnError
from caigunn_provider.kinds.chatbot import expiry, preflight, prescan, recovery, retain
from caigunn_provider.kinds.chatbot.resource import CHATBOT_TYPE, Chatbot
from caigunn_provider.kinds.chatbot.section import ChatbotSection
from caigunn_provider.kinds.chatbot.spec import ChatbotSpec
from caigunn_provider.listing import Listing
from caigunn_provider.program.checkpoint import Checkpoint
from caigunn_provider.program.gate import StartsFirst
from caigunn_provider.program.kind import EntryContext, EntryKind, Run
from caigunn_provider.program.outputs import settled


@dataclass(frozen=True)
class Planned:
    """One entry, checked, with the exact arguments of its Chatbot and what preview says of it."""

    name: str
    title: str
    plan_id: str
    settings: Mapping[str, object]
    import_: str | None
    recover: str | None
    protect: bool
    notice: str | None = None
    # {entry kind: its spec}: what the kinds inside the entry declare under the chatbot.
    parts: Mapping[EntryKind, Any] = field(default_factory=dict)
    # Adopted: the engine keeps it on delete and says so (kinds/chatbot/retain.py).
    retain: bool = False
    # Its plan period ends soon or is over (said once per run, as a warning).
    expiry: str | None = None
    # Its plan changed, which replaces its chatbot: what that costs (said as a warning).
    replacing: str | None = None
    # New in this run (the state has no chatbot for it, nothing is adopted or recovered): its
    # create's check takes the program's scan (kinds/chatbot/prescan.py).
    creates: bool = False

    @property
    def taken(self) -> frozenset[str]:
        """The settings kinds inside the entry manage in the Chatbot's stead (answer checks own
        the prompt)."""
        return frozenset(key for kind in self.parts for key in kind.takes)

    @property
    def chatbot_settings(self) -> dict[str, object]:
        """The settings the Chatbot itself manages."""
        return {key: value for key, value in self.settings.items() if key not in self.taken}


@dataclass(frozen=True)
class Prepared:
    """The entries to declare, and the adopted chatbots that leave the stack in this run."""

    entries: list[Planned]
    leaving: Mapping[str, str]
    config: ProviderConfig | None = None
    checkpoint: Checkpoint | None = None
    # Warnings of the run as a whole (a caigunn:allowReplace name that no entry has).
    notes: tuple[str, ...] = ()


class ChatbotKind:
    """The `chatbots:` section: one Chatbot per entry, and under it what each kind inside the
    entry declares (the section's entry_kinds); the `chatbots`/`api_keys` outputs."""

    def __init__(self, section: ChatbotSection) -> None:
        self.section = section
        # What each entry kind declared in this run, by entry: its outputs are made from it.
        self.parts_declared: dict[EntryKind, dict[str, Sequence[Any]]] = {}

    def prepare(self, run: Run, specs: Mapping[str, ChatbotSpec]) -> Prepared:
        within_days = run.config.expiry_warning_days
        plan_ids = preflight.check_entries(run.source, specs, run.account)
        checkpoint = run.checkpoint()
        state = recovery.chatbots_of(checkpoint) if checkpoint is not None else None
        recovered: dict[str, str] = {}
        ending: dict[str, str] = {}
        if state is not None:
            _stop_on_ambiguous(run, state, specs)
        if state is not None and checkpoint is not None:
            read = preflight.check_updated_exist(
                run.source, specs, run.account, plan_ids, state.owned, state.recorded
            )
            recovered = _recover(run, state, specs, plan_ids)
            ending = _expiry_warnings(run, checkpoint, state, specs, read, within_days)
        kept = retain.kept(specs, plan_ids, checkpoint)
        planned = _planned(specs, plan_ids, recovered, state.owned if state else None)
        # Last: any other stop of this step is said alone, before a replacement is weighed.
        replacing = _replacements(run, specs, plan_ids, checkpoint)
        note = preflight.unknown_allowed(run.source, specs, run.config)
        return Prepared(
            [
                replace(
                    entry,
                    retain=entry.name in kept.retained,
                    expiry=ending.get(entry.name),
                    replacing=replacing.get(entry.name),
                    creates=state is not None
                    and entry.name not in state.owned
                    and entry.import_ is None
                    and entry.recover is None,
                )
                for entry in planned
            ],
            kept.leaving,
            run.config,
            checkpoint,
            (note,) if note else (),
        )

    def declare(self, prepared: Prepared) -> dict[str, Chatbot]:
        for name, chatbot_id in prepared.leaving.items():
            pulumi.log.warn(retain.leaving_message(name, chatbot_id))
        for note in prepared.notes:
            pulumi.log.warn(note)
        chatbots: dict[str, Chatbot] = {}
        self.parts_declared.clear()
        starts_first = StartsFirst()
        new = {entry.title for entry in prepared.entries if entry.creates}
        # The proven scan the new chatbots' checks need, begun now (kinds/chatbot/prescan.py).
        scan = prescan.start(prepared.config, new) if prepared.config else None
        try:
            self._declare_entries(prepared, chatbots, starts_first, scan)
        finally:
            starts_first.close()
        return chatbots

    def _declare_entries(
        self,
        prepared: Prepared,
        chatbots: dict[str, Chatbot],
        starts_first: StartsFirst,
        scan: str | None,
    ) -> None:
        for entry in prepared.entries:
            chatbots[entry.name] = Chatbot(
                entry.name,
                title=entry.title,
                plan_id=entry.plan_id,
                settings=entry.chatbot_settings,
                import_=entry.import_,
                recover=entry.recover,
                opts=pulumi.ResourceOptions(
                    protect=entry.protect, retain_on_delete=entry.retain or None
                ),
                scan=scan if entry.creates else None,
            )
            self.declare_parts(
                entry,
                chatbots[entry.name],
                prepared,
                pulumi.ResourceOptions(protect=entry.protect),
                exported=True,
                starts_first=starts_first,
            )

    def declare_parts(
        self,
        entry: Planned,
        chatbot: Chatbot,
        prepared: Prepared,
        opts: pulumi.ResourceOptions,
        *,
        exported: bool,
        starts_first: StartsFirst | None = None,
    ) -> None:
        """What preview says of the entry, then each kind's part under its Chatbot, in
        ENTRY_KINDS' order, each seeing what the kinds before it declared (with exported, kept
        in parts_declared: the kinds' outputs are made from it)."""
        if entry.notice:
            pulumi.log.info(entry.notice, chatbot)
        for warning in (entry.expiry, entry.replacing):
            if warning:
                pulumi.log.warn(warning, chatbot)
        declared: dict[str, Sequence[Any]] = {}
        for kind, part in entry.parts.items():
            context = EntryContext(
                declared=dict(declared),
                settings={k: v for k, v in entry.settings.items() if k in kind.takes},
                config=prepared.config,
                taken=entry.taken,
                adopting=entry.import_ is not None,
                checkpoint=prepared.checkpoint,
                starts_first=starts_first,
            )
            declared[kind.name] = kind.declare(entry.name, chatbot, part, opts, context)
            if exported:
                self.parts_declared.setdefault(kind, {})[entry.name] = declared[kind.name]

    def export(self, declared: Mapping[str, Chatbot]) -> None:
        """`chatbots` (id, title, plan_id, expires_at) and the secret `api_keys`."""
        pulumi.export(
            "chatbots",
            {
                name: {
                    "id": settled(bot.id),
                    "title": settled(bot.title),
                    "plan_id": settled(bot.plan_id),
                    "expires_at": settled(bot.expires_at),
                }
                for name, bot in declared.items()
            },
        )
        pulumi.export(
            "api_keys",
            pulumi.Output.secret({name: settled(bot.api_key) for name, bot in declared.items()}),
        )
        for kind, by_entry in self.parts_declared.items():
            kind.export(by_entry)


def _recover(
    run: Run,
    state: recovery.Chatbots,
    specs: Mapping[str, ChatbotSpec],
    plan_ids: Mapping[str, str],
) -> dict[str, str]:
    """{entry: chatbot id} for entries whose create an interrupted run may have made."""
    declared = {name: (spec.title, plan_ids[name]) for name, spec in specs.items()}
    open_ones = recovery.still_open(state, declared)
    if not open_ones:
        return {}
    listing = Listing(run.account.client.list_chatbots_page)
    rows = listing.snapshot(proven=True).rows.values()
    found, unsure = recovery.match(open_ones, rows, state.owned.values(), declared)
    if unsure:
        raise CaiGunnError("\n".join(_unsure_message(item, run.source) for item in unsure))
    return found


def _replacements(
    run: Run,
    specs: Mapping[str, ChatbotSpec],
    plan_ids: Mapping[str, str],
    checkpoint: Checkpoint | None,
) -> dict[str, str]:
    """{entry: the sentence preview warns with} for entries whose chatbot a plan change replaces.

    `pulumi up` (not a dry run) stops here on one that caigunn:allowReplace does not allow, with
    the sentences, before anything is declared. Without the checkpoint (unreadable: the pipeline
    has warned) a replacement cannot be told from an update, and nothing is said.
    """
    if checkpoint is None:
        return {}
    found = preflight.replacements(run.source, specs, plan_ids, checkpoint, run.account, run.config)
    preflight.refuse_replacements(found, dry_run=pulumi.runtime.is_dry_run())
    return {item.name: item.sentence for item in found}


def _stop_on_ambiguous(
    run: Run, state: recovery.Chatbots, specs: Mapping[str, ChatbotSpec]
) -> None:
    """An entry whose create stopped as ambiguous is not created again until `import:` names
    its chatbot: a blind rerun stops here, naming the candidates, before anything is declared."""
    unsettled = [
        (name, candidates)
        for name, candidates in state.ambiguous.items()
        if name in specs and specs[name].import_ is None
    ]
    if unsettled:
        raise CaiGunnError(
            "\n".join(
                f"{run.source}: chatbots.{name}: an earlier `pulumi up` created this chatbot, "
                f"and which chatbot it made cannot be told: {', '.join(candidates)} have its title "
                "and appeared meanwhile. Add `import: <id>` to the entry for the one that is its "
                "chatbot; nothing is created until then."
                for name, candidates in unsettled
            )
        )


def _expiry_warnings(
    run: Run,
    checkpoint: Checkpoint,
    state: recovery.Chatbots,
    specs: Mapping[str, ChatbotSpec],
    read: Mapping[str, ChatbotInfo],
    within_days: int,
) -> dict[str, str]:
    """{entry: warning} for the declared entries the state owns whose plan period ends soon."""
    owned = {name: chatbot_id for name, chatbot_id in state.owned.items() if name in specs}
    records = checkpoint.of_type(CHATBOT_TYPE)
    recorded = {name: expiry.recorded_end(records[name].outputs) for name in owned}
    now = datetime.now(UTC)
    # Only what the state says ends soon is read again (a renewal silences it at once).
    looked = {name: owned[name] for name in expiry.worth_a_look(recorded, now, within_days)}
    live = expiry.live_ends(run.account, looked, {n: i for n, i in read.items() if n in owned})
    return expiry.warnings(owned, recorded, live, now, within_days)


def _unsure_message(item: recovery.Unresolved, source: str) -> str:
    entries = ", ".join(f"chatbots.{name}" for name in item.names)
    ids = ", ".join(row.id for row in item.candidates)
    return (
        f"{source}: {entries}: an interrupted `pulumi up` was creating this chatbot, and "
        f"which chatbot it made cannot be told: {ids} have the title {item.title!r} and "
        "appeared since.\n"
        "Add `import: <id>` to the entry for the one that is its chatbot; if none is, run "
        "`pulumi refresh --clear-pending-creates --yes`, then `pulumi up`."
    )


def _planned(
    specs: Mapping[str, ChatbotSpec],
    plan_ids: Mapping[str, str],
    recovered: Mapping[str, str],
    owned: Mapping[str, str] | None,
) -> list[Planned]:
    """Each entry's Chatbot arguments, and what preview should say of it.

    `import:` is spent once the entry has a resource in the state: the engine re-checks a
    replacement as if it were new, so only the program, which reads the state, can tell that a
    replacement must not adopt the chatbot again. Without the state (owned is None) the key is
    passed on: a replacement may then re-adopt, which is harmless, as adopted chatbots are never
    deleted.
    """
    found = []
    for name, spec in specs.items():
        import_ = spec.import_ if owned is None or name not in owned else None
        notice = None
        if import_ is not None:
            # The update runs the program again: by then the chatbot is being adopted.
            will = "will be adopted" if pulumi.runtime.is_dry_run() else "is adopted"
            notice = f"chatbot {import_} {will} (import:); nothing is created"
        if name in recovered:
            notice = (
                f"chatbot {recovered[name]}, which an interrupted run created for this entry, "
                "will be taken over; nothing is created"
            )
        found.append(
            Planned(
                name=name,
                title=spec.title,
                plan_id=plan_ids[name],
                settings=spec.settings,
                import_=import_,
                recover=recovered.get(name),
                protect=spec.protect,
                notice=notice,
                parts=spec.parts,
            )
        )
    return found
