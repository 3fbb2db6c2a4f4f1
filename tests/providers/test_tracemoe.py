"""TraceMoeProvider against the trace.moe simulator, in process and over loopback.

The provider is not in the registry yet (it is wired when providers are declared by a spec), so
the fixture builds its context the way the registry does. Quota windows are driven by the
simulator's clock; concurrency by the simulator's ``hold`` event — never by sleeping.
"""

from __future__ import annotations

import asyncio
import io
import math

import pytest
from PIL import Image

from animetui.errors import (
    AuthError,
    BadInput,
    Busy,
    NetworkError,
    NotFound,
    QuotaError,
    RateLimited,
    ServerError,
    Unsupported,
)
from animetui.models import PROBABLY_WRONG, ImageSource, SceneMatch, confidence_label
from animetui.net import RateLimiter, RetryPolicy, make_client
from animetui.providers.base import ProviderContext, SceneSearcher
from animetui.providers.tracemoe import (
    LocalSlots,
    TraceMoeProvider,
    create,
    episode_of,
    parse_account,
    parse_batch,
    parse_match,
    parse_search,
    preview_url,
)
from animetui.simulator.imagery import scene
from animetui.simulator.server import serve
from animetui.simulator.tracemoe import DEMO_KEY

API = "https://api.trace.moe"
FAST = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.005, max_retry_after=2.0)
VECTOR = [32, 24, 7, 19, 13, 13, 19, 22, 24, 15, 14, 16, 15, 15, 13, 18, 16, 17, 14, 13, 19, 34, 12,
          26, 17, 19, 17, 26, 19, 8, 12, 11, 9]


pytestmark = pytest.mark.simulator("tracemoe")


@pytest.fixture(params=["inprocess", "loopback"])
async def tm(request, hub, tmp_path):
    async def build(base_url: str, transport=None) -> TraceMoeProvider:
        client = make_client(base_url, timeout=10, transport=transport)
        ctx = ProviderContext(name="tracemoe", settings={}, client=client, limiter=RateLimiter(10_000, 10_000),
                              retry=FAST, cache_dir=tmp_path / "cache", data_dir=tmp_path / "data")
        return create(ctx)

    if request.param == "inprocess":
        provider = await build(API, hub.transport())
        try:
            yield provider
        finally:
            await provider.ctx.client.aclose()
        return
    async with serve(hub) as base_url:
        provider = await build(base_url)
        try:
            yield provider
        finally:
            await provider.ctx.client.aclose()


def jpeg(seed: int = 3) -> bytes:
    return scene(640, 360, seed=seed, fmt="JPEG")


def letterboxed() -> bytes:
    inner = Image.open(io.BytesIO(scene(640, 270, seed=3, fmt="PNG"))).convert("RGB")
    frame = Image.new("RGB", (640, 480))
    frame.paste(inner, (0, 105))
    out = io.BytesIO()
    frame.save(out, "PNG")
    return out.getvalue()


def searches(hub) -> list[int | None]:
    return [r.status for r in hub.requests_to("tracemoe") if r.path == "/search"]


# --------------------------------------------------------------------------- search
async def test_search_a_file_with_defaults(tm, sim, hub, tmp_path):
    shot = tmp_path / "shot.jpg"
    shot.write_bytes(jpeg())
    assert isinstance(tm, SceneSearcher)
    result = await tm.search_scene(ImageSource(path=shot))
    assert 1 <= len(result.matches) <= 10
    sims = [m.similarity for m in result.matches]
    assert sims == sorted(sims, reverse=True)
    assert result.credits_left == 99
    assert sim.searches[-1] == {"cutBorders": "", "anilistInfo": ""}  # both flags on by default
    assert sim.uploads == [jpeg()]  # the raw body, untouched
    best = result.matches[0]
    assert best.engine == "tracemoe" and best.anilist_id and best.filename
    assert best.title == (best.title_romaji or best.title)
    assert best.confidence == confidence_label(best.similarity)
    assert best.start is not None and best.end is not None and best.at is not None and best.duration
    # preview images of the first 3 matches downloaded at once (their links expire in 300 s)
    previews = [m.preview_path for m in result.matches]
    assert all(previews[:3]) and not any(previews[3:])
    assert Image.open(previews[0]).format == "JPEG"
    assert best.to_json()["engine"] == "tracemoe" and best.to_json()["confidence"] == best.confidence


async def test_flags_off_multipart_and_title_language(tm, sim):
    tm.settings.update(cut_borders=False, anilist_info=False, upload="multipart", previews=0)
    result = await tm.search_scene(ImageSource(data=jpeg(), name="x.jpg"))
    assert sim.searches[-1] == {}
    assert all(m.title == m.filename and m.title_romaji is None for m in result.matches)
    assert sim.uploads == [jpeg()]
    tm.settings.update(anilist_info=True, title_language="native")
    native = await tm.search_scene(ImageSource(data=jpeg()))
    assert all(m.title == (m.title_native or m.title_romaji) for m in native.matches)


async def test_cut_borders_per_lookup(tm):
    tm.settings["previews"] = 0
    on = await tm.search_scene(ImageSource(data=letterboxed()))
    off = await tm.search_scene(ImageSource(data=letterboxed()), cut_borders=False)
    assert on.matches[0].similarity >= 0.90 > 0.87 > off.matches[0].similarity
    assert off.matches[0].confidence == PROBABLY_WRONG


async def test_anilist_id_filter(tm, sim):
    tm.settings["previews"] = 0
    result = await tm.search_scene(ImageSource(data=jpeg()), anilist_id=21)
    assert sim.searches[-1]["anilistID"] == "21" and {m.anilist_id for m in result.matches} == {21}
    empty = await tm.search_scene(ImageSource(data=jpeg()), anilist_id=424242)
    assert empty.matches == ()
    for bad in (0, -3, True):
        with pytest.raises(BadInput):
            await tm.search_scene(ImageSource(data=jpeg()), anilist_id=bad)


async def test_search_by_url(tm, sim, hub):
    result = await tm.search_scene(ImageSource.parse("https://images.example/shot.jpg"))
    assert result.matches and sim.uploads == []
    with pytest.raises(BadInput, match="could not fetch"):
        await tm.search_scene(ImageSource(url="https://images.example/404.jpg"))
    # the status mirrors the image host's: a 500 here is not trace.moe failing, and not resent
    hub.inject("tracemoe", "status", status=500, body={"error": "Failed to fetch image https://h/x.jpg"}, path="/search")
    with pytest.raises(BadInput, match="could not fetch"):
        await tm.search_scene(ImageSource(url="https://images.example/x.jpg"))
    assert searches(hub)[-1] == 500 and searches(hub).count(500) == 1
    before = len(hub.log)
    with pytest.raises(BadInput):
        await tm.search_scene(ImageSource(url="ftp://x/y.jpg"))
    assert len(hub.log) == before  # refused here, no request


async def test_adult_flags_and_mal_ids_come_through(tm):
    tm.settings["previews"] = 0
    seen: list[SceneMatch] = []
    for seed in range(6):
        seen += (await tm.search_scene(ImageSource(data=jpeg(seed)))).matches
    assert any(m.adult for m in seen) and any(not m.adult for m in seen)
    assert any(m.mal_id for m in seen) and any(m.mal_id is None for m in seen)
    assert {type(m.episode) for m in seen} == {str, type(None)}
    assert any(m.episode and "–" in m.episode for m in seen)


async def test_anilist_down_falls_back_without_info(tm, sim, hub):
    sim.anilist_down = True
    result = await tm.search_scene(ImageSource(data=jpeg()))
    assert result.matches and tm.anilist_info_ok is False
    assert searches(hub) == [502, 200]
    assert sim.guest().used(sim.clock.now()) == 1  # the failed one did not count
    assert all(m.title == m.filename and not m.adult for m in result.matches)
    sim.anilist_down = False
    await tm.search_scene(ImageSource(data=jpeg()))
    assert tm.anilist_info_ok is True


async def test_sparse_results_use_at_for_from(tm, sim):
    sim.sparse = True
    match = (await tm.search_scene(ImageSource(data=jpeg()))).matches[0]
    assert match.start == match.at and match.end is None


# --------------------------------------------------------------------------- errors
async def test_bad_key_quota_and_input_errors(tm, sim, hub):
    tm.settings["api_key"] = "tm_wrong_key_123456"
    with pytest.raises(AuthError) as refused:
        await tm.search_scene(ImageSource(data=jpeg()))
    assert "tm_wrong_key_123456" not in str(refused.value)
    tm.settings["api_key"] = ""
    sim.guest().quota = 0
    with pytest.raises(QuotaError, match=r"0 of 0 in the last 24 h"):
        await tm.search_scene(ImageSource(data=jpeg()))
    sim.guest().quota = 100
    with pytest.raises(BadInput, match="Failed to process image"):
        await tm.search_scene(ImageSource(data=b"\xff\xd8\xff broken"))
    assert searches(hub) == [403, 402, 400]  # none retried


async def test_too_big_is_refused_before_sending(tm, hub):
    with pytest.raises(Unsupported, match="25 MB"):
        await tm.search_scene(ImageSource(data=b"\0" * (25 * 1024 * 1024 + 1)))
    assert searches(hub) == []


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [(413, None, Unsupported), (405, {"error": "Method Not Allowed"}, BadInput), (418, {"error": "teapot"}, ServerError)],
)
async def test_other_statuses(tm, hub, status, body, error):
    hub.inject("tracemoe", "status", status=status, body=body, path="/search")
    with pytest.raises(error):
        await tm.search_scene(ImageSource(data=jpeg()))


async def test_queue_full_and_overloaded_are_retried_then_busy(tm, sim, hub):
    sim.queue_full = True
    with pytest.raises(Busy, match="queue is full"):
        await tm.search_scene(ImageSource(data=jpeg()))
    assert searches(hub) == [503, 503, 503]
    sim.queue_full = False
    sim.overloaded = True
    with pytest.raises(Busy, match="overloaded"):
        await tm.search_scene(ImageSource(data=jpeg()))
    sim.overloaded = False
    hub.inject("tracemoe", "status", status=503, body={"error": "Error: Search queue is full"}, path="/search")
    assert (await tm.search_scene(ImageSource(data=jpeg()))).matches  # one 503, then fine
    assert sim.guest().used(sim.clock.now()) == 1


async def test_database_down_is_not_retried(tm, sim, hub):
    sim.db_down = True
    with pytest.raises(ServerError, match="database") as failed:
        await tm.search_scene(ImageSource(data=jpeg()), anilist_info=False)
    assert failed.value.retryable is False and searches(hub) == [500]


async def test_rate_limited_waits_what_the_server_says(tm, hub):
    blocked: list[float] = []
    original = tm.ctx.limiter.block_for
    tm.ctx.limiter.block_for = lambda s: (blocked.append(s), original(s))  # type: ignore[method-assign]
    hub.inject("tracemoe", "rate_limit", retry_after=0.01, path="/search")
    assert (await tm.search_scene(ImageSource(data=jpeg()))).matches
    assert blocked and blocked[0] == pytest.approx(0.01)
    hub.inject("tracemoe", "rate_limit", retry_after=0.01, times=None, path="/search")
    with pytest.raises(RateLimited, match="100 a minute"):
        await tm.search_scene(ImageSource(data=jpeg()))


async def test_ratelimit_remaining_zero_blocks_the_limiter(tm, sim):
    sim.per_minute = 2
    blocked: list[float] = []
    tm.ctx.limiter.block_for = blocked.append  # type: ignore[method-assign]
    await tm.account()
    assert blocked == []
    await tm.account()  # RateLimit-Remaining: 0
    assert len(blocked) == 1 and 1 <= blocked[0] <= 60


@pytest.mark.parametrize("kind", ["drop", "timeout"])
async def test_dropped_search_is_never_sent_again(tm, sim, hub, kind):
    hub.inject("tracemoe", kind, after_response=True, path="/search")
    with pytest.raises(NetworkError) as dropped:
        await tm.search_scene(ImageSource(data=jpeg()))
    assert dropped.value.maybe_charged and not dropped.value.retryable
    assert len(searches(hub)) == 1 and sim.guest().used(sim.clock.now()) == 1


async def test_malformed_and_error_bodies(tm, hub):
    hub.inject("tracemoe", "malformed", path="/search")
    with pytest.raises(ServerError, match="not JSON"):
        await tm.search_scene(ImageSource(data=jpeg()))
    hub.inject("tracemoe", "status", status=200, body={"error": "something broke", "result": []}, path="/search")
    with pytest.raises(ServerError, match="something broke"):
        await tm.search_scene(ImageSource(data=jpeg()))
    hub.inject("tracemoe", "status", status=200, body={"frameCount": 1, "error": ""}, path="/search")
    with pytest.raises(ServerError, match="no result list"):
        await tm.search_scene(ImageSource(data=jpeg()))


async def test_hostile_server_text_is_cleaned(tm, hub):
    tm.settings.update(previews=0, title_language="native")
    hub.inject("tracemoe", "hostile", times=None)
    result = await tm.search_scene(ImageSource(data=jpeg()))
    for match in result.matches:
        for text in (match.title, match.filename, match.title_native or ""):
            assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
            assert len(text) <= 300


# --------------------------------------------------------------------------- concurrency
async def test_own_searches_never_overlap(tm, sim, hub):
    tm.settings["previews"] = 0
    results = await asyncio.gather(*(tm.search_scene(ImageSource(data=jpeg(s))) for s in range(4)))
    assert all(r.matches for r in results)
    assert searches(hub) == [200] * 4  # no "Concurrency limit exceeded" from our own parallel calls


async def test_someone_elses_search_in_flight_waits_then_retries(tm, sim, hub):
    import httpx

    tm.settings["previews"] = 0
    sim.hold = asyncio.Event()
    async with httpx.AsyncClient(transport=hub.transport(), base_url=API) as other:
        first = asyncio.create_task(other.post("/search", content=jpeg(9), headers={"Content-Type": "image/jpeg"}))
        await sim.entered.wait()

        async def wait_for_first(_delay: float) -> None:  # the retry's pause: the other search answers
            sim.hold.set()
            sim.hold = None
            await first

        tm.ctx.sleep = wait_for_first
        result = await tm.search_scene(ImageSource(data=jpeg()))
    assert result.matches and (await first).status_code == 200
    assert searches(hub) == [402, 200, 200] or searches(hub) == [200, 402, 200]


async def test_local_slots_follow_me(tm, sim):
    sim.add_key("tm_pair_abcdef123", email="pair@example.com", concurrency=2, quota=5000, priority=5)
    tm.settings["api_key"] = "tm_pair_abcdef123"
    account = await tm.account()
    assert isinstance(tm.slots, LocalSlots) and tm.slots.capacity == 2
    assert (account.concurrency, account.priority, account.quota) == (2, 5, 5000)


# --------------------------------------------------------------------------- vectors
async def test_vector_search_single_and_batch(tm, sim, hub):
    tm.settings["previews"] = 0
    one = await tm.search_vector(VECTOR)
    assert one.matches and one.credits_left == 99
    batch = await tm.search_vectors([VECTOR, bytes(VECTOR), "IBgHEw0NExYYDw4QDw8NEhARDg0TIgwaERMRGhMIDAsJ"])
    assert len(batch) == 3 and [m.anilist_id for m in batch[0].matches] == [m.anilist_id for m in one.matches]
    assert batch[0].credits_left == 96
    assert sim.guest().used(sim.clock.now()) == 4
    before = len(hub.log)
    for bad in ([VECTOR] * 11, [], [VECTOR[:32]], [[300] * 33], ["!!!"]):
        with pytest.raises(BadInput):
            await tm.search_vectors(bad)
    assert len(hub.log) == before


async def test_vector_previews_only_for_a_single_vector(tm):
    single = await tm.search_vector(VECTOR)
    assert single.matches[0].preview_path
    batch = await tm.search_vectors([VECTOR, VECTOR])
    assert all(m.preview_path is None and m.image_url for r in batch for m in r.matches)


# --------------------------------------------------------------------------- /me, credits, previews
async def test_credits_for_a_guest_and_a_key(tm, sim):
    await tm.search_scene(ImageSource(data=jpeg()), anilist_info=False)
    credits = await tm.credits()
    assert (credits.remaining, credits.total, credits.unit) == (99, 100, "searches")
    assert credits.concurrency == 1 and credits.priority == 0 and "guest" in credits.detail
    assert "1 of 100 used" in credits.detail
    assert credits.to_json()["concurrency"] == 1
    tm.settings["api_key"] = DEMO_KEY
    keyed = await tm.credits()  # quotaUsed arrives as a string
    assert (keyed.remaining, keyed.total) == (1000, 1000) and "API key" in keyed.detail
    tm.settings["api_key"] = "tm_bad_key_000000"
    with pytest.raises(AuthError):
        await tm.credits()


async def test_clip_download_and_expired_links(tm, sim, tmp_path):
    result = await tm.search_scene(ImageSource(data=jpeg()))
    match = result.matches[0]
    clip = await tm.download_clip(match.video_url, tmp_path / "clip.mp4", min_duration=1, max_duration=4)
    assert streams(clip) == ["video"]  # muted by default
    assert sim.clips[-1]["mute"] is True and 1 <= sim.clips[-1]["seconds"] <= 4
    big = await tm.download_preview(match.image_url, tmp_path / "big.jpg", size="l")
    assert Image.open(big).width == 640
    sim.clock.advance(301)
    with pytest.raises(NotFound, match="expired"):
        await tm.download_preview(match.image_url, tmp_path / "late.jpg")
    assert not (tmp_path / "late.jpg").exists()


async def test_preview_failure_keeps_the_result(tm, hub):
    hub.inject("tracemoe", "status", status=500, body={"error": "x"}, path="/image/", times=None)
    result = await tm.search_scene(ImageSource(data=jpeg()))
    assert result.matches and all(m.preview_path is None for m in result.matches)


# --------------------------------------------------------------------------- pure parsing
def test_preview_url_parameters():
    url = "https://api.trace.moe/video/abc"
    assert preview_url(url) == url
    built = preview_url(url, size="l", mute=True, min_duration=1, max_duration=4)
    assert built.startswith(url + "?") and "size=l" in built and "mute" in built
    assert "minDuration=1" in built and "maxDuration=4" in built
    for kwargs in ({"size": "xl"}, {"min_duration": 0.1}, {"max_duration": 6}):
        with pytest.raises(BadInput):
            preview_url(url, **kwargs)


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, None), (12, "12"), (12.0, "12"), (12.5, "12.5"), ("OVA", "OVA"), ([3, 4], "3–4"),
     ([1, 3, 5], "1, 3, 5"), ([], None), (True, None), (math.inf, None), ({"a": 1}, None), ("", None)],
)
def test_episode_shapes(value, text):
    assert episode_of(value) == text


def test_parse_match_shapes():
    bare = parse_match({"anilist": 99939, "filename": "Nekopara - OVA.mp4", "episode": None, "at": 98.2,
                        "similarity": 0.94, "image": "https://h/image/x", "video": "https://h/video/x"})
    assert bare is not None and bare.title == "Nekopara - OVA.mp4" and bare.start == 98.2 and bare.end is None
    assert bare.anilist_id == 99939 and not bare.adult and bare.mal_id is None
    full = parse_match({"anilist": {"id": "1", "idMal": 1, "title": {"native": "カウボーイビバップ", "romaji": "Cowboy Bebop",
                                                                      "english": None}, "synonyms": ["CB", 5], "isAdult": True},
                        "from": "1.5", "to": 2, "similarity": 1.7, "image": "javascript:alert(1)", "episode": [1, 2]},
                       language="english")
    assert full is not None and full.title == "Cowboy Bebop" and full.adult and full.mal_id == 1
    assert full.synonyms == ("CB", "5") and full.similarity == 1.0 and full.image_url is None
    assert (full.start, full.end, full.episode) == (1.5, 2.0, "1–2")
    hostile = parse_match({"anilist": 5, "filename": "\x1b[2Jevil\u202e.mp4", "similarity": "x"})
    assert hostile is not None and "\x1b" not in hostile.title and "\u202e" not in hostile.title
    assert hostile.similarity is None and hostile.confidence == ""
    assert parse_match("nope") is None and parse_match(None) is None


def test_parse_search_and_account():
    body = {"quota": "100", "quotaUsed": "7", "frameCount": 1, "error": "",
            "result": [{"anilist": 2, "similarity": 0.5}, "junk", {"anilist": 1, "similarity": 0.95}]}
    result = parse_search(body)
    assert [m.anilist_id for m in result.matches] == [1, 2] and result.credits_left == 92
    assert parse_search({"error": "", "result": []}).credits_left is None
    assert len(parse_batch({"error": "", "result": [[], []]}, 2)) == 2
    with pytest.raises(ServerError):
        parse_batch({"error": "", "result": [[]]}, 2)
    for bad in (None, [], {"error": "boom"}, {"result": {}}):
        with pytest.raises(ServerError):
            parse_search(bad)
    account = parse_account({"id": "127.0.0.1", "priority": 0, "concurrency": 1, "quota": 100, "quotaUsed": "43"})
    assert account.remaining == 57 and "id" not in account.to_json()
    with pytest.raises(ServerError):
        parse_account({"id": "x"})


@pytest.mark.parametrize(
    ("similarity", "label"),
    [(1.0, "likely"), (0.90, "likely"), (0.8999, "uncertain"), (0.87, "uncertain"), (0.8699, PROBABLY_WRONG),
     (0.0, PROBABLY_WRONG), (None, ""), (float("nan"), "")],
)
def test_confidence_label(similarity, label):
    assert confidence_label(similarity) == label
    assert SceneMatch(title="t", similarity=similarity).confidence == label


def test_scene_match_stays_backward_compatible():
    old = SceneMatch(title="t", episode="1", start=1.0, end=2.0, similarity=0.95, anilist_id=1,
                     image_url=None, video_url=None, adult=False)
    assert old.engine == "" and old.title_in("english") == "t"
    data = old.to_json()
    assert {"title", "episode", "from", "to", "similarity", "anilist_id", "image", "video", "adult"} <= set(data)


# --------------------------------------------------------------------------- preview clips
def streams(path) -> list[str]:
    import av

    with av.open(str(path)) as container:
        assert container.duration and container.duration > 0
        return [s.type for s in container.streams]


async def test_clip_of_the_best_match_saved_with_the_search(tm, sim):
    result = await tm.search_scene(ImageSource(data=jpeg()))
    best, second = result.matches[0], result.matches[1]
    assert best.clip_path and best.clip_path.endswith(".mp4") and second.clip_path is None  # clips = 1
    assert streams(best.clip_path) == ["video"]  # `mute` sent: the clip has no sound
    assert sim.clips == [{"size": "m", "mute": True, "seconds": sim.clips[0]["seconds"]}]
    assert best.to_json()["clip"] == best.clip_path
    # another match's clip on demand while its link lives; asked twice → downloaded once
    first = await tm.save_clip(second)
    again = await tm.save_clip(second)
    assert first == again and len(sim.clips) == 2
    # its size follows preview_size (the simulator's clip is as wide as the preview image)
    import av

    tm.settings["preview_size"] = "s"
    third = await tm.save_clip(result.matches[2])
    with av.open(str(third)) as container:
        assert container.streams.video[0].codec_context.width == 160
    sim.clock.advance(301)
    with pytest.raises(NotFound, match="expired"):
        await tm.save_clip(result.matches[3])


async def test_clips_off_and_unmuted_clip(tm, sim, tmp_path):
    tm.settings.update(clips=0, previews=0)
    result = await tm.search_scene(ImageSource(data=jpeg()))
    assert all(m.clip_path is None for m in result.matches) and sim.clips == []
    loud = await tm.download_clip(result.matches[0].video_url, tmp_path / "loud.mp4", mute=False)
    assert sorted(streams(loud)) == ["audio", "video"]


async def test_a_clip_that_is_not_a_video_is_refused(tm, hub, tmp_path):
    tm.settings.update(clips=0, previews=0)
    result = await tm.search_scene(ImageSource(data=jpeg()))
    hub.inject("tracemoe", "status", status=200, body={"not": "a video"}, path="/video/")
    with pytest.raises(ServerError, match="not a video"):
        await tm.download_clip(result.matches[0].video_url, tmp_path / "page.mp4")
    assert list(tmp_path.glob("page.mp4*")) == []
