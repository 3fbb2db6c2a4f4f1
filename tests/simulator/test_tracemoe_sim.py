"""Contract checks of the trace.moe simulator with raw httpx and with a third-party client.

These pin what soruly/trace.moe-api's docs and server say (docs/docs.md, docs/limits.md,
src/search.ts, src/get-me.ts): paths, flags, headers, body shapes, every documented error and
limit — so a provider test cannot pass against a simulator that drifted from the contract.
``aiotracemoeapi`` (a maintained client of the real service) must read its answers too.
"""

from __future__ import annotations

import asyncio
import base64
import io

import httpx
import pytest
from PIL import Image

from animetui.simulator.imagery import scene
from animetui.simulator.server import serve
from animetui.simulator.tracemoe import DEMO_KEY

API = "https://api.trace.moe"
VECTOR = [32, 24, 7, 19, 13, 13, 19, 22, 24, 15, 14, 16, 15, 15, 13, 18, 16, 17, 14, 13, 19, 34, 12,
          26, 17, 19, 17, 26, 19, 8, 12, 11, 9]
VECTOR_B64 = "IBgHEw0NExYYDw4QDw8NEhARDg0TIgwaERMRGhMIDAsJ"
ITEM_KEYS = {"anilist", "filename", "episode", "episode_start", "episode_end", "from", "at", "to",
             "duration", "similarity", "video", "image"}


pytestmark = pytest.mark.simulator("tracemoe")


@pytest.fixture(params=["inprocess", "loopback"])
async def client(request, hub):
    if request.param == "inprocess":
        async with httpx.AsyncClient(transport=hub.transport(), base_url=API) as http:
            yield http
        return
    async with serve(hub) as base_url:
        async with httpx.AsyncClient(base_url=base_url) as http:
            yield http


def jpeg(seed: int = 3, size: tuple[int, int] = (640, 360)) -> bytes:
    return scene(size[0], size[1], seed=seed, fmt="JPEG")


def letterboxed(seed: int = 3) -> bytes:
    inner = Image.open(io.BytesIO(scene(640, 270, seed=seed, fmt="PNG"))).convert("RGB")
    frame = Image.new("RGB", (640, 480), (0, 0, 0))
    frame.paste(inner, (0, 105))
    out = io.BytesIO()
    frame.save(out, "PNG")
    return out.getvalue()


def flat() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 180), (90, 90, 90)).save(out, "PNG")
    return out.getvalue()


async def post_image(client: httpx.AsyncClient, data: bytes, query: str = "", **headers: str) -> httpx.Response:
    return await client.post(f"/search{query}", content=data, headers={"Content-Type": "image/jpeg", **headers})


# --------------------------------------------------------------------------- search inputs
async def test_raw_body_search_answer_shape(client):
    response = await post_image(client, jpeg())
    assert response.status_code == 200
    body = response.json()
    assert body["error"] == "" and isinstance(body["frameCount"], int)
    assert body["quota"] == 100 and body["quotaUsed"] == 0  # read before this search is counted
    results = body["result"]
    assert 1 <= len(results) <= 10
    assert [r["similarity"] for r in results] == sorted((r["similarity"] for r in results), reverse=True)
    for item in results:
        assert set(item) == ITEM_KEYS
        assert isinstance(item["anilist"], int)
        assert 0 <= item["similarity"] <= 1
        assert item["from"] <= item["at"] <= item["to"] <= item["duration"]
        base = str(client.base_url).rstrip("/")
        assert item["image"].startswith(f"{base}/image/") and item["video"].startswith(f"{base}/video/")


@pytest.mark.parametrize("ctype", ["image/png", "video/mp4", "application/octet-stream", "application/x-www-form-urlencoded"])
async def test_raw_body_content_types(client, sim, ctype):
    response = await client.post("/search", content=jpeg(), headers={"Content-Type": ctype})
    assert response.status_code == 200 and response.json()["result"]
    assert sim.uploads[-1] == jpeg()


async def test_multipart_field_image_finds_the_same(client):
    raw = (await post_image(client, jpeg())).json()["result"]
    form = (await client.post("/search", files={"image": ("a.jpg", jpeg(), "image/jpeg")})).json()["result"]
    assert [r["anilist"] for r in form] == [r["anilist"] for r in raw]


async def test_search_by_url(client, sim):
    response = await client.get("/search", params={"url": "https://images.example/32B15.jpg"})
    assert response.status_code == 200 and response.json()["result"]
    assert sim.uploads == []  # nothing uploaded
    bad = await client.get("/search", params={"url": "not a url"})
    assert bad.status_code == 400 and bad.json()["error"].startswith("Invalid image url")
    missing = await client.get("/search", params={"url": "https://images.example/404.jpg"})
    assert missing.status_code == 404 and missing.json()["error"].startswith("Failed to fetch image")
    blank = await client.get("/search", params={"url": "https://images.example/blank.jpg"})
    assert blank.json()["result"] == []


async def test_no_image_is_405_and_bad_images_400(client):
    assert (await client.get("/search")).status_code == 405
    nothing = await client.post("/search")
    assert nothing.status_code == 405 and nothing.json() == {"error": "Method Not Allowed"}
    broken = await post_image(client, b"\xff\xd8\xff not really a jpeg")
    assert broken.status_code == 400 and broken.json()["error"] == "Failed to process image"


async def test_over_25_mb_is_413(client):
    response = await client.post("/search", content=b"\0" * (25 * 1024 * 1024 + 1),
                                 headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == 413


async def test_flat_image_finds_nothing(client):
    body = (await client.post("/search", content=flat(), headers={"Content-Type": "image/png"})).json()
    assert body["result"] == [] and body["error"] == ""


# --------------------------------------------------------------------------- flags
async def test_cut_borders_raises_similarity_of_letterboxed_shots(client, sim):
    data = letterboxed()
    plain = (await client.post("/search", content=data, headers={"Content-Type": "image/png"})).json()["result"]
    cut = (await client.post("/search?cutBorders", content=data, headers={"Content-Type": "image/png"})).json()["result"]
    assert plain[0]["similarity"] < 0.87 <= 0.90 <= cut[0]["similarity"]
    assert plain[0]["anilist"] == cut[0]["anilist"]
    assert "cutBorders" in sim.searches[-1]


async def test_anilist_id_restricts_and_unknown_id_is_empty(client):
    only = (await post_image(client, jpeg(), "?anilistID=21")).json()
    assert only["result"] and {r["anilist"] for r in only["result"]} == {21}
    none = (await post_image(client, jpeg(), "?anilistID=424242")).json()
    assert none == {"frameCount": 0, "error": "", "result": []}


async def test_anilist_info_inlines_the_media(client, sim):
    body = (await post_image(client, jpeg(), "?anilistInfo")).json()
    for item in body["result"]:
        info = item["anilist"]
        assert set(info) == {"id", "idMal", "title", "synonyms", "isAdult"}
        assert set(info["title"]) == {"native", "romaji", "english"}
        assert isinstance(info["isAdult"], bool)
    sim.anilist_down = True
    failed = await post_image(client, jpeg(), "?anilistInfo")
    assert failed.status_code == 502 and "Anilist" in failed.json()["error"]
    assert (await post_image(client, jpeg())).status_code == 200


async def test_episodes_come_in_every_documented_shape(client):
    kinds = set()
    for seed in range(6):
        for item in (await post_image(client, jpeg(seed))).json()["result"]:
            episode = item["episode"]
            kinds.add(type(episode).__name__)
            if isinstance(episode, list):
                assert (item["episode_start"], item["episode_end"]) == (episode[0], episode[-1])
    assert {"NoneType", "int", "str", "list"} <= kinds


async def test_sparse_answers_lack_from_and_to(client, sim):
    sim.sparse = True
    item = (await post_image(client, jpeg())).json()["result"][0]
    assert "from" not in item and "to" not in item and "at" in item


# --------------------------------------------------------------------------- vectors
async def test_vector_search_single_and_batch(client, sim):
    one = (await client.post("/search", json={"vector": VECTOR_B64})).json()
    assert isinstance(one["result"], list) and isinstance(one["result"][0], dict)
    same = (await client.post("/search", json={"vector": VECTOR})).json()
    assert [r["anilist"] for r in same["result"]] == [r["anilist"] for r in one["result"]]
    batch = (await client.post("/search", json={"vector": [VECTOR_B64, VECTOR]})).json()
    assert len(batch["result"]) == 2 and all(isinstance(r, list) for r in batch["result"])
    assert sim.guest().used(sim.clock.now()) == 4  # 1 + 1 + 2: one quota per vector


async def test_vector_errors(client):
    too_many = await client.post("/search", json={"vector": [VECTOR] * 11})
    assert too_many.status_code == 400 and too_many.json()["error"] == "Too many vectors (max 10)"
    for bad in (VECTOR[:32], "AAAA", [VECTOR, "AAAA"], {"x": 1}):
        response = await client.post("/search", json={"vector": bad})
        assert response.status_code == 400 and response.json()["error"] == "Invalid vector format"
    assert base64.b64decode(VECTOR_B64) == bytes(VECTOR)


# --------------------------------------------------------------------------- keys, quota, limits
async def test_keys_are_read_from_the_header_only(client, sim):
    assert (await post_image(client, jpeg(), **{"x-trace-key": "nope"})).json() == {"error": "Invalid API key"}
    assert (await client.get("/me", headers={"x-trace-key": "nope"})).status_code == 403
    keyed = (await post_image(client, jpeg(), **{"x-trace-key": DEMO_KEY})).json()
    assert keyed["quota"] == 1000 and keyed["quotaUsed"] == "0"
    await post_image(client, jpeg(), f"?key={DEMO_KEY}")  # the query-string key is not supported: a guest
    assert sim.guest().used(sim.clock.now()) == 1
    me = (await client.get("/me", headers={"x-trace-key": DEMO_KEY})).json()
    assert me == {"id": "demo@example.com", "priority": 2, "concurrency": 1, "quota": 1000, "quotaUsed": "1"}


async def test_me_for_a_guest_and_its_history(client):
    me = (await client.get("/me")).json()
    assert me == {"id": "127.0.0.1", "priority": 0, "concurrency": 1, "quota": 100, "quotaUsed": "0"}
    await post_image(client, jpeg())
    await post_image(client, b"junk")
    rows = (await client.get("/me", params={"period": "hour"})).json()
    assert rows and rows[-1]["200"] == 1 and rows[-1]["400"] == 1 and rows[-1]["total"] == 2
    assert (await client.get("/me", params={"period": "week"})).json() == {"error": "Invalid period"}


async def test_rolling_quota_and_failed_searches_do_not_count(client, sim):
    sim.guest().quota = 2
    assert (await post_image(client, jpeg())).status_code == 200
    sim.clock.advance(3600)
    assert (await post_image(client, b"junk")).status_code == 400  # not counted
    assert (await post_image(client, jpeg())).status_code == 200
    depleted = await post_image(client, jpeg())
    assert depleted.status_code == 402
    assert depleted.json() == {"quota": 2, "quotaUsed": 2,
                               "error": "Search quota depleted (quota per 24 hours: 2, used: 2)"}
    sim.clock.advance(86400 - 3600 + 1)  # the first search leaves the window, the second is still in it
    assert (await post_image(client, jpeg())).status_code == 200
    assert (await post_image(client, jpeg())).status_code == 402


async def test_concurrency_one_for_guests(client, sim):
    sim.hold = asyncio.Event()
    first = asyncio.create_task(post_image(client, jpeg()))
    await sim.entered.wait()
    second = await post_image(client, jpeg())
    assert second.status_code == 402 and second.json() == {"error": "Concurrency limit exceeded"}
    assert (await client.get("/me")).status_code == 200  # concurrency only applies to /search
    sim.hold.set()
    assert (await first).status_code == 200
    sim.hold = None
    assert (await post_image(client, jpeg())).status_code == 200
    assert sim.guest().used(sim.clock.now()) == 2  # the refused one did not count


async def test_a_key_with_concurrency_two(client, sim):
    sim.add_key("tm_two", email="two@example.com", concurrency=2)
    sim.hold = asyncio.Event()
    first = asyncio.create_task(post_image(client, jpeg(), **{"x-trace-key": "tm_two"}))
    await sim.entered.wait()
    sim.entered.clear()
    second = asyncio.create_task(post_image(client, jpeg(), **{"x-trace-key": "tm_two"}))
    await sim.entered.wait()
    third = await post_image(client, jpeg(), **{"x-trace-key": "tm_two"})
    assert third.status_code == 402 and third.json()["error"] == "Concurrency limit exceeded"
    sim.hold.set()
    assert [(await first).status_code, (await second).status_code] == [200, 200]


async def test_per_minute_limit_on_every_path(client, sim):
    sim.per_minute = 3
    first = await client.get("/me")
    assert first.headers["RateLimit-Limit"] == "3" and first.headers["RateLimit-Remaining"] == "2"
    await post_image(client, jpeg())
    last = await client.get("/me")
    assert last.headers["RateLimit-Remaining"] == "0"
    refused = await post_image(client, jpeg())
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert (await client.get("/me")).status_code == 429
    sim.clock.advance(61)
    assert (await client.get("/me")).status_code == 200


async def test_queue_full_database_down_and_overloaded(client, sim):
    sim.queue_full = True
    full = await post_image(client, jpeg())
    assert full.status_code == 503 and full.json() == {"error": "Error: Search queue is full"}
    sim.queue_full = False
    sim.db_down = True
    down = await post_image(client, jpeg())
    assert down.status_code == 500 and down.json()["error"] == "Search failed. Database temporarily unavailable."
    sim.db_down = False
    sim.overloaded = True
    overloaded = await post_image(client, jpeg())
    assert overloaded.status_code == 504 and "json" not in overloaded.headers["content-type"]
    assert sim.guest().used(sim.clock.now()) == 0  # none of the failures counted


# --------------------------------------------------------------------------- previews
async def test_preview_image_sizes_formats_and_expiry(client, sim):
    item = (await post_image(client, jpeg())).json()["result"][0]
    for size, width in (("l", 640), ("m", 320), ("s", 160)):
        response = await client.get(item["image"], params={"size": size})
        assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
        assert Image.open(io.BytesIO(response.content)).width == width
    assert Image.open(io.BytesIO((await client.get(item["image"])).content)).width == 320
    webp = await client.get(item["image"], headers={"Accept": "image/webp,*/*"})
    assert webp.headers["content-type"] == "image/webp"
    assert (await client.get(item["image"], params={"size": "xl"})).status_code == 400
    tampered = item["image"][:-3] + ("AAA" if not item["image"].endswith("AAA") else "BBB")
    assert (await client.get(tampered)).status_code == 403
    sim.clock.advance(301)
    assert (await client.get(item["image"])).status_code == 410


async def test_preview_video_mute_durations_and_scene_headers(client, sim):
    item = (await post_image(client, jpeg())).json()["result"][0]
    response = await client.get(item["video"], params={"mute": "", "size": "s", "minDuration": "1", "maxDuration": "4"})
    assert response.status_code == 200 and response.headers["content-type"] == "video/mp4"
    start, end = float(response.headers["x-video-start"]), float(response.headers["x-video-end"])
    length = float(response.headers["x-video-duration"])
    assert 1 <= length <= 4 and length == pytest.approx(end - start, abs=1e-3)
    assert sim.clips[-1]["mute"] is True and sim.clips[-1]["size"] == "s"
    av = pytest.importorskip("av")
    with av.open(io.BytesIO(response.content)) as container:  # a real MP4: frames, and no sound when muted
        assert not container.streams.audio
        assert sum(1 for _ in container.decode(video=0)) > 1
    loud = await client.get(item["video"], params={"size": "s"})
    with av.open(io.BytesIO(loud.content)) as container:
        assert container.streams.audio
    assert (await client.get(item["video"], params={"maxDuration": "9"})).status_code == 400


# --------------------------------------------------------------------------- a third-party client
@pytest.fixture(params=["inprocess", "loopback"])
async def aiotm(request, hub):
    aiotracemoeapi = pytest.importorskip("aiotracemoeapi")
    if request.param == "inprocess":
        async with httpx.AsyncClient(transport=hub.transport()) as http:
            yield aiotracemoeapi.TraceMoe(base_url=API, client=http)
        return
    async with serve(hub) as base_url:
        async with httpx.AsyncClient() as http:
            yield aiotracemoeapi.TraceMoe(base_url=base_url, client=http)


async def test_aiotracemoeapi_reads_search_me_and_vectors(aiotm, sim):
    found = await aiotm.search(jpeg())  # multipart "image", cutBorders=1, anilistInfo
    assert found.result and found.result[0].anilist_info is not None
    assert found.result[0].anilist_id == found.result[0].anilist_info.id
    assert {"cutBorders", "anilistInfo"} <= set(sim.searches[-1])
    by_url = await aiotm.search("https://images.example/frame.jpg", anilist_info=False, cut_borders=False)
    assert isinstance(by_url.result[0].anilist, int)
    me = await aiotm.me()
    assert (me.quota, me.quota_used, me.concurrency) == (100, 2, 1)
    assert me.limits is not None and me.limits.limit == 100
    one = await aiotm.search_vector(VECTOR)
    many = await aiotm.search_vectors([VECTOR_B64, VECTOR])
    assert one.result and len(many.result) == 2


async def test_aiotracemoeapi_maps_the_errors(aiotm, sim):
    import aiotracemoeapi.exceptions as errors

    sim.hold = asyncio.Event()
    first = asyncio.create_task(aiotm.search(jpeg()))
    await sim.entered.wait()
    with pytest.raises(errors.ConcurrencyLimitExceeded):
        await aiotm.search(jpeg())
    sim.hold.set()
    await first
    sim.hold = None
    sim.guest().quota = 1
    with pytest.raises(errors.SearchQuotaDepleted) as depleted:
        await aiotm.search(jpeg())
    assert (depleted.value.quota, depleted.value.quota_used) == (1, 1)
    sim.guest().quota = 100
    aiotm.headers["x-trace-key"] = "nope"
    with pytest.raises(errors.InvalidAPIKey):
        await aiotm.me()
    del aiotm.headers["x-trace-key"]
    sim.queue_full = True
    with pytest.raises(errors.SearchQueueFull):
        await aiotm.search_vector(VECTOR)
    sim.queue_full = False
    with pytest.raises(errors.TooManyVectors):
        await aiotm.search_vectors([VECTOR] * 11)
