"""One serialization per provider class, and no growing chain of pickle patches.

The Python SDK's `serialize_provider` (pulumi/dynamic/dynamic.py), which `Resource.__init__`
calls through its module global for every resource declared, patches
`pickle._Pickler._batch_setitems` to sort dict items, wrapping whatever the previous call left
there, and restores only `pickle.Pickler`. Every resource thus adds one wrapper: serialization
grows with the number already declared (quadratic in all) and near 480 resources the chain passes
Python's recursion limit (`RecursionError` in `pulumi up`; pulumi/pulumi#17803).

`install()` replaces that module global with a guard that restores every attribute of
`pickle._Pickler` and of the `pickle` module the SDK changed, and serializes a registered provider
class once: its objects hold plain configuration only, so the pickle is the same for every
resource (the dynamic-provider server keeps one provider per distinct pickle, too).
tests/unit/test_serialization.py fails if a new SDK stops working this way.
"""

from __future__ import annotations

import copy
import pickle
import threading
from collections.abc import Callable
from typing import Any

import pulumi.dynamic.dynamic as sdk

from caigunn_provider import p as short_names

_Serialize = Callable[[Any], str]

_LOCK = threading.RLock()
# Provider classes whose objects serialize alike when their attributes are equal plain data.
_SHARED: set[type] = set()
# Per class: the attributes last serialized, and the serialized text.
_CACHE: dict[type, tuple[dict[str, Any], str]] = {}
_PLAIN = (str, int, float, bool, type(None))


def _is_plain(value: object) -> bool:
    """Data that pickles by value alone: no Output (a secret), no function, no object."""
    if isinstance(value, _PLAIN):
        return True
    if isinstance(value, list | tuple):
        return all(_is_plain(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return False


def guarded(serialize: _Serialize) -> _Serialize:
    """`serialize`, undoing whatever it changes on pickle._Pickler and the pickle module."""

    def serialize_restoring(provider: Any) -> str:
        with _LOCK:
            pickler_before = dict(vars(pickle._Pickler))
            module_before = {name: getattr(pickle, name) for name in ("Pickler", "Unpickler")}
            try:
                return serialize(provider)
            finally:
                pickler_class = pickle._Pickler
                for name in set(vars(pickler_class)) - set(pickler_before):
                    delattr(pickler_class, name)
                for name, value in pickler_before.items():
                    if vars(pickler_class).get(name) is not value:
                        setattr(pickler_class, name, value)
                for name, value in module_before.items():
                    setattr(pickle, name, value)

    return serialize_restoring


def shared(serialize: _Serialize) -> _Serialize:
    """`serialize`, done once per registered provider class while its attributes stay the same."""

    def serialize_shared(provider: Any) -> str:
        cls = type(provider)
        state = dict(vars(provider))
        if cls not in _SHARED or not _is_plain(state):
            return serialize(provider)
        with _LOCK:
            cached = _CACHE.get(cls)
            if cached is not None and cached[0] == state:
                return cached[1]
            text = serialize(provider)
            _CACHE[cls] = (copy.deepcopy(state), text)
            return text

    return serialize_shared


_ORIGINAL: _Serialize | None = None


def install(*provider_classes: type) -> None:
    """Guard the SDK's serialize_provider (once) and share the pickle of these provider classes;
    a class with a short name (caigunn_provider/p.py) is pickled under it."""
    global _ORIGINAL
    with _LOCK:
        for cls in provider_classes:
            name = short_names.short_name(cls)
            if name is not None:
                cls.__module__, cls.__qualname__ = short_names.__name__, name
        _SHARED.update(provider_classes)
        if _ORIGINAL is None:
            _ORIGINAL = sdk.serialize_provider
            sdk.serialize_provider = shared(guarded(_ORIGINAL))
