"""What a training must do: the rows it supersedes, whether it trains, its title, the model."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from caigunn_provider.kinds.model.api import model_name_of

TITLE_PREFIX = "pulumi-"


def model_title(training_data_ids: Iterable[str], model_name: str | None) -> str:
    """`pulumi-<16 hex>`: a digest of the sorted ids and the model name (the API's default
    written out, so that naming it changes nothing). A model found by title is still checked
    for its rows before it is used (is_right)."""
    text = "\n".join([model_name_of(model_name), *sorted(set(training_data_ids))])
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
    """Whether the last training no longer matches the declared rows (or model name)."""
    if not olds:
        return True
    declared = sorted(set(news.get("training_data_ids") or []))
    return declared != list(olds.get("trained_ids") or []) or model_name_of(
        olds.get("model_name")
    ) != model_name_of(news.get("model_name"))


def is_right(detail: Any, rows: Iterable[str], model_name: str | None) -> bool:
    """Whether a model (ModelDetail) was trained on exactly the chatbot's rows now (a training
    uses every row, hand-made ones too) with the model asked for."""
    return detail.training_data_ids == frozenset(rows) and model_name_of(
        detail.model_name
    ) == model_name_of(model_name)


def newest_titled(models: Iterable[Any], title: str) -> list[str]:
    """The ids of the models with this title, newest first (rows with id, title, created_at)."""
    found = sorted(
        (model for model in models if model.title == title),
        key=lambda model: model.created_at,
        reverse=True,
    )
    return [model.id for model in found]
