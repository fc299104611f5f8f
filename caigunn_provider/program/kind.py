"""What the run pipeline asks of a resource kind: its section, its checks, its declarations."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from caigunn_provider.account import Account
from caigunn_provider.client import Plan
from caigunn_provider.config import ProviderConfig
from caigunn_provider.program.checkpoint import Checkpoint
from caigunn_provider.stackfile.section import Section

if TYPE_CHECKING:  # Pulumi is loaded only to declare
    from caigunn_provider.program.gate import StartsFirst


@dataclass(frozen=True)
class Run:
    """What every kind's checks share: where the entries came from, the account, the state."""

    # The stack file's path, or a program's name, for messages (`stacks/dev.yaml:7: ...`).
    source: str
    # Every `caigunn:` setting, read once by the pipeline.
    config: ProviderConfig
    account: Account
    # The stack's checkpoint, read beside the account check; None when it cannot be read (the
    # pipeline has warned), so recovery is impossible. Waits for the read on first call.
    checkpoint: Callable[[], Checkpoint | None]


@dataclass(frozen=True)
class EntryContext:
    """What an entry kind's declare() gets beside its own spec."""

    # What the kinds before it (ENTRY_KINDS' order) declared for the same entry, by kind name.
    declared: Mapping[str, Sequence[Any]]
    # The chatbot settings it took over from the Chatbot resource (its `takes`), as declared.
    settings: Mapping[str, Any]
    # Every `caigunn:` setting, read once by the pipeline (None for a program without one).
    config: ProviderConfig | None = None
    # The chatbot settings some kind of this entry took over ("model_id": answer checks put the
    # trained model into service, so the Model step must not).
    taken: frozenset[str] = frozenset()
    # The run adopts the entry's chatbot (`import:`): what it serves is reported, not changed.
    adopting: bool = False
    # The stack's state before this run (None when it could not be read), for what a preview says.
    checkpoint: Checkpoint | None = None
    # The run's starts of background work, to be ended before any wait is declared to the engine
    # (caigunn_provider.program.gate.StartsFirst); None where entries are declared one at a time.
    starts_first: StartsFirst | None = None


class Kind(Protocol):
    """One resource kind, as the program process sees it."""

    @property
    def section(self) -> Section:
        """The stack-file key it owns and how to check an entry."""

    def prepare(self, run: Run, specs: Mapping[str, Any]) -> Any:
        """Check the entries against the account and the state (pre-flight, recovery), before
        anything is declared; StackFileError or another CaiGunnError stops the run."""

    def declare(self, prepared: Any) -> Mapping[str, Any]:
        """Declare the resources of the prepared entries; {logical name: resource}."""

    def export(self, declared: Mapping[str, Any]) -> None:
        """The stack outputs this kind contributes."""


class EntryKind(Protocol):
    """A kind that lives inside a chatbot entry (knowledge, webhook, Opentalk binding): keys of
    the entry are its own, and it declares resources under the entry's Chatbot.

    Registered in one line of caigunn_provider.kinds; the chatbot entry's key set, the JSON
    Schema, docs/stack-file.md, the seed-level refusal and the declare loop are built from these.
    Its module must not import Pulumi at import time: the command line loads stack files too.
    """

    @property
    def name(self) -> str:
        """The kind's name: `opentalk` (a chatbot spec's part is found under it)."""

    @property
    def keys(self) -> tuple[str, ...]:
        """The chatbot-entry keys it owns, in the order the docs list them."""

    @property
    def needs(self) -> tuple[str, ...]:
        """What of the chatbot-level API it uses, for the seed-level refusal: (`webhooks`,)."""

    @property
    def takes(self) -> tuple[str, ...]:
        """The chatbot settings it manages instead of the Chatbot resource when its part is
        present (`prompt` for answer checks); usually none."""

    @property
    def schema(self) -> Mapping[str, Any]:
        """Its fragment of the chatbot entry's JSON Schema: `properties`, optionally `allOf`."""

    @property
    def docs(self) -> str:
        """Its section of docs/stack-file.md, in Markdown, starting with a `### ` heading."""

    def check(self, fields: Mapping[str, Any], path: str, base_dir: str, problems: Any) -> Any:
        """Its keys among the entry's fields ({key: yamltree.Entry}) checked: its spec, or None
        when the entry declares none of them. Problems go to problems, each at its line."""

    def limits(self, source: str, name: str, spec: Any, plan: Plan) -> list[str]:
        """Preview-time problems of its spec against the entry's plan, as `file:line: what`."""

    def declare(
        self, entry: str, chatbot: Any, spec: Any, opts: Any, context: EntryContext
    ) -> Sequence[Any]:
        """Declare its resources under the entry's Chatbot (`chatbot.id`, `chatbot.api_key`)."""

    def export(self, declared: Mapping[str, Sequence[Any]]) -> None:
        """The stack outputs it contributes, from what it declared ({entry: resources})."""
