"""The Toy kind in the run pipeline: a pre-flight rule, one Toy per entry, the `toys` output."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from caigunn_provider.errors import StackFileError
from caigunn_provider.program.kind import Run
from tests.toykind.resource import TOY_TYPE, Toy
from tests.toykind.section import ToySection
from tests.toykind.spec import ToySpec

# A label the pre-flight refuses, so that a test can prove the pre-flight runs for this kind.
FORBIDDEN = "forbidden"


class ToyKind:
    """The `toys:` section."""

    section = ToySection()

    def prepare(self, run: Run, specs: Mapping[str, ToySpec]) -> list[ToySpec]:
        problems = [
            f"{run.source}:{spec.label_line}: toys.{name}.label: {FORBIDDEN!r} is not allowed"
            for name, spec in specs.items()
            if spec.label == FORBIDDEN
        ]
        if problems:
            raise StackFileError(problems)
        checkpoint = run.checkpoint()
        if checkpoint is not None:
            # Keyed by type and name: a Toy `support` is not the Chatbot `support`.
            for name in checkpoint.of_type(TOY_TYPE):
                pulumi.log.info(f"toy {name} is in the state")
        return list(specs.values())

    def declare(self, prepared: list[ToySpec]) -> dict[str, Toy]:
        return {spec.name: Toy(spec.name, label=spec.label) for spec in prepared}

    def export(self, declared: Mapping[str, Toy]) -> None:
        pulumi.export(
            "toys", {name: {"id": toy.id, "label": toy.label} for name, toy in declared.items()}
        )


KIND = ToyKind()
