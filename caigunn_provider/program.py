"""The Pulumi program: one Chatbot per stack-file entry, the two stack outputs, checks first."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pulumi

from caigunn_provider import preflight, recovery
from caigunn_provider.clean_stop import stop
from caigunn_provider.errors import CaiGunnError, StackFileError
from caigunn_provider.listing import Listing
from caigunn_provider.resource import Chatbot
from caigunn_provider.settings import KEYS, resolve
from caigunn_provider.stackfile import StackFile, load_stack_file


@dataclass(frozen=True)
class Entry:
    """One stack-file entry, checked, with the arguments of its Chatbot."""

    name: str
    args: dict[str, Any]
    notice: str | None = None


def entries() -> list[Entry]:
    """Load stacks/<stack>.yaml and check it against the account: what to declare.

    Every check happens before the first resource is declared, at preview as at up: a failure is
    one error message (clean_stop.stop: no traceback, no "unhandled error") and nothing is
    written. The program's __main__.py declares the resources itself: the engine records each
    resource's call stack in the state, so every frame between __main__ and Chatbot() would cost
    state on every chatbot.
    """
    stack = pulumi.get_stack()
    config = pulumi.Config("caigunn")
    try:
        stack_file = load_stack_file(f"stacks/{stack}.yaml")
        settings = resolve({key: config.get(key.split(":", 1)[1]) for key in KEYS}, os.environ)
        with ThreadPoolExecutor(max_workers=1) as pool:
            reading = pool.submit(recovery.read_checkpoint, _qualified(stack))
            account = preflight.check_account(settings)
            plan_ids = preflight.check_entries(stack_file, account)
            checkpoint = _checkpoint(reading.result)
            recovered = {}
            if checkpoint:
                preflight.check_updated_exist(
                    stack_file, account, plan_ids, checkpoint.owned, checkpoint.recorded
                )
                recovered = _recover(checkpoint, stack_file, plan_ids, account)
    except StackFileError as exc:
        stop(f"invalid stack file:\n{exc}")
    except CaiGunnError as exc:
        # A first line of its own: the engine echoes a message's first line in its progress
        # output, and the cause should be read once.
        stop(f"{STOPPED}\n{exc}")
    return _entries(stack_file, plan_ids, recovered, checkpoint.owned if checkpoint else None)


STOPPED = "Stopped before changing anything:"


def _checkpoint(read: Callable[[], recovery.Checkpoint]) -> recovery.Checkpoint | None:
    """The stack's checkpoint, or None (with a warning) when it cannot be read."""
    try:
        return read()
    except (recovery.CheckpointError, OSError, subprocess.SubprocessError) as exc:
        pulumi.log.warn(
            f"could not read this stack's checkpoint ({exc}); a create interrupted by an "
            "earlier run cannot be detected, so it may be made a second time"
        )
        return None


def _recover(
    checkpoint: recovery.Checkpoint,
    stack_file: StackFile,
    plan_ids: Mapping[str, str],
    account: preflight.Account,
) -> dict[str, str]:
    """{entry: chatbot id} for entries whose create an interrupted run may have made."""
    declared = {name: (spec.title, plan_ids[name]) for name, spec in stack_file.chatbots.items()}
    open_ones = recovery.still_open(checkpoint, declared)
    if not open_ones:
        return {}
    listing = Listing(account.client.list_chatbots_page)
    rows = listing.snapshot(proven=True).rows.values()
    found, unsure = recovery.match(open_ones, rows, checkpoint.owned.values(), declared)
    if unsure:
        raise CaiGunnError("\n".join(_unsure_message(item, stack_file) for item in unsure))
    return found


def _unsure_message(item: recovery.Unresolved, stack_file: StackFile) -> str:
    entries = ", ".join(f"chatbots.{name}" for name in item.names)
    ids = ", ".join(row.id for row in item.candidates)
    return (
        f"{stack_file.path}: {entries}: an interrupted `pulumi up` was creating this chatbot, and "
        f"which chatbot it made cannot be told: {ids} have the title {item.title!r} and "
        "appeared since.\n"
        "Add `import: <id>` to the entry for the one that is its chatbot; if none is, run "
        "`pulumi refresh --clear-pending-creates --yes`, then `pulumi up`."
    )


def _entries(
    stack_file: StackFile,
    plan_ids: Mapping[str, str],
    recovered: Mapping[str, str],
    owned: Mapping[str, str] | None,
) -> list[Entry]:
    """Each entry's Chatbot arguments, and what preview should say of it.

    `import:` is spent once the entry has a resource in the state: the engine re-checks a
    replacement as if it were new, so only the program, which reads the state, can tell that a
    replacement must not adopt the chatbot again. Without the state (owned is None) the key is
    passed on: a replacement may then re-adopt, which is harmless, as adopted chatbots are never
    deleted.
    """
    found = []
    for name, spec in stack_file.chatbots.items():
        import_ = spec.import_ if owned is None or name not in owned else None
        notice = None
        if import_ is not None:
            notice = f"chatbot {import_} will be adopted (import:); nothing is created"
        if name in recovered:
            notice = (
                f"chatbot {recovered[name]}, which an interrupted run created for this entry, "
                "will be taken over; nothing is created"
            )
        args = {
            "title": spec.title,
            "plan_id": plan_ids[name],
            "settings": spec.settings,
            "import_": import_,
            "recover": recovered.get(name),
            "opts": pulumi.ResourceOptions(protect=spec.protect),
        }
        found.append(Entry(name, args, notice))
    return found


def export(chatbots: Mapping[str, Chatbot]) -> None:
    """The two stack outputs: `chatbots` (id, title, plan_id) and the secret `api_keys`."""
    pulumi.export(
        "chatbots",
        {
            name: {"id": bot.id, "title": bot.title, "plan_id": bot.plan_id}
            for name, bot in chatbots.items()
        },
    )
    pulumi.export(
        "api_keys", pulumi.Output.secret({name: bot.api_key for name, bot in chatbots.items()})
    )


def _qualified(stack: str) -> str:
    """The stack's name for `pulumi stack export`, qualified where the engine told us the org."""
    organization, project = pulumi.get_organization(), pulumi.get_project()
    if organization and organization != "organization":
        return f"{organization}/{project}/{stack}"
    return stack
