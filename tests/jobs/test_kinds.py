"""A job kind is a module behind the Kind protocol: a third, dummy kind registered here gets its own
wording, cancel text, restart rule and file names everywhere (runner, toast, Jobs pane, CLI),
and never the photo-to-anime or text-to-image words. A row of a kind nobody registered is left
alone and described neutrally."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from animetui.errors import BadInput, RateLimited
from animetui.jobs import JobContext, JobRunner, Kind, describe, kinds
from animetui.jobs.kind import describe_as
from animetui.models import Job, JobState
from animetui.net import make_client
from animetui.store import JobJournal

UPSCALE_WORDS = "Upscaling"


def png(size: tuple[int, int] = (32, 24)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 90)).save(buffer, "PNG")
    return buffer.getvalue()


class UpscaleService:
    """A stand-in provider: PaidWork (price, safe to resubmit, slot wait) and an ``upscale`` call."""

    name = "upscaler"
    cost_usd: float | None = 0.5

    def __init__(self, *, refuse_first: int = 0, hold: asyncio.Event | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.refuse_first = refuse_first
        self.hold = hold

    def is_safe_to_resubmit(self, exc: BaseException) -> bool:
        return isinstance(exc, RateLimited)

    def slot_wait(self) -> float:
        return 0.0

    async def upscale(self, source: str, factor: int) -> str:
        self.calls.append({"source": source, "factor": factor})
        if self.hold is not None:
            await self.hold.wait()
        if len(self.calls) <= self.refuse_first:
            raise RateLimited("slow down", retry_after=1.0, provider=self.name)
        return "https://cdn.upscaler.test/result/abc"  # no extension: the bytes decide


class UpscaleKind:
    name = "upscale"
    provider = "upscaler"
    title = "Upscale"
    label = "upscale×"
    short = "up"
    default_suffix = ".png"
    result_lifetime = 3600.0
    retry_title = "Upscale this picture again?"
    retry_yes = "Upscale"
    subject_is_file = True

    def validate(self, params: Mapping[str, Any]) -> dict[str, Any]:
        factor = params.get("factor")
        if factor not in (2, 4):
            raise BadInput(f"factor {factor!r}: choose 2 or 4", provider=self.provider)
        return {"source": str(params.get("source", "")), "factor": factor}

    async def drive(self, job: Job, ctx: JobContext, *, first_poll_delay: float | None) -> None:
        if job.state is JobState.DOWNLOADING:
            await ctx.download(job)
            return
        service = ctx.provider(self.provider)
        while True:
            async with ctx.submit_slot(self.provider):
                if ctx.stopping:
                    return
                job = ctx.commit(job, state=JobState.SUBMITTING, attempts=job.attempts + 1, submitted_at=ctx.clock())
                try:
                    url = await service.upscale(job.params["source"], job.params["factor"])
                except RateLimited as exc:
                    if not service.is_safe_to_resubmit(exc):
                        raise
                    job = ctx.commit(job, state=JobState.QUEUED, error="the upscaler is busy; trying again")
                    await ctx.sleep(exc.retry_after or 1.0)
                    continue
            break
        job = await ctx.save(job, state=JobState.DOWNLOADING, result_url=url,
                             result_path=str(ctx.destination(job, url)), cost_usd=service.cost_usd)
        await ctx.download(job)

    def settle(self, job: Job, ctx: JobContext) -> Job:
        if job.state is JobState.SUBMITTING:
            return ctx.commit(job, state=JobState.FAILED, error="upscale outcome unknown — the upscaler may have charged")
        return job

    def failed_unexpectedly(self, job: Job, exc: BaseException) -> str:
        return f"the upscaler driver broke ({exc})"

    def subject(self, job: Job) -> str:
        return str(job.params.get("source", ""))

    def headline(self, job: Job) -> str:
        return f"{Path(self.subject(job)).name} ×{job.params.get('factor')}"

    def options(self, job: Job) -> str:
        return f"×{job.params.get('factor')}"

    def describe(self, job: Job) -> str:
        return describe_as(UPSCALE_WORDS, Path(self.subject(job)).name, job)

    def cancel_text(self, job: Job) -> str:
        return "upscale cancelled; the upscaler charges only finished pictures"

    def file_slug(self, job: Job) -> str:
        return f"upscaled-x{job.params.get('factor')}"

    def cost_text(self, *, balance_usd: float | None, credits_left: float | None) -> str:
        return "Upscaling costs $0.50."


class Registry:
    """What the runner needs of ``animetui.providers.Providers``: ``get``, ``downloads``, ``settings``."""

    def __init__(self, service: UpscaleService, image: bytes) -> None:
        self.service = service
        self.settings = None

        def handler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, content=image, headers={"Content-Type": "image/png"})

        self.downloads = make_client("", transport=httpx.MockTransport(handler))

    def get(self, name: str) -> Any:
        if name != self.service.name:
            raise KeyError(name)
        return self.service


@pytest.fixture
def upscale():
    kind = kinds.register(UpscaleKind())
    yield kind
    kinds.unregister(kind.name)


async def fast_sleep(seconds: float) -> None:
    await asyncio.sleep(0)


def runner_for(tmp_path: Path, service: UpscaleService, journal: JobJournal | None = None) -> JobRunner:
    journal = journal or JobJournal(tmp_path / "jobs.sqlite3")
    return JobRunner(Registry(service, png()), journal, downloads_dir=tmp_path / "out", sleep=fast_sleep, sync_interval=0.01)


def test_the_dummy_follows_the_protocol(upscale):
    assert isinstance(upscale, Kind)
    assert kinds.find("upscale") is upscale and upscale in kinds.all_kinds()
    with pytest.raises(TypeError):
        kinds.register(object())  # type: ignore[arg-type]


async def test_a_registered_kind_runs_end_to_end_with_its_own_words_and_file_name(tmp_path, upscale):
    service = UpscaleService(refuse_first=1)
    runner = runner_for(tmp_path, service)
    await runner.start()
    try:
        with pytest.raises(BadInput, match="choose 2 or 4"):
            await runner.submit("upscale", {"source": "/pics/cat.png", "factor": 3})
        job = await runner.submit("upscale", {"source": "/pics/cat.png", "factor": 4})
        assert job.kind == "upscale" and job.provider == "upscaler"
        (done,) = await runner.wait([job.id])
    finally:
        await runner.stop()
    assert done.state is JobState.SUCCEEDED, done.error
    assert len(service.calls) == 2  # refused once (not charged: the provider said so), then sent again
    name = Path(done.result_path).name
    stamp = time.strftime("%Y-%m-%d_%H%M", time.localtime(done.created_at))
    assert name == f"{stamp}_upscaled-x4_{done.id[:6]}.png"  # the kind's slug; the bytes' format
    assert done.cost_usd == 0.5  # the provider's declared price, journalled
    text = describe(done)
    assert text.startswith("Upscaling “cat.png” done → ") and "Photo-to-anime" not in text and "Generation" not in text
    # the journal keeps the kind by name: a fresh read gives it back as such
    assert JobJournal(tmp_path / "jobs.sqlite3").get(done.id).kind == "upscale"


async def test_cancel_and_restart_rules_are_the_kinds(tmp_path, upscale):
    hold = asyncio.Event()
    service = UpscaleService(hold=hold)
    runner = runner_for(tmp_path, service)
    job = await runner.submit("upscale", {"source": "/pics/dog.jpg", "factor": 2})
    while not service.calls:
        await asyncio.sleep(0.001)
    cancelled = await runner.cancel(job.id)
    assert cancelled.error == "upscale cancelled; the upscaler charges only finished pictures"
    assert "AILabTools" not in cancelled.error and "AnimeAPI" not in cancelled.error
    await runner.stop(grace=0)

    # a job left in SUBMITTING by a runner that died: the kind's settle rule decides
    journal = JobJournal(tmp_path / "jobs.sqlite3")
    stuck = Job(id="0123456789ab", kind="upscale", provider="upscaler", params={"source": "/pics/owl.png", "factor": 2},
                state=JobState.SUBMITTING, created_at=time.time(), updated_at=time.time(), submitted_at=time.time())
    journal.insert(stuck, owner=None)
    again = runner_for(tmp_path, UpscaleService(), journal)
    await again.start()
    try:
        settled = again.get(stuck.id)
    finally:
        await again.stop()
    assert settled.state is JobState.FAILED and settled.error.startswith("upscale outcome unknown")
    assert describe(settled).startswith("Upscaling “owl.png” failed: ")


def test_the_jobs_pane_and_the_cli_word_it_through_the_kind(upscale, capsys):
    from animetui import locations
    from animetui.cli import main
    from animetui.ui.panes.jobs import job_summary

    job = Job(id="fedcba987654", kind="upscale", provider="upscaler", params={"source": "/pics/cat.png", "factor": 4},
              state=JobState.FAILED, created_at=1.0, updated_at=2.0, error="boom")
    assert job_summary(job) == "cat.png ×4"
    assert kinds.kind_of(job).retry_title == "Upscale this picture again?"
    journal = JobJournal(locations.jobs_db(locations.data_dir()))
    journal.insert(job, owner=None)
    journal.close()
    assert main(["jobs", "list"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("fedcba98"))
    assert row.split()[:3] == ["fedcba98", "upscale", "/pics/cat.png"] and "boom" in row


async def test_a_kind_nobody_registered_is_left_alone_and_described_neutrally(tmp_path):
    journal = JobJournal(tmp_path / "jobs.sqlite3")
    now = time.time()
    alien = Job(id="a1a1a1a1a1a1", kind="teleport", provider="beam", params={"to": "Mars"},
                state=JobState.QUEUED, created_at=now, updated_at=now)
    journal.insert(alien, owner=None)
    runner = runner_for(tmp_path, UpscaleService(), journal)
    await runner.start()
    try:
        assert await asyncio.wait_for(runner.wait(), 2) == []  # nothing this runner could drive
        assert runner.get(alien.id).state is JobState.QUEUED  # untouched: a newer animetui may run it
    finally:
        await runner.stop()
    text = describe(alien)
    assert "teleport" in text and "Photo-to-anime" not in text and "Generation" not in text
    with pytest.raises(BadInput, match="unknown job kind"):
        await runner_for(tmp_path, UpscaleService(), journal).submit("teleport", {})


async def test_the_paid_providers_declare_price_resubmit_and_wait_in_the_protocol(providers):
    from animetui.errors import Busy, ServerError
    from animetui.providers.base import PaidWork

    animeapi, ailab = providers.animeapi, providers.ailab
    assert isinstance(animeapi, PaidWork) and isinstance(ailab, PaidWork)
    assert animeapi.cost_usd == pytest.approx(0.009) and ailab.cost_usd is None
    assert animeapi.is_safe_to_resubmit(RateLimited("slow", provider="animeapi"))
    assert not animeapi.is_safe_to_resubmit(Busy("busy", provider="animeapi"))  # a 503 after sending may be charged
    assert ailab.is_safe_to_resubmit(Busy("busy", provider="ailab"))
    assert not ailab.is_safe_to_resubmit(ServerError("odd", provider="ailab", maybe_charged=True))
    assert animeapi.slot_wait() == 0.0
    animeapi.ctx.limiter.block_for(30)
    assert 29 < animeapi.slot_wait() <= 30
