"""The one rule for CaiGunn ids: a canonical UUID, compared in lower case."""

from __future__ import annotations

import re

__all__ = ["canonical_id", "is_canonical_id"]

# The 8-4-4-4-12 hex form only: braces, "urn:uuid:", hyphen-less or padded forms are refused rather
# than guessed at, so that no id can smuggle '/', '.', '?' or whitespace into a URL path.
_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def canonical_id(value: object) -> str | None:
    """The lower-case canonical form of a UUID string, or None when it is not one.

    Case variants of one UUID are the same id: CaiGunn answers ids in lower case.
    """
    if not isinstance(value, str) or len(value) != 36:
        return None
    lowered = value.lower()
    return lowered if _UUID_RE.fullmatch(lowered) else None


def is_canonical_id(value: object) -> bool:
    """Whether value is already a canonical (lower-case) UUID string."""
    return isinstance(value, str) and canonical_id(value) == value
