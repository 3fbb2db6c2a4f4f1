"""The provider specs, discovered: every module in this package that defines ``SPEC``.

Nothing here lists provider names; :func:`all_specs` iterates the package's modules (plain data,
cheap to import), so a new provider's spec module is found without editing anything else.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

from animetui.providers.spec import ProviderSpec


@functools.cache
def all_specs() -> tuple[ProviderSpec, ...]:
    found: list[ProviderSpec] = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        spec = getattr(module, "SPEC", None)
        if isinstance(spec, ProviderSpec):
            found.append(spec)
    found.sort(key=lambda s: (s.order, s.name))
    names = [s.name for s in found]
    if len(set(names)) != len(names):
        raise RuntimeError(f"two provider specs share a name: {names}")
    return tuple(found)


def spec(name: str) -> ProviderSpec:
    for item in all_specs():
        if item.name == name:
            return item
    raise KeyError(name)


def names() -> tuple[str, ...]:
    return tuple(s.name for s in all_specs())


def titles() -> dict[str, str]:
    return {s.name: s.title for s in all_specs()}


def capable(capability: str) -> tuple[ProviderSpec, ...]:
    """Who can do ``capability`` (``animetui.providers.spec.SCENE``, …), in display order."""
    return tuple(s for s in all_specs() if s.can(capability))
