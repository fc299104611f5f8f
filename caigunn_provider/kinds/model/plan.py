"""What a model's update must do: the rows it supersedes, whether it trains, the model's title."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

TITLE_PREFIX = "pulumi-"


def model_title(training_data_ids: Iterable[str], model_name: str | None) -> str:
    """`pulumi-<16 hex>`: a digest of the sorted ids and the model name.

    A model with this title was trained on exactly this set, so finding one in the model list
    means the training already happened (a run that stopped waiting for it, say).
    """
    text = "\n".join([model_name or "", *sorted(set(training_data_ids))])
    return TITLE_PREFIX + hashlib.sha256(text.encode()).hexdigest()[:16]


def superseded(olds: Mapping[str, Any] | None, new_ids: Iterable[str]) -> list[str]:
    """Rows this stack made earlier that the new set no longer has (removed or replaced items).

    Only ids from the state: a row this stack did not create is never among them.
    """
    if not olds:
        return []
    before = set(olds.get("training_data_ids") or []) | set(olds.get("trained_ids") or [])
    return sorted(before - set(new_ids))


def needs_training(olds: Mapping[str, Any] | None, news: Mapping[str, Any]) -> bool:
    """Whether the chatbot's model no longer matches its items (or model name)."""
    if not olds or not olds.get("model_id") or olds.get("pending_event"):
        return True
    return sorted(set(news.get("training_data_ids") or [])) != list(
        olds.get("trained_ids") or []
    ) or olds.get("model_name") != news.get("model_name")


def newest(models: Iterable[Any], title: str) -> str | None:
    """The id of the newest model with this title, if any (rows with id, title, created_at)."""
    found = [model for model in models if model.title == title]
    return max(found, key=lambda model: model.created_at).id if found else None
