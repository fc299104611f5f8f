"""Logical names for adopted chatbots: from their titles, valid, unique and deterministic.

A name is the title in lower case with every run of other characters turned into one '-'
("Support Desk" -> "support-desk"); accents are dropped ("Café" -> "cafe"). Where a title holds
letters that have no ASCII spelling ("客服 Bot"), the name ends with the first 8 characters of
the chatbot id ("bot-3fa85f64"; "chatbot-3fa85f64" when nothing is left), so the names of such
chatbots stay apart and tell which chatbot they are. Chatbots whose names would clash are told
apart by -2, -3, ... in the order of their ids, so one account always gives the same names.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from caigunn_provider.stackfile.rules import MAX_NAME_LENGTH

__all__ = ["MAX_NAME_LENGTH", "assign", "base_name"]

# The base leaves room for a suffix within the loader's limit for a logical name.
MAX_BASE_LENGTH = 80
FALLBACK = "chatbot"
ID_PART = 8

# Latin letters that Unicode does not decompose into an ASCII letter and a mark.
_SPELLED = str.maketrans(
    {"ß": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ø": "o", "Ø": "o", "đ": "d",
     "Đ": "d", "ł": "l", "Ł": "l", "þ": "th", "Þ": "th", "ð": "d", "Ð": "d", "\u0131": "i"}
)  # fmt: skip
_OTHER = re.compile(r"[^a-z0-9]+")


def base_name(title: str, chatbot_id: str) -> str:
    """The name a title gives before uniqueness: valid for the loader on its own."""
    # NFKD splits "é" into "e" and a combining accent, and folds full-width letters to ASCII.
    folded = unicodedata.normalize("NFKD", title.translate(_SPELLED))
    kept = "".join(char for char in folded if char.isascii())
    slug = _OTHER.sub("-", kept.lower()).strip("-")[:MAX_BASE_LENGTH].rstrip("-")
    lost = any(
        char.isalnum() and not char.isascii() and not unicodedata.combining(char) for char in folded
    )
    if not slug:
        return f"{FALLBACK}-{chatbot_id[:ID_PART]}"
    return f"{slug}-{chatbot_id[:ID_PART]}" if lost else slug


def assign(chatbots: Sequence[tuple[str, str]], taken: Iterable[str]) -> dict[str, str]:
    """{chatbot id: logical name} for (id, title) pairs, unique among themselves and taken.

    Names are compared without case, so that no two entries differ only in case. The first of
    each base name (by id) gets it bare when it is free; the rest get the first free -N, N >= 2.
    """
    used = {name.lower() for name in taken}
    ordered = sorted((base_name(title, chatbot_id), chatbot_id) for chatbot_id, title in chatbots)
    names: dict[str, str] = {}
    for base, chatbot_id in ordered:
        if base not in used:
            names[chatbot_id] = base
            used.add(base)
    for base, chatbot_id in ordered:
        if chatbot_id in names:
            continue
        number = 2
        while f"{base}-{number}" in used:
            number += 1
        names[chatbot_id] = used_name = f"{base}-{number}"
        used.add(used_name)
    return names
