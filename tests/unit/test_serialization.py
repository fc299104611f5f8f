"""Declaring thousands of resources neither piles up pickle patches nor slows each declaration.

The seam is the SDK's module-global `serialize_provider` (pulumi/dynamic/dynamic.py), which
`Resource.__init__` calls per resource and which patches `pickle._Pickler`: if a new SDK stops
working this way, the pinning tests here fail loudly.
"""

from __future__ import annotations

import base64
import importlib
import inspect
import pickle
import re
import time
from collections.abc import Callable
from typing import Any

import dill
import pulumi.dynamic.dynamic as sdk
import pytest
from pulumi.dynamic import ResourceProvider

from caigunn_provider import p as short_names
from caigunn_provider.dynamic import serialization
from caigunn_provider.kinds.chatbot.provider import ChatbotProvider
from caigunn_provider.kinds.chatbot.resource import Chatbot  # noqa: F401  (installs the guard, as a program does)

DECLARATIONS = 2000


class PlainProvider(ResourceProvider):
    """A provider class not registered for sharing: serialized afresh each time."""

    def __init__(self, flavour: str) -> None:
        super().__init__()
        self.flavour = flavour


def chain_depth() -> int:
    """How many sorting wrappers sit on top of pickle's own _batch_setitems."""
    depth, function = 0, vars(pickle._Pickler)["_batch_setitems"]
    while True:
        inner = [
            cell.cell_contents
            for cell in function.__closure__ or ()
            if inspect.isfunction(cell.cell_contents)
        ]
        if not inner:
            return depth
        depth, function = depth + 1, inner[0]


def per_call_seconds(serialize: Callable[[], object]) -> list[float]:
    times = []
    for _ in range(DECLARATIONS):
        start = time.perf_counter()
        serialize()
        times.append(time.perf_counter() - start)
    return times


def flat(times: list[float]) -> tuple[float, float]:
    """Mean seconds per call early on (past warm-up) and at the end."""
    early, late = times[100:400], times[-300:]
    return sum(early) / len(early), sum(late) / len(late)


def test_the_sdk_still_declares_through_the_module_global_serialize_provider() -> None:
    source = inspect.getsource(sdk.Resource.__init__)
    assert re.search(r"_serialize\(\s*True,\s*serialize_provider,\s*provider\s*\)", source), (
        "Resource.__init__ no longer calls the module global serialize_provider"
    )
    assert sdk.serialize_provider.__name__ == "serialize_shared"


def test_the_sdk_still_patches_the_python_pickler_and_restores_only_pickle_pickler() -> None:
    original = serialization._ORIGINAL
    assert original is not None
    source = inspect.getsource(original)
    assert "pickle.Pickler = pickle._Pickler" in source
    assert "unsorted_batch_setitems = pickle.Pickler._batch_setitems" in source
    assert "pickle.Pickler.save_dict = save_dict_sorted" in source
    assert "pickle.Pickler = old_pickler" in source
    # Unguarded, each call wraps the previous wrapper: the chain the guard exists to stop.
    before = dict(vars(pickle._Pickler))
    pickler = pickle.Pickler
    try:
        depths = []
        for _ in range(3):
            original(PlainProvider("x"))
            depths.append(chain_depth())
        assert depths == [1, 2, 3], f"the SDK no longer stacks its pickle patches: {depths}"
    finally:
        for name, value in before.items():
            if vars(pickle._Pickler).get(name) is not value:
                setattr(pickle._Pickler, name, value)
        pickle.Pickler = pickler  # type: ignore[misc]
    assert chain_depth() == 0


def test_two_thousand_chatbot_declarations_share_one_pickle_at_flat_cost() -> None:
    first = sdk.serialize_provider(ChatbotProvider())
    times = per_call_seconds(lambda: sdk.serialize_provider(ChatbotProvider()))
    assert sdk.serialize_provider(ChatbotProvider()) == first
    assert chain_depth() == 0
    assert pickle.Pickler is not pickle._Pickler  # type: ignore[comparison-overlap]
    early, late = flat(times)
    assert late < 3 * early + 1e-4, f"{early * 1e6:.0f} us per call early, {late * 1e6:.0f} late"


def test_two_thousand_unshared_serializations_leave_the_chain_depth_constant() -> None:
    depths: set[int] = set()

    def serialize() -> None:
        sdk.serialize_provider(PlainProvider("x"))
        depths.add(chain_depth())

    times = per_call_seconds(serialize)
    assert depths == {0}
    early, late = flat(times)
    assert late < 3 * early + 1e-4, f"{early * 1e6:.0f} us per call early, {late * 1e6:.0f} late"


def test_the_shared_pickle_is_the_one_the_sdk_makes_and_still_loads() -> None:
    assert serialization._ORIGINAL is not None
    provider = ChatbotProvider()
    text = serialization.guarded(serialization._ORIGINAL)(provider)
    assert sdk.serialize_provider(ChatbotProvider()) == text
    loaded: Any = dill.loads(base64.b64decode(text))
    assert type(loaded) is ChatbotProvider


class Configured(ResourceProvider):
    """A provider whose pickle carries its (plain) attributes."""

    def __init__(self, url: str) -> None:
        self.url = url


def test_a_provider_with_different_attributes_gets_its_own_pickle() -> None:
    serialization.install(Configured)
    one, other = Configured("http://here"), Configured("http://elsewhere")
    assert sdk.serialize_provider(one) != sdk.serialize_provider(other)
    assert sdk.serialize_provider(Configured("http://here")) == sdk.serialize_provider(one)


def test_a_chatbot_providers_pickle_holds_no_configuration() -> None:
    # BaseProvider pickles nothing of itself: the token and URL are read in configure().
    configured = ChatbotProvider()
    configured._config = {"caigunn:accessToken": "secret-token-123"}
    assert sdk.serialize_provider(configured) == sdk.serialize_provider(ChatbotProvider())


def test_installing_again_keeps_one_guard() -> None:
    installed = sdk.serialize_provider
    serialization.install(ChatbotProvider)
    assert sdk.serialize_provider is installed


def test_every_provider_is_stored_plain_because_its_pickle_holds_nothing_secret() -> None:
    # `__provider` is not made a secret (two ciphertexts fewer per resource in each checkpoint):
    # that is safe only while the pickle carries no configuration, which the test above pins.
    from caigunn_provider.dynamic.base import BaseProvider

    assert BaseProvider.serialize_as_secret_always is False
    assert b"secret-token" not in sdk.serialize_provider(ChatbotProvider()).encode()


def kinds_installed() -> set[type]:
    """Every provider class a kind of this package installs, once each resource module is in."""
    import pkgutil

    import caigunn_provider.kinds as kinds

    for found in pkgutil.walk_packages(kinds.__path__, f"{kinds.__name__}."):
        if found.name.endswith(".resource"):
            importlib.import_module(found.name)
    return {cls for cls in serialization._SHARED if cls.__module__ == short_names.__name__}


def test_every_kinds_provider_is_pickled_under_its_short_name_and_loads_back() -> None:
    installed = kinds_installed()
    assert len(installed) == len(short_names.CLASSES) == 8
    for name, (module, attribute) in short_names.CLASSES.items():
        cls = getattr(importlib.import_module(module), attribute)
        assert cls in installed, f"{attribute} is not installed by its kind's resource module"
        text = sdk.serialize_provider(cls())
        pickled = base64.b64decode(text)
        # By reference, under the short name: no long module path, no class body.
        assert b"caigunn_provider.p\x94\x8c\x01" + name.encode() in pickled, pickled
        assert len(text) <= 60, text
        assert type(dill.loads(pickled)) is cls


def test_every_provider_class_of_the_package_has_a_short_name() -> None:
    # A new kind's provider, installed but not listed in caigunn_provider/p.py, would pickle under
    # its long path: this names it.
    kinds_installed()
    ours = {cls for cls in serialization._SHARED if cls.__module__.startswith("caigunn_provider")}
    assert {cls.__module__ for cls in ours} == {"caigunn_provider.p"}, ours


def test_a_state_written_before_still_loads_its_long_pickle() -> None:
    # The Chatbot's `__provider` as states written before the short names hold it.
    older = (
        "gASVRQAAAAAAAACMJ2NhaWd1bm5fcHJvdmlkZXIua2luZHMuY2hhdGJvdC5wcm92aWRlcpSMD0NoYXRib3RQcm92aWRl"
        "cpSTlCmBlH2UYi4="
    )
    assert type(dill.loads(base64.b64decode(older))) is ChatbotProvider


def test_a_short_name_loads_in_a_process_that_imported_nothing() -> None:
    # The provider process loads the pickle before any kind's module is imported.
    import subprocess
    import sys

    text = sdk.serialize_provider(ChatbotProvider())
    code = (
        "import base64, pickle, sys; "
        f"cls = type(pickle.loads(base64.b64decode({text!r}))); "
        "print(cls.__module__, cls.__name__)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["caigunn_provider.kinds.chatbot.provider", "ChatbotProvider"]


def test_an_unknown_short_name_is_no_class() -> None:
    with pytest.raises(AttributeError, match="'Z'"):
        short_names.Z  # noqa: B018
