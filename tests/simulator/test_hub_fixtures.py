"""The shared simulator fixtures (tests/conftest.py, tests/simulator/conftest.py) give what they say."""

from __future__ import annotations

import pytest

from animetui.providers.specs import all_specs


@pytest.mark.simulator("animeapi")
async def test_a_marked_test_gets_only_its_simulator_and_a_client_at_its_base_url(hub, sim, client):
    assert list(hub.services) == ["animeapi"]
    assert sim is hub.services["animeapi"]
    assert str(client.base_url).rstrip("/") == "https://api.animeapi.com"
    response = await client.post("/api/generate", json={})
    assert response.request.url.host == "api.animeapi.com"
    assert [(r.path, r.status) for r in hub.requests_to("animeapi")] == [("/api/generate", response.status_code)]


def test_an_unmarked_test_gets_every_simulator(hub):
    assert set(hub.services) == {s.name for s in all_specs() if s.simulator}
