"""The chatbot settings, defined once: each key's shape, whether CaiGunn shows it, its default.

The stack-file rules (kinds/chatbot/settings.py), the JSON Schema (schema/stack-file.schema.json),
the client's parser (client/parsers.py) and the emulator's forms and defaults
(emulator/forms.py, emulator/models.py) are built from this table or checked against it by
tests/unit/test_fields.py. "Settings" here always means these chatbot settings; the provider's own
configuration (token, URL) is caigunn_provider/config.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Shape = Literal["prose", "messages", "origins", "color", "bool", "style", "uuid"]


@dataclass(frozen=True)
class Setting:
    """One optional chatbot setting of the create and update forms."""

    name: str
    shape: Shape
    # Whether the chatbot's GET answers it (others are write-only: their drift cannot be seen).
    readable: bool
    # The value a chatbot has when the setting was never given.
    default: Any


SETTINGS: tuple[Setting, ...] = (
    Setting("prompt", "prose", True, ""),
    Setting("initial_messages", "messages", False, []),
    Setting("allowed_domains", "origins", False, []),
    Setting("main_color", "color", False, "#1E88E5"),
    Setting("is_default_visible", "bool", False, False),
    Setting("is_fixed", "bool", False, False),
    Setting("show_history", "bool", False, True),
    Setting("is_shared", "bool", True, False),
    Setting("button_style", "style", False, "basic"),
    Setting("model_id", "uuid", False, None),
)

SETTING_KEYS: tuple[str, ...] = tuple(setting.name for setting in SETTINGS)
BOOLEAN_SETTINGS: tuple[str, ...] = tuple(s.name for s in SETTINGS if s.shape == "bool")
READABLE_SETTINGS: tuple[str, ...] = tuple(s.name for s in SETTINGS if s.readable)
DEFAULTS: Mapping[str, Any] = {setting.name: setting.default for setting in SETTINGS}
BUTTON_STYLES = ("basic", "image")

_ABSENT = object()


def changed_settings(
    recorded: Mapping[str, Any] | None, declared: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The declared settings whose value differs from the recorded ones (an undeclared one is
    left be: it is no longer managed)."""
    old = recorded or {}
    return {k: v for k, v in (declared or {}).items() if old.get(k, _ABSENT) != v}


def needs_update(
    recorded: Mapping[str, Any], title: str, settings: Mapping[str, Any] | None
) -> bool:
    """Whether an entry as declared differs from its recorded inputs by an in-place update.

    The one answer to "does this entry need an update?", for the provider's diff and the
    pre-flight alike: a new title, a changed setting, or a setting taken out of the entry (the
    update then drops it from the state, so that declaring it again later sends it again).
    """
    kept = recorded.get("settings") or {}
    if not isinstance(kept, Mapping):
        return True  # a recorded shape this code never wrote: one look is cheaper than a crash
    declared = dict(settings or {})
    return (
        recorded.get("title") != title
        or bool(changed_settings(kept, declared))
        or bool(set(kept) - set(declared))
    )
