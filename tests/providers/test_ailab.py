"""AILabProvider against the AILabTools simulator, in process and over loopback.

The task lifecycle is driven by jumping the simulator's clock (``hub.clock.advance``), never by
sleeping. Every error path checks three things: the error class (what the job runner decides on),
the message (what a user reads), and the hub's request log (what was — or was not — sent).
"""

from __future__ import annotations

import contextlib
import functools
import io
from collections.abc import AsyncIterator

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
    ResultExpired,
    ServerError,
)
from animetui.models import CARTOON_STYLES, ImageSource, TaskInfo, TaskStatus
from animetui.net import RateLimiter, download, make_client
from animetui.providers.ailab import AILabProvider, TaskExpired, create
from animetui.providers.base import Cartoonizer, ProviderContext
from animetui.simulator import DEMO_KEYS, SimulatorHub
from animetui.simulator.ailab import CREDITS_PATH, QUERY_PATH, SUBMIT_PATH
from animetui.simulator.imagery import scene

KEY = DEMO_KEYS["ailab"]
DONE = 6.5  # seconds after submit when the simulator's task is done


pytestmark = pytest.mark.simulator("ailab")


class CountingLimiter(RateLimiter):
    """Never waits (the registry's 5/s bucket would add real sleeps to a fast test); counts grants."""

    def __init__(self) -> None:
        super().__init__(1000, 1000)
        self.grants = 0

    async def acquire(self) -> None:
        self.grants += 1
        await super().acquire()


@pytest.fixture
def ailab(providers) -> AILabProvider:
    provider = providers.ailab  # built by the registry, on either transport
    provider.ctx.limiter = CountingLimiter()
    return provider


@pytest.fixture
async def with_key(providers):
    """Build an AILabProvider on the same simulator (either transport) with another API key."""
    stack = contextlib.AsyncExitStack()

    def make(key: str) -> AILabProvider:
        section = {**providers.section("ailab"), "api_key": key}
        client = make_client(section["base_url"], transport=providers.transport)
        stack.push_async_callback(client.aclose)
        ctx = ProviderContext(name="ailab", settings=section, client=client, limiter=CountingLimiter(), retry=providers.retry)
        return create(ctx)

    async with stack:
        yield make


@functools.cache
def png(width: int, height: int, *, seed: int = 1, fmt: str = "PNG") -> bytes:
    return scene(width, height, seed=seed, boxes=[(0.2, 0.2, 0.6, 0.9)], fmt=fmt)


def source(width: int = 800, height: int = 600, *, fmt: str = "PNG", name: str = "photo.png") -> ImageSource:
    return ImageSource(data=png(width, height, fmt=fmt), name=name)


def posts(hub: SimulatorHub) -> list:
    return [r for r in hub.requests_to("ailab") if r.path == SUBMIT_PATH]


def queries(hub: SimulatorHub) -> list:
    return [r for r in hub.requests_to("ailab") if r.path == QUERY_PATH]


def pil(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


async def finished(hub: SimulatorHub, ailab: AILabProvider, task_id: str) -> TaskInfo:
    hub.clock.advance(DONE)
    return await ailab.query(task_id)


@contextlib.asynccontextmanager
async def nothing_sent(hub: SimulatorHub) -> AsyncIterator[None]:
    before = len(hub.log)
    yield
    assert len(hub.log) == before, "a request was sent"


# --------------------------------------------------------------------------- the happy path
async def test_is_a_cartoonizer(ailab):
    assert isinstance(ailab, Cartoonizer)
    assert ailab.name == "ailab"


async def test_submit_queued_processing_succeeded_with_a_real_image(ailab, hub, sim, providers, tmp_path):
    task_id = await ailab.submit(source(800, 600), style=3)
    assert task_id in sim.tasks and sim.tasks[task_id].index == 3

    info = await ailab.query(task_id)
    assert info == TaskInfo(task_id, TaskStatus.QUEUED)
    assert not info.terminal
    hub.clock.advance(1.5)
    assert (await ailab.query(task_id)).status is TaskStatus.PROCESSING
    hub.clock.advance(3)
    assert (await ailab.query(task_id)).status is TaskStatus.PROCESSING
    hub.clock.advance(2)
    done = await ailab.query(task_id)
    assert done.status is TaskStatus.SUCCEEDED and done.terminal
    assert done.result_url and done.result_url.startswith(providers.section("ailab")["base_url"])

    path = await download(providers.downloads, done.result_url, tmp_path / "out.jpg", provider="ailab")
    image = pil(path.read_bytes())
    assert image.format == "JPEG"
    assert image.size == (2048, 1536)  # 4:3 kept, short side 1536
    assert (await ailab.credits()).remaining == 99


@pytest.mark.parametrize(
    ("size", "expected"),
    [((1024, 512), (2304, 1536)), ((512, 1024), (1536, 2304)), ((600, 900), (1536, 2304))],
)
async def test_result_aspect_rules(ailab, hub, providers, size, expected):
    task_id = await ailab.submit(source(*size), style=2)
    done = await finished(hub, ailab, task_id)
    response = await providers.downloads.get(done.result_url)
    assert response.status_code == 200
    image = pil(response.content)
    assert image.size == expected  # over 1.5:1 → centre-cropped to exactly 1.5:1
    assert min(image.size) == 1536


async def test_every_style_is_accepted(ailab, sim):
    data = png(300, 300)
    ids = [await ailab.submit(ImageSource(data=data, name="a.png"), style=style) for style in range(9)]
    assert [sim.tasks[task_id].index for task_id in ids] == list(range(9))


async def test_every_request_takes_a_limiter_token(ailab, hub):
    task_id = await ailab.submit(source(400, 300), style=1)
    hub.inject("ailab", "server_error", path=QUERY_PATH)
    await ailab.query(task_id)  # one failed attempt, one retry
    await ailab.credits()
    assert ailab.ctx.limiter.grants == len(hub.requests_to("ailab")) == 4


async def test_credits(ailab, sim):
    credits = await ailab.credits()
    assert credits.provider == "ailab" and credits.unit == "credits"
    assert credits.remaining == 100 and credits.total == 100
    assert credits.detail == "API general credits"
    await ailab.submit(source(300, 300), style=0)
    assert (await ailab.credits()).remaining == 99


async def test_files_of_every_accepted_format_are_sent_as_they_are(ailab, sim, samples):
    for name, fmt in (("photo.jpg", "JPEG"), ("art.webp", "WEBP"), ("wide.bmp", "BMP"), ("scene.png", "PNG")):
        path = samples / name
        task_id = await ailab.submit(ImageSource(path=path), style=1)
        assert sim.tasks[task_id].image == path.read_bytes(), name
        assert pil(sim.tasks[task_id].image).format == fmt


async def test_url_source_is_downloaded_first(ailab, hub, sim, providers):
    data = png(500, 400)
    url = providers.section("ailab")["base_url"] + hub.store_file(data, "image/png")
    task_id = await ailab.submit(ImageSource.parse(url), style=4)
    assert sim.tasks[task_id].image == data  # the bytes behind the URL were uploaded

    with pytest.raises(BadInput, match="could not download the image: HTTP 404"):
        await ailab.submit(ImageSource.parse(providers.section("ailab")["base_url"] + "/sim-files/missing"), style=4)


# --------------------------------------------------------------------------- input checks
@pytest.mark.parametrize("style", [9, -1, True, "2", 2.0])
async def test_bad_style_lists_the_styles(ailab, hub, style):
    async with nothing_sent(hub):
        with pytest.raises(BadInput) as caught:
            await ailab.submit(source(), style=style)  # type: ignore[arg-type]
    message = str(caught.value)
    assert "0–8" in message
    for index, name in enumerate(CARTOON_STYLES):
        assert f"{index} {name}" in message


async def test_too_small_is_refused_before_upload(ailab, hub, samples):
    async with nothing_sent(hub):
        with pytest.raises(BadInput) as caught:
            await ailab.submit(ImageSource(path=samples / "tiny.png"), style=2)
    assert "120×90 px is too small; AILabTools needs at least 256×256 px" in str(caught.value)


async def test_not_an_image_is_refused_before_upload(ailab, hub, samples):
    async with nothing_sent(hub):
        with pytest.raises(BadInput, match="not an image"):
            await ailab.submit(ImageSource(path=samples / "notes.txt"), style=2)
        with pytest.raises(BadInput, match="no such file"):
            await ailab.submit(ImageSource(path=samples / "missing.png"), style=2)


async def test_unsupported_format_is_converted(ailab, sim):
    gif = io.BytesIO()
    Image.open(io.BytesIO(png(400, 300))).convert("P").save(gif, "GIF")
    task_id = await ailab.submit(ImageSource(data=gif.getvalue(), name="anim.gif"), style=5)
    sent = pil(sim.tasks[task_id].image)
    assert sent.format in ("PNG", "JPEG")
    assert sent.size == (400, 300)


async def test_too_many_bytes_is_re_encoded_under_the_limit(ailab, sim):
    bmp = png(2000, 1800, fmt="BMP")
    assert len(bmp) > 10_000_000
    task_id = await ailab.submit(ImageSource(data=bmp, name="huge.bmp"), style=0)
    sent = sim.tasks[task_id].image
    assert len(sent) <= 10_000_000
    assert pil(sent).size == (2000, 1800)


@pytest.mark.slow
async def test_too_many_pixels_is_downscaled_to_fit(ailab, sim):
    task_id = await ailab.submit(ImageSource(data=png(6000, 3000, fmt="JPEG"), name="pano.jpg"), style=0)
    assert pil(sim.tasks[task_id].image).size == (5760, 2880)
    # portrait, short side over 3240: limits apply to long × short, whatever the orientation
    task_id = await ailab.submit(ImageSource(data=png(3400, 5000, fmt="JPEG"), name="tall.jpg"), style=0)
    width, height = pil(sim.tasks[task_id].image).size
    assert width == 3240 and abs(height - 5000 * 3240 / 3400) <= 1


async def test_too_thin_to_fit_is_refused(ailab, hub):
    async with nothing_sent(hub):
        with pytest.raises(BadInput, match=r"5760×144 px, under AILabTools' 256×256 px minimum"):
            await ailab.submit(ImageSource(data=png(12000, 300, fmt="JPEG"), name="strip.jpg"), style=0)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"index": "1"}, "MISSING_PARAMETERS"),
        ({"task_type": "sync", "index": "1"}, "ERROR_INVALID_PARAMETER"),
        ({"task_type": "async"}, "MISSING_PARAMETERS"),
        ({"task_type": "async", "index": "12"}, "ERROR_INVALID_PARAMETER"),
    ],
)
async def test_task_type_and_index_are_validated_by_the_service(ailab, sim, fields, code):
    # raw calls on the provider's own client (so both transports), then its reading of the answer
    response = await ailab.ctx.client.post(
        SUBMIT_PATH, data=fields, files={"image": ("a.png", png(300, 300), "image/png")}, headers={"ailabapi-api-key": KEY}
    )
    assert response.status_code == 400
    assert response.json()["error_detail"]["code"] == code
    with pytest.raises(BadInput) as caught:
        ailab._check(response, action="submit")
    assert code in str(caught.value)
    assert sim.tasks == {}


# --------------------------------------------------------------------------- auth and credits
async def test_no_key_names_the_setting_and_env_var(with_key, hub):
    ailab = with_key("")
    async with nothing_sent(hub):
        for call in (ailab.submit(source(), style=1), ailab.query("abc"), ailab.credits()):
            with pytest.raises(AuthError) as caught:
                await call
            assert "providers.ailab.api_key" in str(caught.value)
            assert "ANIMETUI_AILAB_KEY" in str(caught.value)


async def test_invalid_key_is_auth_error_without_the_key(with_key, hub):
    bad = "ailab_wrong_0123456789abcdef"
    ailab = with_key(bad)
    with pytest.raises(AuthError) as caught:
        await ailab.submit(source(), style=1)
    assert len(posts(hub)) == 1  # not retried
    message = str(caught.value)
    assert "ERROR_APPLICATIONS_NOT_EXISTS" in message and "providers.ailab.api_key" in message
    assert bad not in message
    with pytest.raises(AuthError):
        await ailab.credits()


async def test_locked_key_says_locked(with_key, sim):
    key = sim.add_key(credits=3)
    sim.lock_key(key)
    with pytest.raises(AuthError, match="locked"):
        await with_key(key).credits()


async def test_credits_exhausted_is_quota_error_not_retried(with_key, hub, sim):
    key = sim.add_key(credits=1)
    ailab = with_key(key)
    await ailab.submit(source(300, 300), style=1)
    with pytest.raises(QuotaError) as caught:
        await ailab.submit(source(300, 300), style=1)
    assert "out of AILabTools credits" in str(caught.value)
    assert caught.value.code == "ERROR_NOT_ENOUGH_CREDITS"
    assert len(posts(hub)) == 2
    assert (await ailab.credits()).remaining == 0


async def test_key_never_appears_in_messages(with_key, hub, sim):
    key = sim.add_key(credits=5)  # a key the settings never saw
    ailab = with_key(key)
    echo = {"error_code": 401, "error_detail": {"status_code": 401, "code": "ERROR_USER_NOT_EXISTS",
                                                "message": f"the key {key} does not exist"}}
    hub.inject("ailab", "status", status=401, body=echo)
    with pytest.raises(AuthError) as caught:
        await ailab.credits()
    assert key not in str(caught.value) and key not in repr(caught.value.args)
    assert "does not exist" in str(caught.value)


# --------------------------------------------------------------------------- query outcomes
async def test_unknown_task_is_not_found(ailab):
    with pytest.raises(NotFound) as caught:
        await ailab.query("0" * 32)
    assert not isinstance(caught.value, TaskExpired)
    assert caught.value.code == "ERROR_RESOURCE_NOT_FOUND"
    assert "no such task" in str(caught.value)


async def test_empty_task_id_is_bad_input(ailab, hub):
    async with nothing_sent(hub):
        with pytest.raises(BadInput):
            await ailab.query("  ")


async def test_expired_task_and_result_url(ailab, hub, providers, tmp_path):
    task_id = await ailab.submit(source(400, 300), style=6)
    done = await finished(hub, ailab, task_id)
    assert done.status is TaskStatus.SUCCEEDED
    hub.clock.advance(24 * 3600)
    with pytest.raises(TaskExpired) as caught:
        await ailab.query(task_id)
    assert isinstance(caught.value, NotFound) and isinstance(caught.value, ResultExpired)
    assert "expired" in str(caught.value) and "24 h" in str(caught.value)
    assert len(queries(hub)) == 2  # not retried
    assert (await providers.downloads.get(done.result_url)).status_code == 410
    with pytest.raises(NotFound, match="expired"):
        await download(providers.downloads, done.result_url, tmp_path / "late.jpg", provider="ailab")


async def test_failed_task_is_a_failed_task_info(ailab, hub):
    flat = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 120, 90)).save(flat, "PNG")
    task_id = await ailab.submit(ImageSource(data=flat.getvalue(), name="wall.png"), style=2)
    assert (await ailab.query(task_id)).status is TaskStatus.QUEUED
    info = await finished(hub, ailab, task_id)
    assert info.status is TaskStatus.FAILED and info.terminal
    assert info.result_url is None
    assert "nothing to cartoonize" in info.detail
    assert len(queries(hub)) == 2  # a failure is an answer, not retried


async def test_failure_reported_in_a_200_data_status(ailab, hub, sim):
    task_id = await ailab.submit(source(400, 300), style=2)
    sim.fail_task(task_id, "AI_SERVICE_TIMEOUT", "took too long", status=200, data_status="TIMEOUT_FAILED")
    info = await finished(hub, ailab, task_id)
    assert info.status is TaskStatus.FAILED
    assert info.detail == "took too long"


async def test_success_without_a_result_url_is_a_failure(ailab, hub):
    body = {"error_code": 0, "error_detail": {"status_code": 200, "code": "", "message": ""},
            "task_status": 2, "data": {"status": "PROCESS_SUCCESS"}}
    hub.inject("ailab", "status", status=200, body=body)
    info = await ailab.query("x")
    assert info.status is TaskStatus.FAILED and "no result link" in info.detail


async def test_error_code_in_a_200_body_counts(ailab, hub):
    # HTTP first, then error_code: a 200 carrying error_code 404 is a 404
    body = {"error_code": 404, "error_msg": "gone missing", "error_detail": {"code": "ERROR_RESOURCE_NOT_FOUND"}}
    hub.inject("ailab", "status", status=200, body=body)
    with pytest.raises(NotFound, match="gone missing"):
        await ailab.query("x")


# --------------------------------------------------------------------------- busy, limits, faults
async def test_busy_query_is_retried_when_the_service_says_when(ailab, hub):
    task_id = await ailab.submit(source(400, 300), style=2)
    busy = {"error_code": 503, "error_detail": {"status_code": 503, "code": "AI_SERVICE_FLOW_RESTRICTION", "message": "busy"}}
    hub.inject("ailab", "status", status=503, body=busy, headers={"Retry-After": "0"}, path=QUERY_PATH)
    assert (await ailab.query(task_id)).status is TaskStatus.QUEUED
    assert [r.status for r in queries(hub)] == [503, 200]


async def test_busy_without_retry_after_is_surfaced_with_the_polling_interval(ailab, hub):
    hub.inject("ailab", "busy", times=None, path=QUERY_PATH)
    with pytest.raises(Busy) as caught:
        await ailab.query("abc")
    assert caught.value.retry_after == 5.0  # longer than the test policy waits: handed to the caller
    assert caught.value.code == "AI_SERVICE_FLOW_RESTRICTION"
    assert caught.value.retryable
    assert len(queries(hub)) == 1


async def test_busy_submit_is_retried_once_nothing_was_created(ailab, hub, sim):
    busy = {"error_code": 503, "error_detail": {"status_code": 503, "code": "AI_SERVICE_FLOW_RESTRICTION", "message": "busy"}}
    hub.inject("ailab", "status", status=503, body=busy, headers={"Retry-After": "0"}, path=SUBMIT_PATH)
    task_id = await ailab.submit(source(400, 300), style=2)
    assert list(sim.tasks) == [task_id]
    assert [r.status for r in posts(hub)] == [503, 200]
    assert sim.accounts[KEY].balance == 99


async def test_rate_limited_is_retried_then_surfaced(ailab, hub):
    hub.inject("ailab", "rate_limit", retry_after=0, path=CREDITS_PATH)
    assert (await ailab.credits()).remaining == 100
    hub.inject("ailab", "rate_limit", retry_after=0, times=None)
    with pytest.raises(RateLimited) as caught:
        await ailab.query("abc")
    assert caught.value.retry_after == 0
    assert len(queries(hub)) == 3  # the policy's three attempts


async def test_malformed_json(ailab, hub, sim):
    task_id = await ailab.submit(source(400, 300), style=2)
    hub.inject("ailab", "malformed", path=QUERY_PATH)
    assert (await ailab.query(task_id)).status is TaskStatus.QUEUED  # retried
    hub.inject("ailab", "malformed", times=None, path=QUERY_PATH)
    with pytest.raises(ServerError, match="unreadable"):
        await ailab.query(task_id)
    hub.faults.clear()
    hub.inject("ailab", "malformed", path=SUBMIT_PATH)
    with pytest.raises(ServerError) as caught:
        await ailab.submit(source(400, 300), style=2)
    assert caught.value.maybe_charged and not caught.value.retryable
    assert "credit" in str(caught.value)
    assert len(posts(hub)) == 2  # the malformed submit was not repeated


async def test_dropped_connection(ailab, hub, sim):
    task_id = await ailab.submit(source(400, 300), style=2)
    hub.inject("ailab", "drop", path=QUERY_PATH)
    assert (await ailab.query(task_id)).status is TaskStatus.QUEUED  # a read is retried
    hub.inject("ailab", "drop", path=SUBMIT_PATH, after_response=True)
    with pytest.raises(NetworkError) as caught:
        await ailab.submit(source(400, 300), style=2)
    assert caught.value.maybe_charged and not caught.value.retryable
    assert "may have been charged" in str(caught.value)
    assert len(posts(hub)) == 2 and len(sim.tasks) == 2  # created once, never resubmitted


async def test_server_error(ailab, hub, sim):
    task_id = await ailab.submit(source(400, 300), style=2)
    hub.inject("ailab", "server_error", path=QUERY_PATH)
    assert (await ailab.query(task_id)).status is TaskStatus.QUEUED
    hub.inject("ailab", "server_error", path=SUBMIT_PATH)
    with pytest.raises(ServerError) as caught:
        await ailab.submit(source(400, 300), style=2)
    assert not caught.value.retryable
    assert len(posts(hub)) == 2


async def test_server_side_refusals_on_submit(ailab, hub):
    for status, code, error in ((413, "ERROR_HIGH_RESOLUTION", "Unsupported"), (415, "UNSUPPORTED_FILE_TYPES", "Unsupported"),
                                (422, "ERROR_LOW_RESOLUTION", "BadInput")):
        body = {"error_code": status, "error_detail": {"status_code": status, "code": code, "message": f"said {code}"}}
        hub.inject("ailab", "status", status=status, body=body)
        with pytest.raises(Exception) as caught:
            await ailab.submit(source(400, 300), style=2)
        assert type(caught.value).__name__ == error
        assert f"said {code}" in str(caught.value) and code in str(caught.value)


async def test_hostile_strings_are_cleaned(ailab, hub):
    hub.inject("ailab", "hostile", times=None)
    with pytest.raises(NotFound) as caught:
        await ailab.query("abc")
    credits = await ailab.credits()
    for text in (str(caught.value), credits.detail):
        assert not any(ch in text for ch in ("\x1b", "\x07", "\u202e"))
        assert len(text) < 400
    assert credits.remaining == 100
    assert credits.detail.startswith("AAAA") and credits.detail.endswith("…")  # 5,000 chars capped
    assert "]52;" in str(caught.value) or "PWNED" in str(caught.value) or "gnp.exe" in str(caught.value)



# --------------------------------------------------------------------------- fidelity (issue 12)
async def test_task_status_3_is_a_failed_task_like_the_official_sdk(ailab, hub, sim):
    task_id = await ailab.submit(source(400, 300), style=2)
    sim.fail_task(task_id, "", "the model could not draw this", status=200, data_status="", task_status=3)
    info = await finished(hub, ailab, task_id)
    assert info.status is TaskStatus.FAILED and info.detail == "the model could not draw this"
    assert len(queries(hub)) == 1  # an answer, not an unreadable body retried


async def test_an_unknown_service_code_on_a_200_is_final_and_names_the_ids(ailab, hub):
    body = {"request_id": "REQ123", "log_id": "log456", "error_code": 10001, "error_msg": "task does not exist",
            "error_detail": {"status_code": 200, "code": "", "message": ""}}
    hub.inject("ailab", "status", status=200, body=body, times=None)
    info = await ailab.query("x")
    assert info.status is TaskStatus.FAILED
    for part in ("10001", "task does not exist", "request_id REQ123", "log_id log456"):
        assert part in info.detail
    assert len(queries(hub)) == 1, "final: not retried"
    with pytest.raises(ServerError) as caught:
        await ailab.credits()
    assert not caught.value.retryable and "request_id REQ123" in str(caught.value)


async def test_error_messages_carry_request_and_log_ids(ailab, hub):
    with pytest.raises(NotFound) as caught:
        await ailab.query("no-such-task")
    assert "request_id " in str(caught.value) and "log_id " in str(caught.value)


async def test_credits_count_only_the_products_that_pay_for_this_api(ailab, sim):
    credits = await ailab.credits()
    assert credits.remaining == 100  # not + the 500 face-analyzer and 40 upscaler credits the account holds
    sim.accounts[KEY].other_products["image_ai_cartoon_generator"] = ("AI Cartoon Generator", 7)
    credits = await ailab.credits()
    assert credits.remaining == 107 and "AI Cartoon Generator" in credits.detail


async def test_credits_with_no_paying_product_are_unknown_not_guessed(ailab, hub):
    body = {"error_code": 0, "data": [{"unique_sign": "image_face_analyzer", "name": "Face Analyzer", "balance": 9}]}
    hub.inject("ailab", "status", status=200, body=body, path=CREDITS_PATH)
    credits = await ailab.credits()
    assert credits.remaining is None and "Face Analyzer" in credits.detail


def test_poll_interval_setting_refuses_faster_than_the_docs(settings):
    from animetui.errors import ConfigError
    from animetui.providers.ailab import MIN_POLL_INTERVAL

    with pytest.raises(ConfigError, match="at least 5"):
        settings.set("providers.ailab.poll_interval", MIN_POLL_INTERVAL - 0.1)
    settings.set("providers.ailab.poll_interval", MIN_POLL_INTERVAL)


def test_polling_jitter_only_lengthens_the_wait(providers, tmp_path):
    import random

    from animetui.jobs import JobRunner
    from animetui.store import JobJournal

    runner = JobRunner(providers, JobJournal(tmp_path / "jobs.sqlite3"), downloads_dir=tmp_path, rng=random.Random(3))
    waits = [runner._jittered(runner.poll_interval) for _ in range(2000)]
    assert runner.poll_interval == 5.0 and min(waits) >= 5.0 and max(waits) <= 5.5
