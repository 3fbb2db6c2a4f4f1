"""AnimeTraceProvider against the AnimeTrace simulator, in process and over loopback.

Every test goes through the ``providers`` fixture (so it runs twice) and drives the simulator's
documented behaviour — or injects a fault through ``hub`` — then checks what the provider made of it.
"""

from __future__ import annotations

import io
import re

import pytest

from animetui.errors import BadInput, Busy, NetworkError, QuotaError, RateLimited, ServerError, Unsupported
from animetui.models import ImageSource, ModelInfo
from animetui.net import RateLimiter
from animetui.providers.animetrace import AnimeTraceProvider, default_model
from animetui.providers.base import CharacterRecognizer
from animetui.simulator.animetrace import analyse
from animetui.simulator.imagery import scene

SEARCH = "/v1/search"
MODELS = "/v1/model/list"
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e]")


pytestmark = pytest.mark.simulator("animetrace")


@pytest.fixture
def trace(providers) -> AnimeTraceProvider:
    provider = providers.animetrace
    # the production limiter (2/s) would add real waits to tests that make many requests
    provider.ctx.limiter = RateLimiter(1000, 1000)
    return provider


def image_with(detections: int, *, ai: bool | None = None, fmt: str = "PNG") -> bytes:
    """A real image the simulator sees ``detections`` characters in (searched by seed)."""
    for seed in range(500):
        data = scene(320, 200, seed=seed, fmt=fmt)
        found = analyse(data)
        if len(found.boxes) == detections and (ai is None or found.ai == ai):
            return data
    raise AssertionError("no such image")


def flat_image() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), (200, 40, 90)).save(buffer, "PNG")
    return buffer.getvalue()


def noise_image(width: int, height: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.effect_noise((width, height), 90).convert("RGB").save(buffer, "BMP")  # BMP: fast to write
    return buffer.getvalue()


def searches(hub) -> list[int | None]:
    return [r.status for r in hub.requests_to("animetrace") if r.path == SEARCH]


def model_requests(hub) -> int:
    return sum(1 for r in hub.requests_to("animetrace") if r.path == MODELS)


def url_of(providers, path: str) -> str:
    return str(providers.animetrace.ctx.client.base_url).rstrip("/") + path


def code_body(code: int, **extra: object) -> dict[str, object]:
    return {"code": code, "message": f"simulated {code}", "zh_message": "错误", **extra}


# --------------------------------------------------------------------------- models
async def test_is_a_character_recognizer(trace):
    assert isinstance(trace, CharacterRecognizer)
    assert trace.name == "animetrace"


async def test_list_models_marks_paused_and_default_and_caches(trace, hub, sim):
    models = await trace.list_models()
    assert [m.id for m in models] == [m["id"] for m in sim.models]
    by_id = {m.id: m for m in models}
    assert by_id["animetrace-aqours-3.5"].enabled is False
    assert by_id["animetrace-yuri-4.2"].default is True
    assert by_id["animetrace-yuri-4.2"].name == "AnimeTrace Yuri 4.2"
    assert by_id["animetrace-yuri-4.2"].description.startswith("General model")
    assert (await trace.default_model()).id == "animetrace-yuri-4.2"
    await trace.list_models()
    assert model_requests(hub) == 1  # the second call was answered from memory
    await trace.list_models(refresh=True)
    assert model_requests(hub) == 2


async def test_model_cache_on_disk_and_expiry(trace, hub, sim):
    now = [1_000_000.0]
    trace.clock = lambda: now[0]
    await trace.list_models()
    cache = trace.ctx.cache_dir / "animetrace-models.json"
    assert cache.is_file()
    assert cache.stat().st_mode & 0o777 == 0o600

    fresh = AnimeTraceProvider(trace.ctx, clock=lambda: now[0] + 60)  # e.g. the next app start
    assert [m.id for m in await fresh.list_models()] == [m["id"] for m in sim.models]
    assert model_requests(hub) == 1

    sim.models = sim.models[:2]
    now[0] += 3601  # an hour later the list is fetched again
    assert len(await trace.list_models()) == 2
    assert model_requests(hub) == 2


async def test_model_list_falls_back_to_the_stale_cache_when_offline(trace, hub):
    now = [1_000_000.0]
    trace.clock = lambda: now[0]
    first = await trace.list_models()
    now[0] += 7200
    hub.inject("animetrace", "drop", times=None, path=MODELS)
    assert await trace.list_models() == first
    later = AnimeTraceProvider(trace.ctx, clock=lambda: now[0])
    assert await later.list_models() == first  # stale on disk, still better than nothing


async def test_model_list_unreachable_without_cache_raises(trace, hub):
    hub.inject("animetrace", "drop", times=None, path=MODELS)
    with pytest.raises(NetworkError):
        await trace.list_models()


def test_default_model_preference():
    a = ModelInfo("a", "A", enabled=False, default=True)
    b = ModelInfo("b", "B")
    c = ModelInfo("c", "C", default=True)
    assert default_model([b, c]) is c
    assert default_model([a, b]) is b  # the default is paused: first enabled
    assert default_model([a]) is None
    assert default_model([]) is None


# --------------------------------------------------------------------------- recognize: success
async def test_recognize_file_parses_boxes_and_candidates(trace, hub, tmp_path):
    data = image_with(3)
    path = tmp_path / "three.png"
    path.write_bytes(data)
    expected = analyse(data)

    result = await trace.recognize(ImageSource(path=path))

    assert result.model == "animetrace-yuri-4.2"  # the list's default, sent explicitly
    assert re.fullmatch(r"[0-9a-f-]{36}", result.trace_id)
    assert len(result.detections) == 3
    for det, box, cands in zip(result.detections, expected.boxes, expected.candidates):
        assert det.box == pytest.approx(box)
        assert [(c.work, c.character) for c in det.candidates] == cands
        assert det.not_confident == (len(cands) > 2)
        assert re.fullmatch(r"[0-9a-f-]{36}", det.box_id)
    assert searches(hub) == [200]


async def test_recognize_url_served_by_the_image_host(trace, providers, hub):
    data = image_with(2)
    url = url_of(providers, hub.store_file(data, "image/png"))
    result = await trace.recognize(ImageSource(url=url))
    assert [d.box for d in result.detections] == [pytest.approx(b) for b in analyse(data).boxes]


async def test_recognize_any_other_url_is_deterministic(trace):
    first = await trace.recognize(ImageSource(url="https://images.example/pic.jpg"))
    second = await trace.recognize(ImageSource(url="https://images.example/pic.jpg"))
    assert first.detections == second.detections


async def test_recognize_bytes(trace, sim):
    data = image_with(1)
    result = await trace.recognize(ImageSource(data=data, name="clip.png"))
    assert sim.last_image == data  # a small PNG goes as it is
    assert len(result.detections) == 1
    assert [(c.work, c.character) for c in result.detections[0].candidates] == analyse(data).candidates[0]


async def test_single_mode_one_candidate_per_box(trace, sim):
    data = image_with(3)
    multi = await trace.recognize(ImageSource(data=data))
    single = await trace.recognize(ImageSource(data=data), multi=False)
    assert sim.last_fields["is_multi"] == "0"
    assert any(len(d.candidates) > 1 for d in multi.detections)
    assert [len(d.candidates) for d in single.detections] == [1, 1, 1]  # the service's answer
    assert [d.candidates[0] for d in single.detections] == [d.candidates[0] for d in multi.detections]


async def test_single_mode_does_not_trim_what_the_service_answers(trace, hub):
    # is_multi is the service's business: a single-mode answer with two candidates shows both
    body = {"code": 0, "ai": False, "trace_id": "t", "data": [
        {"box": [0.1, 0.1, 0.5, 0.5], "character": [{"work": "W", "character": "A"}, {"work": "W", "character": "B"}]}]}
    hub.inject("animetrace", "status", status=200, body=body, path="/v1/search")
    result = await trace.recognize(ImageSource(data=image_with(1)), multi=False)
    assert [c.character for c in result.detections[0].candidates] == ["A", "B"]


DASH_CASES = {  # the docs' "-" codes: error class, and how to provoke each
    17703: BadInput,
    17705: Unsupported,
    17708: Unsupported,
    17722: BadInput,
    17728: QuotaError,
}


@pytest.mark.parametrize("as_200", [False, True], ids=["error-status", "http-200"])
@pytest.mark.parametrize("code", sorted(DASH_CASES))
async def test_dash_codes_are_errors_with_either_http_status(trace, hub, sim, providers, code, as_200):
    sim.dash_codes_as_200 = as_200
    source = ImageSource(data=image_with(1))
    if code == 17703:
        source = ImageSource(data=image_with(1))
        sim.models[1]["enabled"] = False
        kwargs = {"model": sim.models[1]["id"]}
    else:
        kwargs = {}
    if code == 17705:
        source = ImageSource(url=url_of(providers, hub.store_file(b"%PDF-1.4 not an image", "application/pdf")))
    elif code == 17708:
        sim.max_people = 0
    elif code == 17722:
        source = ImageSource(url="https://images.invalid/a.jpg")
    elif code == 17728:
        sim.daily_limit = 0
    with pytest.raises(DASH_CASES[code]) as info:
        await trace.recognize(source, **kwargs)
    assert info.value.code == code
    statuses = searches(hub)
    assert statuses and set(statuses) == {200} if as_200 else 200 not in statuses


async def test_no_characters_is_an_empty_result(trace, hub):
    result = await trace.recognize(ImageSource(data=flat_image()))
    assert result.detections == ()
    assert searches(hub) == [200]


async def test_ai_flag(trace):
    data = image_with(1, ai=True)
    assert (await trace.recognize(ImageSource(data=data))).ai is True
    assert (await trace.recognize(ImageSource(data=data), ai_detect=False)).ai is None
    other = image_with(1, ai=False)
    assert (await trace.recognize(ImageSource(data=other))).ai is False


async def test_big_and_bmp_images_are_downscaled_and_converted(trace, sim, samples):
    from PIL import Image

    big = scene(3000, 2000, seed=9, fmt="PNG")
    await trace.recognize(ImageSource(data=big))
    sent = Image.open(io.BytesIO(sim.last_image))
    assert max(sent.size) == 1280 and sent.format == "JPEG"
    assert len(sim.last_image) < 1_000_000

    await trace.recognize(ImageSource(path=samples / "wide.bmp"))
    assert Image.open(io.BytesIO(sim.last_image)).format in ("JPEG", "PNG", "WEBP")


async def test_chosen_model_is_sent(trace):
    result = await trace.recognize(ImageSource(data=image_with(1)), model="animetrace-kira-2.1")
    assert result.model == "animetrace-kira-2.1"


async def test_no_enabled_model_sends_none(trace, sim):
    for model in sim.models:
        model["enabled"] = False
    result = await trace.recognize(ImageSource(data=image_with(1)))
    assert result.model is None


async def test_acquires_the_limiter_for_every_request(trace, hub):
    calls = []
    real = trace.ctx.limiter

    class Counting:
        async def acquire(self) -> None:
            calls.append(1)
            await real.acquire()

        def block_for(self, seconds: float) -> None:
            real.block_for(seconds)

    trace.ctx.limiter = Counting()
    hub.inject("animetrace", "busy", path=SEARCH)
    await trace.recognize(ImageSource(data=image_with(1)))
    assert len(calls) == 3  # model list, busy search, retried search


@pytest.mark.parametrize("code", [17720, 200, 17721])
async def test_other_success_codes(trace, hub, code):
    body = {"code": code, "ai": False, "data": [{"box": [0.1, 0.1, 0.5, 0.5], "character": [{"work": "W", "character": "C"}]}]}
    hub.inject("animetrace", "status", status=200, body=body, path=SEARCH)
    result = await trace.recognize(ImageSource(data=image_with(1)))
    assert result.detections[0].candidates[0].character == "C"


async def test_defensive_parsing(trace, hub):
    body = {
        "code": 0,
        "ai": "maybe",
        "trace_id": "t-1",
        "data": [
            {"box": [0.1, 0.2, 0.3, 0.4, 0.97], "box_id": "old", "character": [{"work": "W", "character": "C"}]},
            {"box": [1.4, -0.2, 0.5, 0.6], "character": [{"work": "W2"}, {"character": "C2"}, "junk", None]},
            {"box": "nonsense", "char": [{"name": "Old", "cartoonname": "Show"}]},
            {"box": [0.1, 0.2, None, 0.4], "character": None, "not_confident": 1},
            "not a detection",
        ],
    }
    hub.inject("animetrace", "status", status=200, body=body, path=SEARCH)
    result = await trace.recognize(ImageSource(data=image_with(1)))
    assert result.trace_id == "t-1"
    assert result.ai is None
    first, second, third, fourth = result.detections
    assert first.box == (0.1, 0.2, 0.3, 0.4) and first.box_id == "old"
    assert second.box == (0.5, 0.0, 1.0, 0.6)  # clamped and ordered
    assert [(c.character, c.work) for c in second.candidates] == [("C2", "")]
    assert third.box == (0.0, 0.0, 1.0, 1.0)
    assert [(c.character, c.work) for c in third.candidates] == [("Old", "Show")]
    assert fourth.candidates == () and fourth.not_confident is True


# --------------------------------------------------------------------------- recognize: errors
async def test_17701_retries_once_with_a_smaller_image(trace, hub, sim):
    data = noise_image(1400, 1000)
    await trace.recognize(ImageSource(data=data))
    first_size = len(sim.last_image)
    sim.max_upload_bytes = first_size - 1
    await trace.recognize(ImageSource(data=data))
    assert searches(hub) == [200, 413, 200]
    assert len(sim.last_image) <= first_size // 2


async def test_17701_twice_is_unsupported(trace, hub, sim):
    sim.max_upload_bytes = 2000
    with pytest.raises(Unsupported, match="too large for AnimeTrace even shrunk") as info:
        await trace.recognize(ImageSource(data=noise_image(900, 700)))
    assert info.value.code == 17701
    assert searches(hub) == [413, 413]


async def test_17701_for_a_url_advises_downloading(trace, sim):
    sim.max_upload_bytes = 2000
    with pytest.raises(Unsupported, match="download it and search the file"):
        await trace.recognize(ImageSource(url="https://images.example/big.jpg"))


@pytest.mark.parametrize("code", [17702, 17731, 17706])
async def test_busy_codes_are_retried(trace, hub, code):
    hub.inject("animetrace", "status", status=503 if code == 17702 else 200, body=code_body(code), path=SEARCH, times=2)
    result = await trace.recognize(ImageSource(data=image_with(2)))
    assert len(result.detections) == 2
    assert len(searches(hub)) == 3


async def test_busy_fault_retried_then_exhausted(trace, hub):
    hub.inject("animetrace", "busy", path=SEARCH, times=None)
    with pytest.raises(Busy, match="busy") as info:
        await trace.recognize(ImageSource(data=image_with(1)))
    assert info.value.code == 17702
    assert searches(hub) == [503, 503, 503]


async def test_17703_bad_parameters(trace, hub):
    hub.inject("animetrace", "status", status=400, body=code_body(17703), path=SEARCH)
    with pytest.raises(BadInput, match="rejected the request parameters"):
        await trace.recognize(ImageSource(data=image_with(1)))


async def test_17704_maintenance_is_not_retried(trace, hub, sim):
    sim.maintenance = True
    with pytest.raises(Busy, match="maintenance") as info:
        await trace.recognize(ImageSource(data=image_with(1)))
    assert info.value.code == 17704
    assert searches(hub) == [403]


async def test_17705_unsupported_format(trace, providers, hub):
    url = url_of(providers, hub.store_file(b"%PDF-1.4 not an image", "application/pdf"))
    with pytest.raises(Unsupported, match="cannot read this image format") as info:
        await trace.recognize(ImageSource(url=url))
    assert info.value.code == 17705


async def test_17708_too_many_people(trace, sim):
    sim.max_people = 1
    with pytest.raises(Unsupported, match="too many people") as info:
        await trace.recognize(ImageSource(data=image_with(2)))
    assert info.value.code == 17708


@pytest.mark.parametrize("url", ["https://t.example/private/1.jpg", "https://x.example/notfound.png",
                                 "https://host.invalid/a.jpg", "http://127.0.0.1:9/a.jpg"])
async def test_17722_download_failed(trace, url):
    with pytest.raises(BadInput, match="could not download the URL") as info:
        await trace.recognize(ImageSource(url=url))
    assert info.value.code == 17722


async def test_17722_expired_image_host_link(trace, providers, hub):
    url = url_of(providers, hub.store_file(image_with(1), "image/png", ttl=60))
    hub.clock.advance(120)
    with pytest.raises(BadInput, match="could not download"):
        await trace.recognize(ImageSource(url=url))


async def test_17728_usage_limit_until_the_next_day(trace, hub, sim):
    sim.daily_limit = 1
    data = image_with(1)
    await trace.recognize(ImageSource(data=data))
    with pytest.raises(QuotaError, match="usage limit") as info:
        await trace.recognize(ImageSource(data=data))
    assert info.value.code == 17728
    assert searches(hub) == [200, 429]  # HTTP 429, but the body code says quota: not retried
    hub.clock.advance(86400)
    await trace.recognize(ImageSource(data=data))


async def test_a_paused_or_unlisted_model_is_sent_as_asked_with_a_warning(trace, hub):
    # the service decides about model ids (it maps old ones); we send what was asked and warn
    with pytest.raises(BadInput, match="rejected the request parameters") as info:
        await trace.recognize(ImageSource(data=image_with(1)), model="animetrace-aqours-3.5")
    assert "animetrace-yuri-4.2" in str(info.value) and "animetrace-kira-2.1" in str(info.value)
    with pytest.raises(BadInput, match="does not know the selected model") as info:
        await trace.recognize(ImageSource(data=image_with(1)), model="AnimeTrace Yuri 4.2")
    assert searches(hub) == [400, 500], "both were sent"


@pytest.mark.parametrize("old_id", ["animetrace_high_beta", "pre_stable"])
async def test_old_model_ids_are_sent_and_answered(trace, hub, sim, old_id):
    result = await trace.recognize(ImageSource(data=image_with(1)), model=old_id)
    assert result.model == old_id and result.detections
    assert "not in AnimeTrace's model list" in result.warning and "sent anyway" in result.warning
    assert searches(hub) == [200]
    assert sim.last_fields["model"] == old_id


async def test_a_listed_model_has_no_warning(trace):
    result = await trace.recognize(ImageSource(data=image_with(1)), model="animetrace-kira-2.1")
    assert result.warning == "" and "warning" not in result.to_json()


async def test_17729_model_gone_on_the_server(trace, hub, sim):
    await trace.list_models()
    sim.models = [m for m in sim.models if m["id"] != "animetrace-kira-2.1"]
    with pytest.raises(BadInput, match="does not know the selected model") as info:
        await trace.recognize(ImageSource(data=image_with(1)), model="animetrace-kira-2.1")
    assert info.value.code == 17729
    listed = str(info.value).split("listed models: ")[1]
    assert listed == "animetrace-yuri-4.2, animetrace-high-beta", "the list was fetched again at once"
    assert searches(hub) == [500]
    lists = [r for r in hub.requests_to("animetrace") if r.path == "/v1/model/list"]
    assert len(lists) == 2
    assert "animetrace-kira-2.1" not in {m.id for m in await trace.list_models()}


async def test_17703_refreshes_the_model_list(trace, hub, sim):
    await trace.list_models()
    for model in sim.models:
        if model["id"] == "animetrace-kira-2.1":
            model["enabled"] = False  # paused since we fetched the list
    with pytest.raises(BadInput) as info:
        await trace.recognize(ImageSource(data=image_with(1)), model="animetrace-kira-2.1")
    assert info.value.code == 17703
    assert not next(m for m in await trace.list_models() if m.id == "animetrace-kira-2.1").enabled


async def test_17737_burst_limit_with_long_retry_after(trace, hub, sim):
    # the simulator counts per clock minute: start just after a minute begins, so both
    # requests fall in the same one (otherwise this flakes at a minute boundary)
    hub.clock.advance(60 - hub.clock.now() % 60 + 1)
    sim.burst_limit = 1
    await trace.recognize(ImageSource(data=image_with(1)))
    with pytest.raises(RateLimited) as info:
        await trace.recognize(ImageSource(data=image_with(1)))
    assert info.value.code == 17737
    assert info.value.retry_after is not None and info.value.retry_after >= 1
    assert searches(hub) == [200, 429]  # longer than the policy waits for: reported at once


async def test_http_429_retry_after_is_honoured(trace, hub):
    hub.inject("animetrace", "rate_limit", retry_after=0.05, path=SEARCH)
    result = await trace.recognize(ImageSource(data=image_with(1)))
    assert len(result.detections) == 1
    assert searches(hub) == [429, 200]


async def test_http_429_with_long_retry_after_raises(trace, hub):
    hub.inject("animetrace", "rate_limit", retry_after=30, path=SEARCH)
    with pytest.raises(RateLimited, match="HTTP 429") as info:
        await trace.recognize(ImageSource(data=image_with(1)))
    assert info.value.retry_after == 30
    assert searches(hub) == [429]


async def test_malformed_json_is_an_unexpected_answer(trace, hub):
    hub.inject("animetrace", "malformed", path=SEARCH)
    with pytest.raises(ServerError, match="unexpected answer"):
        await trace.recognize(ImageSource(data=image_with(1)))


async def test_non_json_error_uses_the_http_status(trace, hub):
    hub.inject("animetrace", "status", status=502, body="<html>Bad Gateway</html>", path=SEARCH, times=None)
    with pytest.raises(ServerError, match="HTTP 502") as info:
        await trace.recognize(ImageSource(data=image_with(1)))
    assert info.value.code == 502
    assert len(searches(hub)) == 3  # 5xx is retried: recognition has no side effect


async def test_success_code_with_error_status_is_an_error(trace, hub):
    hub.inject("animetrace", "status", status=404, body={"code": 0}, path=SEARCH)
    with pytest.raises(ServerError, match="404"):
        await trace.recognize(ImageSource(data=image_with(1)))


async def test_dropped_connection(trace, hub):
    # A search counts against AnimeTrace's usage limit (17728): once sent, a drop may have been
    # counted, so it is not sent again (issue 10, "Money").
    hub.inject("animetrace", "drop", path=SEARCH, times=None)
    with pytest.raises(NetworkError, match="may have been charged") as info:
        await trace.recognize(ImageSource(data=image_with(1)))
    assert info.value.maybe_charged and not info.value.retryable
    assert len(searches(hub)) == 1


async def test_dropped_model_list_is_retried(trace, hub):
    hub.inject("animetrace", "drop", path=MODELS, times=1)
    result = await trace.recognize(ImageSource(data=image_with(1)))
    assert len(result.detections) == 1 and model_requests(hub) == 2 and len(searches(hub)) == 1


@pytest.mark.parametrize(
    ("code", "status", "kind", "text"),
    [
        (17707, 500, ServerError, "internal error"),
        (17709, 200, ServerError, "statistics"),
        (17710, 200, ServerError, "captcha"),
        (17711, 200, ServerError, "prepare the recognition"),
        (17712, 200, ServerError, "file name"),
        (17799, 200, ServerError, "unknown error"),
        (-1, 200, ServerError, "failure on its side"),
        (404, 404, ServerError, "page not found"),
        (17750, 200, ServerError, "error code 17750"),
    ],
)
async def test_other_codes_map_to_clear_errors(trace, hub, code, status, kind, text):
    hub.inject("animetrace", "status", status=status, body=code_body(code, trace_id="trace-42"), path=SEARCH, times=None)
    with pytest.raises(kind, match=text) as info:
        await trace.recognize(ImageSource(data=image_with(1)))
    assert info.value.code == code
    assert "trace-42" in str(info.value) and "simulated" in str(info.value)


async def test_hostile_strings_are_made_safe(trace, hub):
    hub.inject("animetrace", "hostile", times=None)
    models = await trace.list_models()
    result = await trace.recognize(ImageSource(data=image_with(3)))
    texts = [t for d in result.detections for c in d.candidates for t in (c.character, c.work)]
    texts += [m.name for m in models]
    assert any("PWNED" in t for t in texts)
    for text in texts:
        assert not CONTROL.search(text), repr(text)
        assert len(text) <= 300


async def test_bad_local_input(trace, samples):
    with pytest.raises(BadInput, match="not an image"):
        await trace.recognize(ImageSource(path=samples / "notes.txt"))
    with pytest.raises(BadInput, match="no such file"):
        await trace.recognize(ImageSource(path=samples / "missing.png"))
    with pytest.raises(BadInput, match="http"):
        await trace.recognize(ImageSource(url="ftp://x.example/a.png"))
