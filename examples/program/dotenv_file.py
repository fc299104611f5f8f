"""A local .env file for a website, written from Output values; a small dynamic resource."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult


def _write(path: str, values: Mapping[str, str]) -> None:
    """The file, readable by its owner only: it holds secrets."""
    text = "".join(f"{key}={value}\n" for key, value in sorted(values.items()))
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)


class DotEnvProvider(ResourceProvider):
    """Writes the file at create and update, removes it at delete."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        _write(props["path"], props["values"])
        return CreateResult(
            id_=props["path"], outs={"path": props["path"], "values": props["values"]}
        )

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [key for key in ("path", "values") if olds.get(key) != news.get(key)]
        return DiffResult(changes=bool(changed), replaces=[k for k in changed if k == "path"])

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        _write(news["path"], news["values"])
        return UpdateResult(outs={"path": news["path"], "values": news["values"]})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        Path(props["path"]).unlink(missing_ok=True)


class DotEnvFile(Resource, module="website", name="DotEnvFile"):
    """A .env file at `path` holding `values` (KEY=value lines); `values` stays a secret in the
    state and in outputs, since it carries api_keys."""

    path: pulumi.Output[str]
    values: pulumi.Output[dict[str, str]]

    def __init__(
        self,
        resource_name: str,
        *,
        path: pulumi.Input[str],
        values: pulumi.Input[Mapping[str, pulumi.Input[str]]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        secret = pulumi.ResourceOptions(additional_secret_outputs=["values"])
        super().__init__(
            DotEnvProvider(),
            resource_name,
            {"path": path, "values": values},
            pulumi.ResourceOptions.merge(secret, opts),
        )
