"""The job runner against the simulators: both kinds end to end, every failure path, cancel, retry,
delete, restart recovery, other runners sharing the journal, and a SIGKILLed child process.

Time: AILab tasks finish 6 s of *simulated* time after submission, so tests jump ``hub.clock``;
the runner gets the same clock (for the 24 h rule) and a recording ``sleep`` that never really
waits longer than a few milliseconds, so back-off delays can be asserted without being slept.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import re
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from PIL import Image

from animetui.errors import BadInput
from animetui.limits import TEST_CLOCK_ENV
from animetui.jobs import (
    DOWNLOAD_SLOTS,
    EXPIRED_TEXT,
    POLL_SLOTS,
    SUBMIT_SLOTS,
    JobRunner,
    describe,
)
from animetui.models import GenerateRequest, Job, JobKind, JobState, Orientation
from animetui.net import RateLimiter, RetryPolicy, make_client
from animetui.providers import Providers
from animetui.simulator import DEMO_KEYS
from animetui.simulator.imagery import scene
from animetui.store import JobJournal, JournalError

FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, max_retry_after=2.0)
NAME = re.compile(r"^\d{4}-\d{2}-\d{2}_\d{4}_[\w-]+_[0-9a-f]{6}\.(webp|jpg|png)$")
Q, S, R, D, OK = JobState.QUEUED, JobState.SUBMITTING, JobState.RUNNING, JobState.DOWNLOADING, JobState.SUCCEEDED


class CountingLimiter(RateLimiter):
    """A generous limiter that counts who went through it."""

    def __init__(self) -> None:
        super().__init__(10_000, 10_000)
        self.acquired = 0

    async def acquire(self) -> None:
        self.acquired += 1
        await super().acquire()


class Harness:
    def __init__(self, tmp_path: Path, hub, providers: Providers) -> None:
        self.hub = hub
        self.providers = providers
        self.db = tmp_path / "data" / "animetui.db"
        self.downloads = tmp_path / "downloads"
        self.journal = JobJournal(self.db)
        self.sleeps: list[float] = []
        self.runners: list[JobRunner] = []
        self.journals: list[JobJournal] = [self.journal]
        # AILab's shipped limiter (5/s) would make tests slow; count instead of throttle.
        self.ailab_limiter = CountingLimiter()
        providers.ailab.ctx.limiter = self.ailab_limiter

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(min(seconds, 0.003))

    def runner(self, *, own_journal: bool = False, **kwargs) -> JobRunner:
        journal = self.journal
        if own_journal:  # as another process would: its own connection
            journal = JobJournal(self.db)
            self.journals.append(journal)
        kwargs.setdefault("clock", self.hub.clock.now)
        kwargs.setdefault("poll_interval", 0.01)
        kwargs.setdefault("sleep", self.sleep)
        kwargs.setdefault("sync_interval", 0.005)
        runner = JobRunner(self.providers, journal, downloads_dir=self.downloads, **kwargs)
        self.runners.append(runner)
        return runner

    async def until(self, condition: Callable[[], bool], timeout: float = 90.0) -> None:  # an upper bound only
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError("condition not reached in time")
            await asyncio.sleep(0.002)

    async def state(self, runner: JobRunner, job_id: str, state: JobState) -> Job:
        await self.until(lambda: (j := runner.get(job_id)) is not None and j.state is state)
        return runner.get(job_id)

    async def finish(self, runner: JobRunner, ids: list[str], *, advance: float = 0.0) -> list[Job]:
        if advance:
            self.hub.clock.advance(advance)
        return await asyncio.wait_for(runner.wait(ids), 10)

    def requests(self, service: str, path_part: str) -> int:
        return sum(1 for r in self.hub.requests_to(service) if path_part in r.path)

    def parts(self) -> list[Path]:
        return sorted(self.downloads.glob(".*.part")) if self.downloads.exists() else []

    async def close(self) -> None:
        for runner in self.runners:
            await runner.stop(grace=0)
        for journal in self.journals:
            journal.close()


def record(runner: JobRunner) -> list[tuple[str, JobState, str]]:
    seen: list[tuple[str, JobState, str]] = []
    runner.subscribe(lambda job: seen.append((job.id, job.state, job.error)))
    return seen


def states(seen, job_id: str) -> list[JobState]:
    out: list[JobState] = []
    for jid, state, _error in seen:
        if jid == job_id and (not out or out[-1] is not state):
            out.append(state)
    return out


def check_image(path: str | Path, fmt: str, size: tuple[int, int] | None = None) -> None:
    path = Path(path)
    assert path.is_file(), path
    assert NAME.match(path.name), path.name
    with Image.open(path) as image:
        image.load()
        assert image.format == fmt
        if size:
            assert image.size == size


@pytest.fixture(autouse=True)
def roomy_animeapi_limit(monkeypatch):
    # the client-side limit (10 per 60 real seconds, shared across processes) would stall tests
    # making many images: run the limits' test clock 1000x fast (a minute is 60 ms)
    monkeypatch.setenv(TEST_CLOCK_ENV, f"{time.time()}:1000")


@pytest.fixture
async def inproc(settings, hub):
    registry = Providers(settings, hub=hub, retry=FAST)
    yield registry
    await registry.aclose()


@pytest.fixture
async def h(tmp_path, hub, inproc):
    harness = Harness(tmp_path, hub, inproc)
    yield harness
    await harness.close()


@pytest.fixture
def flat_photo(tmp_path) -> Path:
    path = tmp_path / "flat.png"
    Image.new("RGB", (400, 400), (120, 120, 120)).save(path)
    return path


# =========================================================================== whole lifecycles
async def test_generate_lifecycle(tmp_path, hub, providers):
    h = Harness(tmp_path, hub, providers)
    try:
        runner = h.runner()
        seen = record(runner)
        await runner.start()
        job = await runner.submit_generate(GenerateRequest("anime girl with blue hair", orientation=Orientation.SQUARE))
        assert job.state is Q and h.journal.get(job.id) == job  # journalled before anything is sent
        (done,) = await h.finish(runner, [job.id])
        assert done.state is OK, done.error
        assert states(seen, job.id) == [Q, S, D, OK]
        check_image(done.result_path, "WEBP", (1024, 1024))
        assert Path(done.result_path).parent == h.downloads
        assert "anime-girl-with-blue-hair" in Path(done.result_path).name
        assert done.balance_usd == pytest.approx(0.491) and runner.last_balance_usd == pytest.approx(0.491)
        assert done.cost_usd == pytest.approx(0.009)
        assert done.attempts == 1 and done.submitted_at and done.finished_at and done.result_url
        assert done.params["enhanced_prompt"].startswith("masterpiece")
        assert len(hub.services["animeapi"].charges) == 1
        assert h.journal.get(job.id) == done
        assert h.parts() == []
        assert runner.result_folder(job.id) == h.downloads
        assert runner.result_file(job.id) == Path(done.result_path)
        assert "done →" in describe(done)
    finally:
        await h.close()


async def test_cartoonize_lifecycle(tmp_path, hub, providers, samples):
    h = Harness(tmp_path, hub, providers)
    try:
        runner = h.runner()
        seen = record(runner)
        await runner.start()
        job = await runner.submit_cartoonize(samples / "photo.jpg", 2)
        running = await h.state(runner, job.id, R)
        assert running.remote_id and h.journal.get(job.id).remote_id == running.remote_id
        await h.until(lambda: h.requests("ailab", "query-async") >= 2)  # polled while processing
        (done,) = await h.finish(runner, [job.id], advance=7)
        assert done.state is OK, done.error
        assert states(seen, job.id) == [Q, S, R, D, OK]
        check_image(done.result_path, "JPEG", (2048, 1536))  # short side 1536, 4:3 kept
        assert "photo-two-dimensional-2d" in Path(done.result_path).name
        assert h.requests("ailab", "ai-anime-generator") == 1
        assert done.cost_usd is None and done.params["style_name"] == "Two-dimensional (2D)"
        assert h.parts() == []
    finally:
        await h.close()


# =========================================================================== AnimeAPI failures
async def test_timeout_after_sending_fails_as_maybe_charged_and_is_never_resent(h):
    h.hub.inject("animeapi", "timeout", after_response=True)
    runner = h.runner()
    job = await runner.submit_generate(GenerateRequest("a cat in the rain"))
    (done,) = await h.finish(runner, [job.id])
    assert done.state is JobState.FAILED
    assert "may have been charged — check your balance" in done.error
    await asyncio.sleep(0.05)
    assert h.requests("animeapi", "/api/generate") == 1 and done.attempts == 1
    assert len(h.hub.services["animeapi"].charges) == 1  # the service did charge: that is the risk


async def test_dropped_connection_after_sending_is_maybe_charged(h):
    h.hub.inject("animeapi", "drop", after_response=True)
    runner = h.runner()
    job = await runner.submit_generate(GenerateRequest("a dragon over the sea"))
    (done,) = await h.finish(runner, [job.id])
    assert done.state is JobState.FAILED and "may have been charged" in done.error
    assert h.requests("animeapi", "/api/generate") == 1


async def test_server_error_is_maybe_charged_and_not_resent(h):
    h.hub.services["animeapi"].fail_next()
    runner = h.runner()
    job = await runner.submit_generate(GenerateRequest("a city at night"))
    (done,) = await h.finish(runner, [job.id])
    assert done.state is JobState.FAILED
    assert "may have been charged" in done.error and "check your balance" in done.error
    await asyncio.sleep(0.05)
    assert h.requests("animeapi", "/api/generate") == 1


async def test_insufficient_balance_fails_without_charge(h):
    h.hub.services["animeapi"].set_balance(0.0)
    runner = h.runner()
    job = await runner.submit_generate(GenerateRequest("a girl"))
    (done,) = await h.finish(runner, [job.id])
    assert done.state is JobState.FAILED and "insufficient balance" in done.error
    assert "charged" not in done.error.replace("not charged", "")
    assert h.hub.services["animeapi"].charges == []


async def test_bad_key_fails_without_showing_it(settings, hub, tmp_path):
    settings.set("providers.animeapi.api_key", "ank_wrongwrongwrong")
    registry = Providers(settings, hub=hub, retry=FAST)
    h = Harness(tmp_path, hub, registry)
    try:
        runner = h.runner()
        job = await runner.submit_generate(GenerateRequest("a girl"))
        (done,) = await h.finish(runner, [job.id])
        assert done.state is JobState.FAILED and "API key" in done.error
        assert "ank_wrongwrongwrong" not in done.error
    finally:
        await h.close()
        await registry.aclose()


async def test_rate_limited_then_success_waits_and_resubmits_once(h):
    h.hub.inject("animeapi", "rate_limit", retry_after=0.05)
    runner = h.runner()
    seen = record(runner)
    job = await runner.submit_generate(GenerateRequest("a girl with red eyes"))
    (done,) = await h.finish(runner, [job.id])
    assert done.state is OK, done.error
    assert states(seen, job.id) == [Q, S, Q, S, D, OK]
    requeued = [error for jid, state, error in seen if jid == job.id and state is Q and error]
    assert requeued and "too many requests" in requeued[0] and "trying again" in requeued[0]
    assert done.attempts == 2 and done.error == ""
    assert len(h.hub.services["animeapi"].charges) == 1


async def test_submitting_is_journalled_only_once_the_limiter_lets_the_request_go(h):
    runner = h.runner()
    limiter = h.providers.animeapi.ctx.limiter
    waiting, gate = asyncio.Event(), asyncio.Event()
    real_sleep = runner._sleep

    async def held(seconds: float) -> None:  # the runner is now waiting on the limiter: look, then let it go
        waiting.set()
        await gate.wait()
        await real_sleep(seconds)

    runner._sleep = held  # the runner waits for the limiter's token before it journals "submitting"
    limiter.block_for(0.15)  # e.g. after a 429 elsewhere
    job = await runner.submit_generate(GenerateRequest("a girl"))
    await waiting.wait()
    assert runner.get(job.id).state is Q and h.journal.get(job.id).state is Q  # a crash now costs nothing
    assert h.requests("animeapi", "/api/generate") == 0
    gate.set()
    (done,) = await h.finish(runner, [job.id])
    assert done.state is OK and done.attempts == 1


async def test_daily_limit_fails_instead_of_waiting_all_day(h):
    h.hub.services["animeapi"].set_daily_used(5000)
    runner = h.runner()
    job = await runner.submit_generate(GenerateRequest("a girl"))
    (done,) = await h.finish(runner, [job.id])
    assert done.state is JobState.FAILED and "daily limit" in done.error
    assert h.requests("animeapi", "/api/generate") == 1


async def test_result_link_gone_is_expired(h):
    runner = h.runner()
    # the link dies between the answer and the download
    runner.subscribe(lambda job: h.hub.files.clear() if job.state is D else None)
    job = await runner.submit_generate(GenerateRequest("a girl"))
    (done,) = await h.finish(runner, [job.id])
    assert done.state is JobState.EXPIRED and "404" in done.error
    assert done.result_url and h.parts() == []


class FlakyTransport(httpx.AsyncBaseTransport):
    """The first ``failures`` requests fail: dropped, or answered with ``status``."""

    def __init__(self, inner: httpx.AsyncBaseTransport, failures: int, status: int | None = None) -> None:
        self.inner = inner
        self.failures = failures
        self.status = status
        self.calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.calls <= self.failures:
            if self.status is not None:
                return httpx.Response(self.status, content=b"<h1>Forbidden</h1>")
            raise httpx.ReadError("connection reset by peer", request=request)
        return await self.inner.handle_async_request(request)


async def test_transient_download_failures_are_retried(h):
    flaky = FlakyTransport(h.hub.transport(), failures=2)
    h.providers._download_client = make_client("", transport=flaky, headers={"Accept": "*/*"})
    runner = h.runner()
    seen = record(runner)
    job = await runner.submit_generate(GenerateRequest("a girl"))
    (done,) = await h.finish(runner, [job.id])
    assert done.state is OK and done.error == ""
    assert flaky.calls == 3
    assert any("trying the download again" in error for jid, state, error in seen if state is D)
    check_image(done.result_path, "WEBP")
    assert h.requests("animeapi", "/api/generate") == 1  # the download was retried, not the generation


async def test_a_refused_result_link_fails_at_once(h):
    refusing = FlakyTransport(h.hub.transport(), failures=100, status=403)
    h.providers._download_client = make_client("", transport=refusing, headers={"Accept": "*/*"})
    runner = h.runner()
    job = await runner.submit_generate(GenerateRequest("a girl"))
    (done,) = await h.finish(runner, [job.id])
    assert done.state is JobState.FAILED and "403" in done.error and done.result_url
    assert refusing.calls == 1 and h.parts() == []


async def test_unwritable_downloads_folder_waits_keeps_the_link_and_saves_once_fixed(h):
    h.downloads.parent.mkdir(parents=True, exist_ok=True)
    h.downloads.write_text("a file where the folder should be")
    runner = h.runner()
    job = await runner.submit_generate(GenerateRequest("a girl"))
    waiting = await h.until(lambda: "waiting: could not save the result" in runner.get(job.id).error) or runner.get(job.id)
    assert waiting.state is D and waiting.result_url  # paid for: never given up while the link lives
    h.downloads.unlink()  # the user fixes the folder
    (done,) = await h.finish(runner, [job.id])
    assert done.state is OK and Path(done.result_path).is_file()
    assert h.requests("animeapi", "/api/generate") == 1


# =========================================================================== AILab failures
async def test_failed_task(h, flat_photo):
    runner = h.runner()
    job = await runner.submit_cartoonize(flat_photo, 0)
    await h.state(runner, job.id, R)
    (done,) = await h.finish(runner, [job.id], advance=7)
    assert done.state is JobState.FAILED and done.error.startswith("AILabTools:")
    assert "nothing to cartoonize" in done.error


async def test_task_expires_after_24h(h, samples):
    runner = h.runner()
    job = await runner.submit_cartoonize(samples / "photo.jpg", 1)
    await h.state(runner, job.id, R)
    (done,) = await h.finish(runner, [job.id], advance=24 * 3600 + 5)
    assert done.state is JobState.EXPIRED and "24 h" in done.error


async def test_service_saying_gone_is_expired(h, samples):
    # our clock says 22 h, the service says the task is reclaimed (410)
    runner = h.runner(clock=lambda: h.hub.clock.now() - 2 * 3600)
    job = await runner.submit_cartoonize(samples / "photo.jpg", 1)
    await h.state(runner, job.id, R)
    (done,) = await h.finish(runner, [job.id], advance=24 * 3600 + 5)
    assert done.state is JobState.EXPIRED and "expired" in done.error


async def test_busy_polls_back_off_honouring_retry_after(h, samples):
    runner = h.runner()
    seen = record(runner)
    job = await runner.submit_cartoonize(samples / "photo.jpg", 3)
    await h.state(runner, job.id, R)
    h.sleeps.clear()
    h.hub.inject("ailab", "busy", times=3, path="query-async")
    await h.until(lambda: len([x for x in h.sleeps if x >= 4.5]) >= 3)
    (done,) = await h.finish(runner, [job.id], advance=7)
    assert done.state is OK and done.error == ""
    backoffs = [x for x in h.sleeps if x >= 4.5]  # the provider's 5 s default, ±10 % jitter
    assert len(backoffs) >= 3 and all(x <= 60 * 1.1 for x in backoffs)
    assert "polling less often" in next(e for jid, s, e in seen if s is R and e)
    assert h.requests("ailab", "ai-anime-generator") == 1


async def test_rate_limited_polls_honour_retry_after(h, samples):
    runner = h.runner()
    job = await runner.submit_cartoonize(samples / "photo.jpg", 3)
    await h.state(runner, job.id, R)
    h.sleeps.clear()
    h.hub.inject("ailab", "rate_limit", retry_after=30, path="query-async")
    await h.until(lambda: any(x >= 27 for x in h.sleeps))
    (done,) = await h.finish(runner, [job.id], advance=7)
    assert done.state is OK


async def test_busy_submit_is_queued_again_not_failed(h, samples):
    h.hub.inject("ailab", "busy", path="ai-anime-generator")
    runner = h.runner()
    seen = record(runner)
    job = await runner.submit_cartoonize(samples / "photo.jpg", 4)
    await h.state(runner, job.id, R)
    (done,) = await h.finish(runner, [job.id], advance=7)
    assert done.state is OK
    assert states(seen, job.id) == [Q, S, Q, S, R, D, OK]
    assert done.attempts == 2 and any(x >= 4.5 for x in h.sleeps)
    account = h.hub.services["ailab"].accounts[DEMO_KEYS["ailab"]]
    assert account.balance == account.total - 1  # one task, one credit


async def test_out_of_credits_fails(h, samples):
    h.hub.services["ailab"].accounts[DEMO_KEYS["ailab"]].balance = 0
    runner = h.runner()
    job = await runner.submit_cartoonize(samples / "photo.jpg", 4)
    (done,) = await h.finish(runner, [job.id])
    assert done.state is JobState.FAILED and "credits" in done.error
    assert h.requests("ailab", "ai-anime-generator") == 1


async def test_submit_timeout_after_sending_is_not_resent(h, samples):
    h.hub.inject("ailab", "timeout", after_response=True, path="ai-anime-generator")
    runner = h.runner()
    job = await runner.submit_cartoonize(samples / "photo.jpg", 4)
    (done,) = await h.finish(runner, [job.id])
    assert done.state is JobState.FAILED and "credit" in done.error
    await asyncio.sleep(0.05)
    assert h.requests("ailab", "ai-anime-generator") == 1


async def test_unknown_task_fails_with_its_id(h, samples):
    runner = h.runner()
    job = await runner.submit_cartoonize(samples / "photo.jpg", 4)
    running = await h.state(runner, job.id, R)
    h.hub.services["ailab"].tasks.clear()
    (done,) = await h.finish(runner, [job.id])
    assert done.state is JobState.FAILED and running.remote_id in done.error


# =========================================================================== actions
async def test_cancel_before_sending_charges_nothing(h):
    runner = h.runner()
    job = await runner.submit_generate(GenerateRequest("a girl"))
    cancelled = await runner.cancel(job.id)
    assert cancelled.state is JobState.CANCELLED and "nothing was charged" in cancelled.error
    await asyncio.sleep(0.05)
    assert h.requests("animeapi", "/api/generate") == 0
    assert h.journal.get(job.id).state is JobState.CANCELLED and runner.get(job.id).finished_at


async def test_cancel_while_sending_says_it_may_be_charged(h):
    h.hub.inject("animeapi", "latency", seconds=0.1)
    runner = h.runner()
    job = await runner.submit_generate(GenerateRequest("a girl"))
    await h.state(runner, job.id, S)
    cancelled = await runner.cancel(job.id)
    assert "may still make the image and charge for it" in cancelled.error
    await asyncio.sleep(0.15)
    assert runner.get(job.id).state is JobState.CANCELLED


async def test_cancel_running_task_stops_polling(h, samples):
    runner = h.runner()
    job = await runner.submit_cartoonize(samples / "photo.jpg", 5)
    await h.state(runner, job.id, R)
    cancelled = await runner.cancel(job.id)
    assert "may still finish it" in cancelled.error and cancelled.remote_id in cancelled.error
    polls = h.requests("ailab", "query-async")
    await asyncio.sleep(0.05)
    assert h.requests("ailab", "query-async") == polls
    assert not runner._tasks
    with pytest.raises(BadInput, match="already ended"):
        await runner.cancel(job.id)
    with pytest.raises(BadInput, match="no job"):
        await runner.cancel("doesnotexist")


async def test_retry_makes_a_new_job_from_the_same_parameters(h):
    h.hub.services["animeapi"].fail_next()
    runner = h.runner()
    job = await runner.submit_generate(GenerateRequest("a girl", orientation=Orientation.LANDSCAPE, enhance=False))
    (failed,) = await h.finish(runner, [job.id])
    assert failed.state is JobState.FAILED
    await asyncio.sleep(0.02)
    assert h.requests("animeapi", "/api/generate") == 1  # never retried by itself
    again = await runner.retry(job.id)
    assert again.id != job.id and again.state is Q
    assert {k: again.params[k] for k in ("prompt", "orientation", "enhance", "allow_nsfw")} == {
        "prompt": "a girl", "orientation": "landscape", "enhance": False, "allow_nsfw": False,
    }
    (done,) = await h.finish(runner, [again.id])
    assert done.state is OK
    check_image(done.result_path, "WEBP", (1280, 832))
    assert runner.get(job.id).state is JobState.FAILED
    assert [j.id for j in runner.list()] == [again.id, job.id]


async def test_retry_refuses_running_jobs_and_missing_sources(h, samples, tmp_path):
    runner = h.runner()
    photo = tmp_path / "copy.jpg"
    photo.write_bytes((samples / "photo.jpg").read_bytes())
    job = await runner.submit_cartoonize(photo, 2)
    await h.state(runner, job.id, R)
    with pytest.raises(BadInput, match="still running"):
        await runner.retry(job.id)
    await runner.cancel(job.id)
    photo.unlink()
    with pytest.raises(BadInput, match="no such file"):
        await runner.retry(job.id)


async def test_delete_keeps_the_file(h):
    runner = h.runner()
    seen = record(runner)
    job = await runner.submit_generate(GenerateRequest("a girl"))
    (done,) = await h.finish(runner, [job.id])
    before = len(seen)
    runner.delete(job.id)
    assert runner.get(job.id) is None and h.journal.get(job.id) is None and runner.list() == []
    assert Path(done.result_path).is_file()
    assert len(seen) == before + 1 and seen[-1][0] == job.id
    with pytest.raises(BadInput):
        runner.delete(job.id)


async def test_delete_refuses_running_jobs(h, samples):
    runner = h.runner()
    job = await runner.submit_cartoonize(samples / "photo.jpg", 2)
    with pytest.raises(BadInput, match="cancel it first"):
        runner.delete(job.id)


async def test_subscribe_unsubscribe_and_bell(h):
    rings: list[int] = []
    runner = h.runner(bell=lambda: rings.append(1))
    seen: list[Job] = []
    unsubscribe = runner.subscribe(seen.append)
    job = await runner.submit_generate(GenerateRequest("a girl"))
    await h.finish(runner, [job.id])
    assert [j.state for j in seen] == [Q, S, D, OK] and rings == [1]
    unsubscribe()
    unsubscribe()  # twice is harmless
    runner.subscribe(lambda job: 1 / 0)  # a broken subscriber does not break the runner
    second = await runner.submit_generate(GenerateRequest("a boy"))
    (done,) = await h.finish(runner, [second.id])
    assert done.state is OK and len(seen) == 4 and rings == [1, 1]


async def test_bad_input_creates_no_job(h, samples):
    runner = h.runner()
    with pytest.raises(BadInput, match="empty"):
        await runner.submit_generate(GenerateRequest("   "))
    with pytest.raises(BadInput, match="1,001 characters, 1 over"):
        await runner.submit_generate(GenerateRequest("x" * 1001))
    with pytest.raises(BadInput, match="no such file"):
        await runner.submit_cartoonize(samples / "missing.jpg", 2)
    with pytest.raises(BadInput, match="choose 0–8"):
        await runner.submit_cartoonize(samples / "photo.jpg", 9)
    with pytest.raises(BadInput, match="no job"):
        await runner.wait(["nope"])
    assert runner.list() == [] and h.journal.list() == []


async def test_bad_image_fails_the_job_with_the_providers_reason(h, samples):
    runner = h.runner()
    job = await runner.submit_cartoonize(samples / "tiny.png", 2)  # 120x90 < 256x256
    (done,) = await h.finish(runner, [job.id])
    assert done.state is JobState.FAILED and "256" in done.error
    assert h.requests("ailab", "ai-anime-generator") == 0


# =========================================================================== restart recovery
def orphan(h: Harness, job: Job, owner: str | None = "123-deadbeef") -> Job:
    """A row as a crashed runner left it (its lock file is gone, so it counts as dead)."""
    h.journal.insert(job, owner=owner)
    return job


def old_job(kind: JobKind, state: JobState, *, now: float, age: float = 10.0, **extra) -> Job:
    if kind is JobKind.GENERATE:
        provider, params = "animeapi", {"prompt": "a girl with blue hair", "orientation": "square", "allow_nsfw": False, "enhance": True}
    else:
        provider, params = "ailab", {"source": "/nowhere/photo.jpg", "style": 2, "style_name": "Two-dimensional (2D)"}
    fields = dict(
        id=os.urandom(6).hex(), kind=kind, provider=provider, params=params, state=state,
        created_at=now - age, updated_at=now - age, submitted_at=now - age if state is not Q else None,
    )
    fields.update(extra)
    return Job(**fields)


async def test_new_runner_resumes_polling_the_same_task(h, samples):
    first = h.runner()
    job = await first.submit_cartoonize(samples / "photo.jpg", 2)
    running = await h.state(first, job.id, R)
    await first.stop()
    assert h.journal.get(job.id).state is R and h.journal.owner_of(job.id) is None
    second = h.runner()
    await second.start()
    (done,) = await h.finish(second, [job.id], advance=7)
    assert done.state is OK and done.remote_id == running.remote_id
    assert h.requests("ailab", "ai-anime-generator") == 1


async def test_restart_rules(h, samples):
    now = h.hub.clock.now()
    url = "https://api.animeapi.com" + h.hub.store_file(scene(300, 300, fmt="WEBP"), "image/webp")
    h.downloads.mkdir(parents=True)
    saved = h.downloads / "2026-01-01_1200_already-here_abcdef.webp"
    saved.write_bytes(scene(300, 300, fmt="WEBP"))
    mid_request = orphan(h, old_job(JobKind.GENERATE, S, now=now))
    to_download = orphan(h, old_job(JobKind.GENERATE, D, now=now, result_url=url, balance_usd=1.5,
                                    result_path=str(h.downloads / "2026-01-01_1200_a-girl_0a0a0a.webp")))
    already_saved = orphan(h, old_job(JobKind.GENERATE, D, now=now, result_url="https://api.animeapi.com/sim-files/gone",
                                      result_path=str(saved)))
    queued = orphan(h, old_job(JobKind.GENERATE, Q, now=now), owner=None)
    stale = orphan(h, old_job(JobKind.CARTOONIZE, R, now=now, age=25 * 3600, remote_id="oldtask"))
    lost_id = orphan(h, old_job(JobKind.CARTOONIZE, S, now=now))
    ours = h.downloads / f".{to_download.result_path.rsplit('/', 1)[1]}.k3j4h5g6.part"
    ours.write_bytes(b"half a file")
    foreign = h.downloads / ".firefox-download.zip.abc12345.part"
    foreign.write_bytes(b"not ours")
    leftover = h.downloads / ".2026-01-01_1200_some-old-job_0b0b0b.webp.a1b2c3d4.part"  # no job downloads it now
    leftover.write_bytes(b"half a file")

    runner = h.runner()
    await runner.start()
    ids = [j.id for j in (mid_request, to_download, already_saved, queued, stale, lost_id)]
    jobs = {j.id: j for j in await h.finish(runner, ids)}

    assert jobs[mid_request.id].state is JobState.FAILED
    assert "outcome unknown" in jobs[mid_request.id].error and "may have been charged" in jobs[mid_request.id].error
    assert jobs[to_download.id].state is OK
    check_image(jobs[to_download.id].result_path, "WEBP", (300, 300))
    assert jobs[already_saved.id].state is OK and jobs[already_saved.id].result_path == str(saved)
    assert jobs[queued.id].state is OK and jobs[queued.id].attempts == 1
    assert jobs[stale.id].state is JobState.EXPIRED and jobs[stale.id].error == EXPIRED_TEXT
    assert jobs[lost_id.id].state is JobState.FAILED and "outcome unknown" in jobs[lost_id.id].error
    assert h.requests("animeapi", "/api/generate") == 1  # only the queued one was sent
    assert h.requests("ailab", "") == 0  # nothing polled or resubmitted
    assert not ours.exists() and not leftover.exists() and foreign.exists()
    assert runner.last_balance_usd == pytest.approx(jobs[queued.id].balance_usd)


async def test_last_balance_survives_a_restart(h):
    first = h.runner()
    job = await first.submit_generate(GenerateRequest("a girl"))
    await h.finish(first, [job.id])
    await first.stop()
    second = h.runner()
    assert second.last_balance_usd == pytest.approx(0.491)  # before start: read from the journal
    await second.start()
    assert second.last_balance_usd == pytest.approx(0.491)


async def test_stop_lets_a_paid_request_come_back_and_journals_it(h):
    h.hub.inject("animeapi", "latency", seconds=0.1)
    first = h.runner()
    job = await first.submit_generate(GenerateRequest("a girl"))
    await h.state(first, job.id, S)
    await first.stop(grace=5)
    row = h.journal.get(job.id)
    assert row.state is D and row.result_url  # the paid answer was kept, not thrown away
    second = h.runner()
    await second.start()
    (done,) = await h.finish(second, [job.id])
    assert done.state is OK and h.requests("animeapi", "/api/generate") == 1


async def test_stop_sends_no_new_paid_request_while_waiting_for_one(h):
    h.hub.inject("animeapi", "latency", seconds=0.1, times=None)
    first = h.runner(submit_slots=1)
    on_the_wire = await first.submit_generate(GenerateRequest("first girl"))
    waiting = await first.submit_generate(GenerateRequest("second girl"))
    await h.state(first, on_the_wire.id, S)
    assert first.get(waiting.id).state is Q
    await first.stop(grace=5)  # the slot frees while we wait: the queued one must not go out
    assert h.requests("animeapi", "/api/generate") == 1
    assert h.journal.get(waiting.id).state is Q and h.journal.get(on_the_wire.id).state is D
    h.hub.faults.clear()
    second = h.runner()
    done = await h.finish(second, [on_the_wire.id, waiting.id])
    assert [j.state for j in done] == [OK, OK] and h.requests("animeapi", "/api/generate") == 2


async def test_last_balance_is_from_the_latest_request_not_the_latest_download(h):
    now = h.hub.clock.now()
    earlier = old_job(JobKind.GENERATE, JobState.SUCCEEDED, now=now, age=100, balance_usd=0.5)
    later = old_job(JobKind.GENERATE, JobState.SUCCEEDED, now=now, age=50, balance_usd=0.4)
    h.journal.insert(dataclasses.replace(earlier, updated_at=now))  # its download ended last
    h.journal.insert(later)
    runner = h.runner()
    assert runner.last_balance_usd == pytest.approx(0.4)
    await runner.start()
    assert runner.last_balance_usd == pytest.approx(0.4)


async def test_a_failed_start_can_be_tried_again(h, monkeypatch):
    runner = h.runner()
    monkeypatch.setattr(h.journal, "revisions", lambda: (_ for _ in ()).throw(JournalError("disk on fire")))
    with pytest.raises(JournalError):
        await runner.start()
    assert not runner.running and not list(runner._lock.folder.glob("*.lock"))
    monkeypatch.undo()
    await runner.start()
    assert runner.running


async def test_an_unusable_data_dir_is_a_clear_error(h):
    (h.db.parent / f"{h.db.name}.runners").write_text("a file where the lock folder goes")
    runner = h.runner()
    with pytest.raises(JournalError, match="lock file"):
        await runner.start()


# =========================================================================== several runners
async def test_a_live_runners_jobs_are_watched_not_taken(h, samples):
    owner = h.runner()
    job = await owner.submit_cartoonize(samples / "photo.jpg", 2)
    await h.state(owner, job.id, R)
    watcher = h.runner(own_journal=True)
    await watcher.start()
    await asyncio.sleep(0.03)
    assert watcher.get(job.id).state is R and not watcher._tasks  # watched, not driven
    # a cancel from the other side reaches the owner through the journal
    await watcher.cancel(job.id)
    await h.state(owner, job.id, JobState.CANCELLED)
    await h.until(lambda: not owner._tasks)
    polls = h.requests("ailab", "query-async")
    await asyncio.sleep(0.05)
    assert h.requests("ailab", "query-async") == polls


async def test_a_cancel_elsewhere_wins_over_the_owners_next_write(h, samples):
    async def sleep(seconds: float) -> None:
        if seconds >= 3600:  # the sync tick: never, so the owner learns nothing before it writes
            await asyncio.Event().wait()
        await h.sleep(seconds)

    owner = h.runner(sync_interval=3600, sleep=sleep)
    job = await owner.submit_cartoonize(samples / "photo.jpg", 2)
    await h.state(owner, job.id, R)
    other = JobJournal(h.db)
    h.journals.append(other)
    row = other.get(job.id)
    assert other.update(dataclasses.replace(row, state=JobState.CANCELLED, error="cancelled elsewhere"), expect_state=R)
    h.hub.clock.advance(7)  # the task finishes; the owner's next write must not undo the cancel
    await h.until(lambda: not owner._tasks)
    assert owner.get(job.id).state is JobState.CANCELLED
    assert h.journal.get(job.id).state is JobState.CANCELLED and h.journal.get(job.id).error == "cancelled elsewhere"
    assert h.parts() == [] and not (h.downloads.exists() and any(h.downloads.iterdir()))


async def test_a_stopped_runners_jobs_are_adopted(h, samples):
    owner = h.runner()
    watcher = h.runner(own_journal=True)
    await watcher.start()
    job = await owner.submit_cartoonize(samples / "photo.jpg", 2)
    await h.state(watcher, job.id, R)  # seen through the journal
    await owner.stop()
    await h.until(lambda: job.id in watcher._tasks)  # adopted
    (done,) = await h.finish(watcher, [job.id], advance=7)
    assert done.state is OK and h.requests("ailab", "ai-anime-generator") == 1


# =========================================================================== concurrency
async def test_many_jobs_at_once_respect_the_caps(h, samples, monkeypatch):
    import animetui.jobs

    provider = h.providers.ailab
    active = {"submit": 0, "query": 0, "download": 0}
    peak = {"submit": 0, "query": 0, "download": 0}

    def counted(name: str, call):
        async def wrapper(*args, **kwargs):
            active[name] += 1
            peak[name] = max(peak[name], active[name])
            try:
                return await call(*args, **kwargs)
            finally:
                active[name] -= 1

        return wrapper

    provider.submit = counted("submit", provider.submit)
    provider.query = counted("query", provider.query)

    async def slow_download(*args, **kwargs):  # slow enough for downloads to overlap
        await asyncio.sleep(0.05)
        return await real_download(*args, **kwargs)

    real_download = animetui.jobs.net.download
    monkeypatch.setattr(animetui.jobs.net, "download", counted("download", slow_download))
    runner = h.runner()
    await runner.start()
    photo = samples / "art.webp"
    jobs = [await runner.submit_cartoonize(photo, n % 9) for n in range(20)]
    jobs += [await runner.submit_generate(GenerateRequest(f"girl number {n}")) for n in range(5)]
    await h.until(lambda: all(runner.get(j.id).state in (R, OK) for j in jobs))
    # a lookup elsewhere is not starved by 20 polling jobs
    started = time.monotonic()
    models = await asyncio.wait_for(h.providers.animetrace.list_models(), 2)
    assert models and time.monotonic() - started < 1.0
    h.hub.clock.advance(7)
    done = await asyncio.wait_for(runner.wait([j.id for j in jobs]), 30)
    assert all(j.state is OK for j in done), [j.error for j in done if j.state is not OK]
    assert peak["submit"] <= SUBMIT_SLOTS == 4 and peak["query"] <= POLL_SLOTS == 2
    assert 2 <= peak["download"] <= DOWNLOAD_SLOTS == 4
    assert len({j.result_path for j in done}) == 25 and h.parts() == []
    # every AILab request went through the provider's rate limiter
    assert h.ailab_limiter.acquired >= len(h.hub.requests_to("ailab"))


# =========================================================================== a real kill -9
async def _read_until(proc: asyncio.subprocess.Process, seen: dict[str, tuple[str, str]], done: Callable[[], bool], timeout: float = 30) -> list[str]:
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"child did not get there; saw {seen}")
        try:
            raw = await asyncio.wait_for(proc.stdout.readline(), 0.02)
        except TimeoutError:
            continue
        if not raw:
            raise AssertionError(f"child exited early (rc={await proc.wait()}); saw {seen}")
        line = raw.decode().strip()
        lines.append(line)
        if line.startswith("{"):
            event = json.loads(line)
            seen[event["id"]] = (event["kind"], event["state"])
    return lines


def _count(seen: dict[str, tuple[str, str]], kind: str, *wanted: str) -> int:
    return sum(1 for k, s in seen.values() if k == kind and s in wanted)


@pytest.mark.slow
@pytest.mark.loopback
async def test_sigkill_mid_poll_and_mid_download_loses_nothing(tmp_path, hub, samples):
    from animetui.simulator.server import serve

    child_script = Path(__file__).with_name("jobs_child.py")
    db = tmp_path / "data" / "animetui.db"
    downloads = tmp_path / "downloads"
    stderr_path = tmp_path / "child-stderr.txt"

    async def spawn(*extra: str) -> asyncio.subprocess.Process:
        with stderr_path.open("ab") as errors:  # the child keeps its own copy of the descriptor
            return await asyncio.create_subprocess_exec(
                sys.executable, str(child_script), "--db", str(db), "--downloads", str(downloads),
                "--base-url", base_url, "--poll", "0.05", *extra,
                stdout=asyncio.subprocess.PIPE, stderr=errors,
            )

    async def kill(proc: asyncio.subprocess.Process) -> None:
        proc.send_signal(signal.SIGKILL)
        assert await proc.wait() == -signal.SIGKILL

    def parts() -> list[Path]:
        return list(downloads.glob(".*.part")) if downloads.exists() else []

    def parts_of(seen: dict[str, tuple[str, str]], kind: str) -> list[Path]:
        """Half-written results of ``kind`` jobs (a result's name ends with the job id's first 6)."""
        ids = [job_id[:6] for job_id, (k, _state) in seen.items() if k == kind]
        return [p for p in parts() if any(f"_{i}." in p.name for i in ids)]

    async with serve(hub) as base_url:
        # 1. three generations and three conversions; killed while AILab polls and a download streams
        seen: dict[str, tuple[str, str]] = {}
        child = await spawn("--generate", "3", "--cartoonize", "3", "--photo", str(samples / "photo.jpg"), "--slow")
        await _read_until(
            child, seen,
            lambda: _count(seen, "cartoonize", "running") == 3
            and _count(seen, "generate", "downloading", "succeeded") == 3
            and bool(parts_of(seen, "generate")),
        )
        await kill(child)
        journal = JobJournal(db)
        assert len(journal.list()) == 6  # nothing lost
        polling = [j for j in journal.list() if j.kind is JobKind.CARTOONIZE]
        assert all(j.state is R and j.remote_id for j in polling)  # killed mid-poll
        assert parts_of(seen, "generate")  # a half-written file was left behind by the kill …
        assert not [p for p in downloads.iterdir() if not p.name.startswith(".")
                    and not _complete(p)]  # … but never under a final name

        # 2. resumed; the tasks finish; killed while a result is half downloaded
        hub.clock.advance(7)
        seen = {}
        child = await spawn("--slow")
        await _read_until(child, seen, lambda: bool(parts_of(seen, "cartoonize")))
        await kill(child)
        assert len(journal.list()) == 6
        assert any(j.state is D and j.kind is JobKind.CARTOONIZE for j in journal.list())  # killed mid-download

        # 3. resumed again, at full speed: everything finishes
        child = await spawn()
        out, _ = await asyncio.wait_for(child.communicate(), 60)
        assert child.returncode == 0, stderr_path.read_text()[-3000:]
        lines = out.decode().splitlines()
        assert lines[-1].startswith("ALL-DONE")

    jobs = journal.list()
    journal.close()
    assert len(jobs) == 6 and all(j.state is OK for j in jobs), [(j.kind, j.state, j.error) for j in jobs]
    for job in jobs:
        check_image(job.result_path, "WEBP" if job.kind is JobKind.GENERATE else "JPEG")
    assert sorted(p.name for p in downloads.iterdir()) == sorted(Path(j.result_path).name for j in jobs)  # no strays
    assert len(hub.services["animeapi"].charges) == 3  # nobody paid twice
    assert sum(1 for r in hub.requests_to("ailab") if "ai-anime-generator" in r.path) == 3


def _complete(path: Path) -> bool:
    try:
        with Image.open(path) as image:
            image.load()
        return True
    except Exception:  # noqa: BLE001
        return False
