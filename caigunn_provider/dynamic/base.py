"""What every kind's dynamic provider shares: its configuration, the run's context, its reports.

Runs in the dynamic-provider process. A provider object is pickled into every resource's state,
so it holds plain configuration only: the token is read in configure() (or from the environment
at call time), and the run's Context (client, listing, claims) lives in a Runtime that is never
pickled.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar, cast

from pulumi.dynamic import ConfigureRequest, ResourceProvider
from pulumi.output import Unknown

from caigunn_provider import messages, timings
from caigunn_provider.capabilities import Capabilities
from caigunn_provider.config import KEYS, ProviderConfig, resolve
from caigunn_provider.dynamic import partial, tracebacks, watchdog, workers
from caigunn_provider.dynamic.runtime import Context, Runtime, process_runtime
from caigunn_provider.errors import AuthError, CaiGunnError, ConfigError

F = TypeVar("F", bound=Callable[..., Any])

# What the Python SDK passes for a value that is not known yet during a preview.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def sentinels(props: dict[str, Any]) -> dict[str, Any]:
    """props with every unknown value as the UNKNOWN string, at any depth.

    The SDK's dynamic-provider server gives check and diff their unknowns (another resource's
    output, during a preview) as `pulumi.output.Unknown` objects, not as the UNKNOWN string it
    uses on the wire; the providers compare with the string, which also goes back to the engine
    as unknown when check returns it.
    """
    return {key: _sentinel(value) for key, value in props.items()}


def _sentinel(value: Any) -> Any:
    if isinstance(value, Unknown):
        return UNKNOWN
    if isinstance(value, list):
        return [_sentinel(item) for item in value]
    if isinstance(value, dict):
        return {key: _sentinel(item) for key, item in value.items()}
    return value


# In the dynamic-provider process: expected failures without a traceback, partial failures
# (work done before a failure) kept in the state (in this order: partial's seam sits above), and
# the server serves more than four calls at once.
tracebacks.install()
partial.install()
workers.install()
watchdog.install()  # and the process ends itself once its engine is gone
if workers.in_provider_process():
    timings.started("provider")


def reports(operation: str) -> Callable[[F], F]:
    """Tag a CaiGunnError raised by the wrapped method with what was being done."""

    def wrap(method: F) -> F:
        @functools.wraps(method)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return method(*args, **kwargs)
            except CaiGunnError as exc:
                exc.operation = exc.operation or operation
                raise

        return cast(F, wrapper)

    return wrap


def warn(message: str) -> None:
    """A warning beside the operation: the engine shows what a provider writes to stderr."""
    print(f"warning: {message}", file=sys.stderr, flush=True)


class BaseProvider(ResourceProvider):
    """Configuration and the run's Context for one kind's CRUD (subclasses add the CRUD)."""

    # The pickle of a provider holds nothing secret (__getstate__ is empty, the token is read in
    # configure), so `__provider` is stored plain: two ciphertexts fewer per resource in every
    # checkpoint the engine writes (the SDK would make it a secret whatever it holds).
    serialize_as_secret_always = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        timings.time_operations(cls)

    def __init__(self, runtime: Runtime | None = None) -> None:
        super().__init__()
        self._config: dict[str, Any] = {}
        self._resolved: ProviderConfig | None = None
        self._runtime = runtime

    def __getstate__(self) -> dict[str, Any]:
        # Pickled into every resource's state: plain configuration only, and none of it secret.
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._config = {}
        self._resolved = None
        self._runtime = None

    def configure(self, req: ConfigureRequest) -> None:
        # Runs in the provider process after the object is unpickled: the token is never part of
        # the pickled object in the state.
        self._config = {key: req.config.get(key) for key in KEYS}
        self._resolved = None

    def provider_config(self) -> ProviderConfig:
        """Every `caigunn:` setting, resolved once from the engine's config and the environment."""
        resolved = getattr(self, "_resolved", None)
        if resolved is None:
            resolved = self._resolved = resolve(getattr(self, "_config", {}), os.environ)
        return resolved

    def context(self) -> Context:
        runtime = getattr(self, "_runtime", None) or process_runtime()
        return runtime.context_for(self.provider_config())

    def capabilities(self, ctx: Context) -> Capabilities:
        """What the server can do (one probe per run), a failure said in the user's terms."""
        try:
            return ctx.client.capabilities()
        except CaiGunnError as exc:
            raise self.explain(ctx, exc) from exc

    # What this kind's calls carry that CaiGunn may refuse, for the words of a refusal.
    credentials = "the access token"

    def explain(self, ctx: Context, exc: CaiGunnError) -> CaiGunnError:
        """A failure in the user's terms; a refused token is said in full once per run.

        The pre-flight proved the token before anything was declared, so a refusal here came
        later: it expired during the run, or was renewed elsewhere.
        """
        if isinstance(exc, AuthError):
            first = ctx.first_refusal()
            return ConfigError(messages.refused_mid_run(exc, first=first, what=self.credentials))
        return messages.explain(exc, ctx.token_source)
