"""What an entry's answer checks are, once read from the stack file (`checks:` and the list in
its `checks_file`): the shared shape of the stack-file side, the Serving step and the command
line. Loads without Pulumi.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# The assertion keys of an `expect:` (promptfoo's assertion types, written with `_`).
POSITIVE_ASSERTIONS = (
    "equals",
    "starts_with",
    "contains",
    "icontains",
    "contains_any",
    "icontains_any",
    "contains_all",
    "icontains_all",
    "regex",
)
NEGATIVE_ASSERTIONS = ("not_contains", "not_icontains", "not_regex", "max_chars")
ASSERTIONS = POSITIVE_ASSERTIONS + NEGATIVE_ASSERTIONS

# What the checks' own conversations are called (the `nickname` query) and how their `uid`s
# begin, so that an export can leave them out and a reader of the history can tell them apart.
NICKNAME = "caigunn-checks"
UID_PREFIX = "caigunn-check-"

# Modes (the stack's `caigunn:checksMode`): `enforce` puts back what served before when a check
# fails or cannot be asked; `report` asks and reports, and never puts back.
MODES = ("enforce", "report")


@dataclass(frozen=True)
class CheckSpec:
    """One check: a question, what its answer must satisfy, and how many times it is asked."""

    ask: str
    # {assertion key: value}, in the order written; every one must hold.
    expect: Mapping[str, Any]
    repeat: int = 1
    # How many of the `repeat` answers must satisfy `expect` (default: all of them).
    min_pass: int = 1
    # Where it was written: `stacks/dev.yaml:12` or `checks/support.yaml:3`, for reports.
    where: str = ""

    def as_props(self) -> dict[str, Any]:
        """The check as a resource input (plain JSON values; `where` is left out, so that moving
        a check in its file changes nothing)."""
        return {
            "ask": self.ask,
            "expect": dict(self.expect),
            "repeat": self.repeat,
            "min_pass": self.min_pass,
        }


@dataclass(frozen=True)
class ChecksSpec:
    """An entry's checks: those of `checks:` first, then those of its `checks_file`."""

    checks: tuple[CheckSpec, ...] = ()
    # The line of the entry's `checks:` key (or of `checks_file:` when there is no `checks:`).
    line: int = 0
    # The lines of the keys that declared them, for messages about the entry as a whole.
    lines: Mapping[str, int] = field(default_factory=dict)

    @property
    def talks(self) -> int:
        """How many messages one full round of these checks spends (each repeat is a talk)."""
        return sum(check.repeat for check in self.checks)

    @property
    def all_negative(self) -> bool:
        """True when no check asks for anything to be present: "I don't know." passes them all."""
        return bool(self.checks) and not any(
            key in POSITIVE_ASSERTIONS for check in self.checks for key in check.expect
        )

    @property
    def digest(self) -> str:
        """The checks' content, hashed: a comment, a blank line or a check moved within the
        list changes nothing."""
        return content_digest(sorted(content_digest(check.as_props()) for check in self.checks))


def content_digest(value: Any) -> str:
    """sha256 of a JSON value, keys sorted: the same content gives the same digest."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
