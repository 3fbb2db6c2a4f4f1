"""The simulator contract tests talk HTTP to one simulator: ``client``, next to the root's ``hub``/``sim``."""

from __future__ import annotations

import httpx
import pytest


@pytest.fixture
async def client(hub, sim):
    """An httpx client on the hub's in-process transport, at the service's documented base URL.

    (A client's cookie jar is its own: the whatanime tests send the session cookie explicitly.)
    """
    from animetui.providers.specs import spec

    setting = spec(sim.name).setting("base_url")
    base_url = str(setting.default) if setting is not None else ""
    async with httpx.AsyncClient(transport=hub.transport(), base_url=base_url) as http:
        yield http
