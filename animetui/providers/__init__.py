"""The provider registry: builds each provider from the settings, once, lazily.

``Providers(settings)`` talks to the real services; ``Providers(settings, demo=True)`` routes every
request to an in-process :class:`~animetui.simulator.SimulatorHub` (and fills in the simulators'
demo keys), and ``Providers(settings, transport=...)`` lets tests plug any httpx transport in.

The CLI and the TUI both go through this object; neither builds an HTTP client itself.
"""

from __future__ import annotations

import asyncio
import importlib
from typing import TYPE_CHECKING, Any

from animetui.net import RateLimiter, RetryPolicy, make_client

if TYPE_CHECKING:  # importing httpx/Pillow-heavy modules costs start-up time; only for types
    import httpx

    from animetui.config import Settings
    from animetui.providers.ailab import AILabProvider
    from animetui.providers.animeapi import AnimeAPIProvider
    from animetui.providers.animetrace import AnimeTraceProvider
    from animetui.providers.whatanime import WhatAnimeProvider
    from animetui.simulator import SimulatorHub

NAMES = ("animetrace", "whatanime", "animeapi", "ailab")
TITLES = {
    "animetrace": "AnimeTrace",
    "whatanime": "whatanimeisthis",
    "animeapi": "AnimeAPI",
    "ailab": "AILabTools",
}

# Client-side limits: (bucket size, refill per second). AnimeAPI's is documented (10/min per key);
# the others publish none, so these are polite defaults (see each provider module).
_LIMITS = {
    "animetrace": (2, 2.0),
    "whatanime": (5, 2.0),
    "animeapi": (10, 10 / 60),
    "ailab": (5, 5.0),
}


DOCUMENTED_RPM = 10  # AnimeAPI: 10 requests per minute per key


class Providers:
    def __init__(
        self,
        settings: "Settings",
        *,
        demo: bool = False,
        transport: "httpx.AsyncBaseTransport | None" = None,
        hub: "SimulatorHub | None" = None,
        retry: RetryPolicy | None = None,
    ) -> None:
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

    def section(self, name: str) -> dict[str, Any]:
        section = dict(self.settings.provider(name))
        if self.demo:
            from animetui.simulator import DEMO_KEYS

            if name in DEMO_KEYS and not section.get("api_key"):
                section["api_key"] = DEMO_KEYS[name]
        if name == "animeapi":
            # never above the documented 10 per minute, whatever the config file says
            rpm = min(DOCUMENTED_RPM, max(1, int(section.get("requests_per_minute", DOCUMENTED_RPM))))
            section["requests_per_minute"] = rpm
        return section

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
        if name not in NAMES:
            raise KeyError(name)
        if name not in self._built:
            from animetui.providers.base import ProviderContext

            section = self.section(name)
            client = make_client(section["base_url"], timeout=float(section.get("timeout", 60)), transport=self.transport)
            self._clients.append(client)
            capacity, rate = _LIMITS[name]
            window = None
            limiter_kwargs: dict[str, Any] = {}
            shared = self.shared_limits()
            if name == "animeapi":  # documented per minute per key: never more than that in any 60 s
                capacity, rate, window = section["requests_per_minute"], section["requests_per_minute"] / 60, 60.0
                if shared is not None:
                    # the machine-wide bucket keeps the documented window for every process, this
                    # one included; the local limiter is left with the server's "wait" (block_for)
                    from animetui import limits

                    rules = limits.DOCUMENTED["animeapi"]
                    if capacity < rules[0].count:  # a stricter per-minute limit set by the user
                        rules = (limits.Rule(int(capacity), 60.0, "requests a minute"), *rules[1:])
                    rate, window = 1000.0, None
                    limiter_kwargs = {
                        "shared": limits.SharedBucket(
                            shared,
                            limits.bucket_name("animeapi", section.get("api_key")),
                            rules,
                            provider=name,
                            title="AnimeAPI",
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
            module = importlib.import_module(f"animetui.providers.{name}")
            self._built[name] = module.create(ctx)
        return self._built[name]

    async def warm(self) -> None:
        """Build every provider and HTTP client in a thread (imports, TLS context: tens of ms), so
        that their first use on the event loop costs nothing. Optional: ``get`` builds lazily."""

        def build() -> None:
            for name in NAMES:
                self.get(name)
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
