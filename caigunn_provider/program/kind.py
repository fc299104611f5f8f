"""What the run pipeline asks of a resource kind: its section, its checks, its declarations."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from caigunn_provider.account import Account
from caigunn_provider.program.checkpoint import Checkpoint
from caigunn_provider.stackfile.section import Section


@dataclass(frozen=True)
class Run:
    """What every kind's checks share: where the entries came from, the account, the state."""

    # The stack file's path, or a program's name, for messages (`stacks/dev.yaml:7: ...`).
    source: str
    account: Account
    # The stack's checkpoint, read beside the account check; None when it cannot be read (the
    # pipeline has warned), so recovery is impossible. Waits for the read on first call.
    checkpoint: Callable[[], Checkpoint | None]


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
