"""The AnimeTrace simulator's contract, checked with raw httpx (no provider in between)."""

from __future__ import annotations

import base64
import io
import re

import httpx
import pytest

from animetui.simulator.animetrace import analyse
from animetui.simulator.base import HOSTILE_STRINGS
from animetui.simulator.imagery import scene

BASE = "https://api.animetrace.com"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


pytestmark = pytest.mark.simulator("animetrace")


def picture(detections: int = 2) -> bytes:
    for seed in range(500):
        data = scene(320, 200, seed=seed)
        if len(analyse(data).boxes) == detections:
            return data
    raise AssertionError("no such image")


def flat() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 200, 30)).save(buffer, "JPEG")
    return buffer.getvalue()


async def search(client: httpx.AsyncClient, data: bytes | None = None, **fields: str) -> httpx.Response:
    files = {"file": ("image.png", data, "image/png")} if data is not None else None
    if files is None:
        # force multipart even without a file part
        return await client.post("/v1/search", files={k: (None, v) for k, v in fields.items()})
    return await client.post("/v1/search", data=fields, files=files)


def assert_error(response: httpx.Response, status: int, code: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert body["message"] and body["zh_message"]
    return body


async def test_model_list(client):
    response = await client.get("/v1/model/list")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == 0 and body["message"] == "success"
    models = body["data"]
    assert len(models) >= 3
    assert sum(1 for m in models if m["default"] and m["enabled"]) == 1
    assert any(m["enabled"] is False for m in models)
    for model in models:
        assert set(model) >= {"id", "name", "provider", "enabled", "default", "desc"}
        assert set(model["desc"]) == {"ja", "en", "zh"}


async def test_methods_and_paths(client):
    assert (await client.post("/v1/model/list")).status_code == 405
    assert (await client.get("/v1/search")).status_code == 405
    assert_error(await client.get("/v1/nothing-here"), 404, 404)


async def test_search_success_shape_and_determinism(client):
    data = picture(2)
    first = await search(client, data, is_multi="1", ai_detect="1")
    assert first.status_code == 200
    body = first.json()
    assert body["code"] == 0 and isinstance(body["ai"], bool) and UUID.match(body["trace_id"])
    assert len(body["data"]) == 2
    for item in body["data"]:
        x1, y1, x2, y2 = item["box"]
        assert 0 <= x1 < x2 <= 1 and 0 <= y1 < y2 <= 1
        assert UUID.match(item["box_id"]) and isinstance(item["not_confident"], bool)
        assert item["character"] and all(set(c) == {"work", "character"} for c in item["character"])
    again = (await search(client, data, is_multi="1", ai_detect="1")).json()
    assert again["data"] == body["data"] and again["trace_id"] != body["trace_id"]


async def test_single_mode_and_ai_off(client):
    data = picture(2)
    body = (await search(client, data, is_multi="0", ai_detect="0")).json()
    assert [len(item["character"]) for item in body["data"]] == [1, 1]
    assert body["ai"] is False


async def test_flat_image_has_no_characters(client):
    body = (await search(client, flat())).json()
    assert body["code"] == 0 and body["data"] == []


async def test_url_and_base64_in_every_body_style(client, hub):
    data = picture(1)
    path = hub.store_file(data, "image/png")
    expected = (await search(client, data)).json()["data"]
    encoded = base64.b64encode(data).decode()
    answers = [
        await search(client, url=BASE + path),
        await client.post("/v1/search", json={"url": BASE + path}),
        await client.post("/v1/search", data={"url": BASE + path}),
        await search(client, base64=encoded),
        await client.post("/v1/search", json={"base64": "data:image/png;base64," + encoded, "is_multi": 1}),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert answer.json()["data"] == expected


async def test_source_count_must_be_one(client, hub):
    assert_error(await search(client, model="animetrace-yuri-4.2"), 400, 17703)
    data = picture(1)
    response = await client.post("/v1/search", data={"url": "https://x.example/a.png"}, files={"file": ("a.png", data, "image/png")})
    assert_error(response, 400, 17703)
    assert_error(await search(client, base64="@@not base64@@"), 400, 17703)
    assert_error(await search(client, picture(1), is_multi="yes"), 400, 17703)


@pytest.mark.parametrize("old_id", ["animetrace_high_beta", "pre_stable", "full_game_model_kira"])
async def test_old_model_ids_are_mapped_like_the_service(client, old_id):
    response = await search(client, picture(1), model=old_id)
    assert response.status_code == 200 and response.json()["code"] == 0


async def test_unreachable_urls_are_17722_not_recognised(client):
    for url in ("https://images.invalid/a.jpg", "http://127.0.0.1:1/a.jpg", "https://cdn.example/unreachable.jpg"):
        assert_error(await search(client, url=url), 400, 17722)


@pytest.mark.parametrize("as_200", [False, True])
async def test_dash_codes_both_ways(client, sim, as_200):
    sim.dash_codes_as_200 = as_200
    expected = {17703: 400, 17705: 422, 17708: 422, 17722: 400, 17728: 429}
    cases = {
        17703: lambda: search(client, picture(1), model="animetrace-aqours-3.5"),
        17705: lambda: search(client, b"plain text, not an image"),
        17708: lambda: search(client, picture(2)),
        17722: lambda: search(client, url="https://cdn.example/notfound.jpg"),
        17728: lambda: search(client, picture(1)),
    }
    for code, call in cases.items():
        sim.max_people = 1 if code == 17708 else 5
        sim.daily_limit = 0 if code == 17728 else 1000
        assert_error(await call(), 200 if as_200 else expected[code], code)
    sim.daily_limit = 1000
    assert (await search(client, picture(1))).status_code == 200  # a success stays a success


async def test_models_unknown_and_paused(client):
    body = assert_error(await search(client, picture(1), model="AnimeTrace Yuri 4.2"), 500, 17729)
    assert body["zh_message"] == "未找到选择的模型"
    assert_error(await search(client, picture(1), model="animetrace-aqours-3.5"), 400, 17703)
    assert (await search(client, picture(1), model="animetrace-kira-2.1")).status_code == 200


async def test_size_format_and_download_errors(client, sim):
    assert_error(await search(client, b"plain text, not an image"), 422, 17705)
    assert_error(await search(client, url="https://cdn.example/private/pic.jpg"), 400, 17722)
    assert_error(await search(client, url="https://cdn.example/notfound.jpg"), 400, 17722)
    assert_error(await search(client, url=BASE + "/sim-files/does-not-exist"), 400, 17722)
    assert (await search(client, url="https://cdn.example/any.jpg")).status_code == 200
    sim.max_upload_bytes = 100
    assert_error(await search(client, picture(1)), 413, 17701)


async def test_too_many_people(client, sim):
    sim.max_people = 1
    assert_error(await search(client, picture(2)), 422, 17708)


async def test_daily_limit_per_client_and_reset(client, hub, sim):
    sim.daily_limit = 2
    data = picture(1)
    for _ in range(2):
        assert (await search(client, data)).status_code == 200
    assert_error(await search(client, data), 429, 17728)
    other = await client.post("/v1/search", files={"file": ("a.png", data, "image/png")}, headers={"X-Forwarded-For": "10.0.0.2"})
    assert other.status_code == 200  # another client has its own allowance
    hub.clock.advance(86400)
    assert (await search(client, data)).status_code == 200


async def test_burst_limit(client, sim):
    sim.burst_limit = 1
    assert (await search(client, picture(1))).status_code == 200
    response = await search(client, picture(1))
    assert_error(response, 429, 17737)
    assert 1 <= int(response.headers["retry-after"]) <= 60


async def test_busy_and_maintenance(client, hub, sim):
    hub.inject("animetrace", "busy", path="/v1/search")
    assert_error(await search(client, picture(1)), 503, 17702)
    sim.maintenance = True
    assert_error(await search(client, picture(1)), 403, 17704)
    assert (await client.get("/v1/model/list")).status_code == 200


async def test_hostile_names(client, hub):
    hub.inject("animetrace", "hostile", times=None)
    body = (await search(client, picture(2))).json()
    names = {v for item in body["data"] for c in item["character"] for v in c.values()}
    assert names <= set(HOSTILE_STRINGS) and names
