"""Contract checks of the AnimeAPI simulator with raw httpx (no provider code in between).

These pin what the simulator promises in its docstring, so the provider tests stand on a known
server: status codes, bodies, headers, charging, limits.
"""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image

from animetui.simulator import DEMO_KEYS
from animetui.simulator.animeapi import FAIL_TRIGGER
from animetui.simulator.server import serve

KEY = DEMO_KEYS["animeapi"]
URL = "https://api.animeapi.com/api/generate"


pytestmark = pytest.mark.simulator("animeapi")


def auth(key: str = KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_missing_or_unknown_key_is_401_invalid_key(client, sim):
    for headers in ({}, auth("ank_not_a_real_key"), {"Authorization": f"Token {KEY}"}):
        response = await client.post(URL, json={"prompt": "a cat"}, headers=headers)
        assert response.status_code == 401
        assert response.json() == {"error": "Invalid API key", "code": "INVALID_KEY"}
    assert sim.charges == []
    assert sim.balance_usd() == pytest.approx(0.50)


async def test_minimal_request_uses_documented_defaults(client, sim):
    response = await client.post(URL, json={"prompt": "anime girl with blue hair"}, headers=auth())
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"image_url", "enhanced_prompt", "balance_usd", "generation_time_ms"}
    assert body["balance_usd"] == pytest.approx(0.491)
    assert 4000 <= body["generation_time_ms"] <= 8000
    # enhance defaults to true: Danbooru-style tags are added
    assert body["enhanced_prompt"].startswith("masterpiece, best quality")
    assert "1girl" in body["enhanced_prompt"] and "blue_hair" in body["enhanced_prompt"]
    # the client sent no allowNSFW, so the service's default (true) applied; the sim records that
    assert "allowNSFW" not in sim.last_body
    image = await client.get(body["image_url"])
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/webp"
    with Image.open(io.BytesIO(image.content)) as picture:
        assert picture.format == "WEBP"
        assert picture.size == (832, 1280)  # portrait is the default
    assert len(sim.charges) == 1 and sim.charges[0].amount_usd == pytest.approx(0.009)


@pytest.mark.parametrize("orientation,size", [("square", (1024, 1024)), ("landscape", (1280, 832))])
async def test_orientation_sets_the_image_size(client, orientation, size):
    body = (await client.post(URL, json={"prompt": "x", "orientation": orientation}, headers=auth())).json()
    data = (await client.get(body["image_url"])).content
    with Image.open(io.BytesIO(data)) as picture:
        assert picture.size == size


async def test_same_prompt_gives_the_same_image_and_time(client):
    first = (await client.post(URL, json={"prompt": "same"}, headers=auth())).json()
    second = (await client.post(URL, json={"prompt": "same"}, headers=auth())).json()
    assert first["generation_time_ms"] == second["generation_time_ms"]
    assert (await client.get(first["image_url"])).content == (await client.get(second["image_url"])).content


async def test_enhance_false_uses_the_prompt_as_is(client):
    prompt = "masterpiece, best quality, 1girl, blue_hair, forest, magical"
    body = (await client.post(URL, json={"prompt": prompt, "enhance": False}, headers=auth())).json()
    assert body["enhanced_prompt"] == prompt


@pytest.mark.parametrize(
    "kwargs,status,code",
    [
        ({"content": b'{"prompt": "x"}', "headers": {"Content-Type": "text/plain"}}, 415, "UNSUPPORTED_MEDIA_TYPE"),
        ({"content": b'{"prompt": ', "headers": {"Content-Type": "application/json"}}, 400, "INVALID_JSON"),
        ({"json": ["prompt"]}, 400, "INVALID_JSON"),
        ({"json": {}}, 400, "INVALID_PROMPT"),
        ({"json": {"prompt": "   "}}, 400, "INVALID_PROMPT"),
        ({"json": {"prompt": "x" * 1001}}, 400, "INVALID_PROMPT"),
        ({"json": {"prompt": "x", "orientation": "panorama"}}, 400, "INVALID_ORIENTATION"),
        ({"json": {"prompt": "x", "allowNSFW": "false"}}, 400, "INVALID_PARAMETER"),
        ({"json": {"prompt": "x", "enhance": 1}}, 400, "INVALID_PARAMETER"),
    ],
)
async def test_bad_requests_are_refused_and_not_charged(client, sim, kwargs, status, code):
    headers = {**auth(), **kwargs.pop("headers", {})}
    response = await client.post(URL, headers=headers, **kwargs)
    assert response.status_code == status
    assert response.json()["code"] == code
    assert isinstance(response.json()["error"], str)
    assert sim.charges == []


async def test_prompt_of_exactly_1000_characters_is_accepted(client):
    response = await client.post(URL, json={"prompt": "y" * 1000}, headers=auth())
    assert response.status_code == 200


async def test_ten_per_minute_sliding_window_with_retry_after(client, hub, sim):
    hub.clock.freeze()  # an exact Retry-After must not depend on how long the test takes
    for _ in range(10):
        assert (await client.post(URL, json={"prompt": "p"}, headers=auth())).status_code == 200
    hub.clock.advance(30)
    limited = await client.post(URL, json={"prompt": "p"}, headers=auth())
    assert limited.status_code == 429
    assert limited.json()["code"] == "RATE_LIMITED"
    assert limited.headers["Retry-After"] == "30"
    assert len(sim.charges) == 10  # the 429 was not charged
    hub.clock.advance(30.5)
    assert (await client.post(URL, json={"prompt": "p"}, headers=auth())).status_code == 200


async def test_rate_limit_is_per_key(client, sim):
    other = sim.add_key(balance_usd=1.0)
    for _ in range(10):
        await client.post(URL, json={"prompt": "p"}, headers=auth())
    assert (await client.post(URL, json={"prompt": "p"}, headers=auth(other))).status_code == 200


async def test_daily_limit_is_per_user_and_resets_next_day(client, hub, sim):
    second_key = sim.add_key(balance_usd=1.0, user="demo")  # same user as the demo key
    sim.set_daily_used(4999)
    assert (await client.post(URL, json={"prompt": "p"}, headers=auth(second_key))).status_code == 200
    refused = await client.post(URL, json={"prompt": "p"}, headers=auth())
    assert refused.status_code == 429
    assert refused.json() == {"error": "Daily limit exceeded", "code": "DAILY_LIMIT_EXCEEDED"}
    assert 0 < int(refused.headers["Retry-After"]) <= 86400
    assert len(sim.charges) == 1
    hub.clock.advance(int(refused.headers["Retry-After"]) + 1)
    assert (await client.post(URL, json={"prompt": "p"}, headers=auth())).status_code == 200


async def test_insufficient_balance_is_402_and_not_charged(client, sim):
    broke = sim.add_key(balance_usd=0.005)
    response = await client.post(URL, json={"prompt": "p"}, headers=auth(broke))
    assert response.status_code == 402
    assert response.json() == {"error": "Insufficient balance", "code": "INSUFFICIENT_BALANCE"}
    assert sim.balance_usd(broke) == pytest.approx(0.005)
    assert sim.charges == []


async def test_generation_failure_is_500_and_not_charged(client, sim):
    response = await client.post(URL, json={"prompt": f"a cat {FAIL_TRIGGER}"}, headers=auth())
    assert response.status_code == 500
    assert response.json() == {"error": "Generation failed", "code": "GENERATION_FAILED"}
    sim.fail_next()
    assert (await client.post(URL, json={"prompt": "a cat"}, headers=auth())).status_code == 500
    assert (await client.post(URL, json={"prompt": "a cat"}, headers=auth())).status_code == 200
    assert len(sim.charges) == 1


async def test_images_expire_after_seven_days(client, hub):
    body = (await client.post(URL, json={"prompt": "p"}, headers=auth())).json()
    hub.clock.advance(6 * 86400)
    assert (await client.get(body["image_url"])).status_code == 200
    hub.clock.advance(2 * 86400)
    assert (await client.get(body["image_url"])).status_code == 410


async def test_realistic_mode_takes_the_reported_generation_time(sim, client, hub):
    waited: list[float] = []

    async def record(seconds: float) -> None:
        waited.append(seconds)

    sim.sleep = record
    body = (await client.post(URL, json={"prompt": "p"}, headers=auth())).json()
    assert waited == []  # tests: instant
    hub.realistic = True
    body = (await client.post(URL, json={"prompt": "p"}, headers=auth())).json()
    assert waited == [body["generation_time_ms"] / 1000]
    assert 4.0 <= waited[0] <= 8.0


async def test_over_loopback_the_image_url_points_at_the_loopback_host(hub):
    async with serve(hub) as base_url, httpx.AsyncClient(base_url=base_url) as http:
        response = await http.post("/api/generate", json={"prompt": "p", "orientation": "square"}, headers=auth())
        assert response.status_code == 200
        image_url = response.json()["image_url"]
        assert image_url.startswith(base_url + "/sim-files/")
        image = await http.get(image_url)
        assert image.status_code == 200 and image.content[8:12] == b"WEBP"
