"""The provider registry: builds each provider from its spec and the settings, once, lazily.

``Providers(settings)`` talks to the real services; ``Providers(settings, demo=True)`` routes every
request to an in-process :class:`~animetui.simulator.SimulatorHub` (and fills in the simulators'
demo keys), and ``Providers(settings, transport=...)`` lets tests plug any httpx transport in.

Which providers exist, their titles, settings and limits come from their specs
(:mod:`animetui.providers.specs`); nothing here names a provider. Ask by capability:
``providers.capable(SCENE)`` → the providers that can search scenes.

The CLI and the TUI both reach this object through :mod:`animetui.runtime`; neither builds an HTTP
client itself. This module imports nothing heavy at the top (the settings schema reads the specs
before the first frame).
"""

from __future__ import annotations

import asyncio
import importlib
from typing import TYPE_CHECKING, Any, cast

from animetui.providers.spec import ProviderSpec
from animetui.providers.specs import all_specs, spec, titles

if TYPE_CHECKING:  # importing httpx/Pillow-heavy modules costs start-up time; only for types
    import httpx

    from animetui.config import Settings
    from animetui.net import RetryPolicy
    from animetui.providers.ailab import AILabProvider
    from animetui.providers.animeapi import AnimeAPIProvider
    from animetui.providers.animetrace import AnimeTraceProvider
    from animetui.providers.whatanime import WhatAnimeProvider
    from animetui.simulator import SimulatorHub

def __getattr__(attr: str) -> Any:
    """``NAMES`` and ``TITLES``, read from the specs when first asked (not at import)."""
    if attr == "NAMES":
        return tuple(s.name for s in all_specs())
    if attr == "TITLES":
        return titles()
    raise AttributeError(attr)


def title_of(name: str) -> str:
    return titles().get(name, name)


class Providers:
    def __init__(
        self,
        settings: "Settings",
        *,
        demo: bool = False,
        transport: "httpx.AsyncBaseTransport | None" = None,
        hub: "SimulatorHub | None" = None,
        retry: "RetryPolicy | None" = None,
    ) -> None:
        from animetui.net import RetryPolicy

        self.settings = settings
        self.demo = demo or hub is not None
        self.hub = hub
        if self.demo and transport is None:
            if self.hub is None:
                from animetui.simulator import SimulatorHub

                self.hub = SimulatorHub()
            transport = self.hub.transport()
        self.transport = transport
        self.retry = retry or RetryPolicy()
        self._built: dict[str, Any] = {}
        self._clients: list[httpx.AsyncClient] = []
        self._download_client: httpx.AsyncClient | None = None
        self._shared: Any = None

    # ------------------------------------------------------------------ specs
    @staticmethod
    def specs() -> tuple[ProviderSpec, ...]:
        return all_specs()

    @staticmethod
    def spec(name: str) -> ProviderSpec:
        return spec(name)

    def capable(self, capability: str) -> list[Any]:
        """The built providers that can do ``capability`` (``animetui.providers.spec.SCENE``, …)."""
        return [self.get(s.name) for s in all_specs() if s.can(capability)]

    def names_for(self, capability: str) -> tuple[str, ...]:
        return tuple(s.name for s in all_specs() if s.can(capability))

    def section(self, name: str) -> dict[str, Any]:
        section = dict(self.settings.provider(name))
        if self.demo:
            from animetui.simulator import DEMO_KEYS

            if name in DEMO_KEYS and not section.get("api_key"):
                section["api_key"] = DEMO_KEYS[name]
        return section

    def has_key(self, name: str) -> bool:
        key = spec(name).key_setting
        return bool(key and str(self.section(name).get(key) or "").strip())

    def shared_limits(self) -> Any:
        """The machine-wide limit counts in the data dir (None when there is no data dir)."""
        if self._shared is None:
            data_dir = getattr(self.settings, "data_dir", None)
            if data_dir is None:
                return None
            from animetui.limits import SharedLimits

            self._shared = SharedLimits(data_dir)
        return self._shared

    def get(self, name: str) -> Any:
        if name not in self._built:
            from animetui.net import RateLimiter, make_client
            from animetui.providers.base import ProviderContext

            declared = spec(name)  # KeyError for an unknown name
            section = self.section(name)
            if not declared.network:  # answers on this machine: no HTTP client, no limiter to share
                module = importlib.import_module(declared.module)
                self._built[name] = module.create(ProviderContext(
                    name=name, settings=section, client=cast("httpx.AsyncClient", None),
                    limiter=RateLimiter(declared.limit.capacity, declared.limit.rate),
                    retry=self.retry, cache_dir=self.settings.cache_dir, data_dir=self.settings.data_dir,
                ))
                return self._built[name]
            client = make_client(section["base_url"], timeout=float(section.get("timeout", 60)), transport=self.transport)
            self._clients.append(client)
            limit = declared.limit_for(section)
            capacity, rate, window = limit.capacity, limit.rate, limit.window
            limiter_kwargs: dict[str, Any] = {}
            shared = self.shared_limits()
            if shared is not None and declared.shared_limit:
                # the machine-wide bucket keeps the documented rules for every process, this one
                # included; the local limiter is left with the server's "wait" (block_for)
                from animetui import limits

                rules = limits.DOCUMENTED[declared.shared_limit]
                first = rules[0]
                if window == first.window and capacity < first.count:  # a stricter limit set by the user
                    rules = (limits.Rule(int(capacity), first.window, first.what), *rules[1:])
                rate, window = 1000.0, None
                limiter_kwargs = {
                    "shared": limits.SharedBucket(
                        shared,
                        limits.bucket_name(declared.shared_limit, section.get("api_key")),
                        rules,
                        provider=name,
                        title=declared.title,
                    ),
                }
            ctx = ProviderContext(
                name=name,
                settings=section,
                client=client,
                limiter=RateLimiter(capacity, rate, window=window, **limiter_kwargs),
                shared_limits=shared,
                retry=self.retry,
                cache_dir=self.settings.cache_dir,
                data_dir=self.settings.data_dir,
            )
            module = importlib.import_module(declared.module)
            self._built[name] = module.create(ctx)
        return self._built[name]

    def built(self) -> dict[str, Any]:
        """The providers built so far (nothing is built by asking)."""
        return dict(self._built)

    def apply_settings(self, name: str) -> None:
        """The settings of ``name`` changed: its built provider's live section takes them for the
        next request (clients, base URLs and limits stay as built until the next start)."""
        provider = self._built.get(name)
        if provider is not None:
            provider.ctx.settings.update(self.section(name))

    def session_expired(self, name: str) -> bool:
        """Did a request of ``name`` find its signed-in session dead since the last ask? (Read once.)"""
        provider = self._built.get(name)
        if provider is None or not getattr(provider, "session_expired", False):
            return False
        provider.session_expired = False
        return True

    async def warm(self) -> None:
        """Build every provider and HTTP client in a thread (imports, TLS context: tens of ms), so
        that their first use on the event loop costs nothing. Optional: ``get`` builds lazily."""

        def build() -> None:
            for item in all_specs():
                self.get(item.name)
            self.downloads  # noqa: B018 - built for its side effect

        await asyncio.to_thread(build)

    @property
    def animetrace(self) -> "AnimeTraceProvider":
        return self.get("animetrace")

    @property
    def whatanime(self) -> "WhatAnimeProvider":
        return self.get("whatanime")

    @property
    def animeapi(self) -> "AnimeAPIProvider":
        return self.get("animeapi")

    @property
    def ailab(self) -> "AILabProvider":
        return self.get("ailab")

    @property
    def downloads(self) -> "httpx.AsyncClient":
        """A client for result/preview URLs on other hosts: no base URL, no credentials."""
        if self._download_client is None:
            from animetui.net import make_client

            self._download_client = make_client("", timeout=120.0, transport=self.transport, headers={"Accept": "*/*"})
        return self._download_client

    async def aclose(self) -> None:
        for client in self._clients:
            await client.aclose()
        if self._download_client is not None:
            await self._download_client.aclose()
        self._clients.clear()
        self._built.clear()
        self._download_client = None
