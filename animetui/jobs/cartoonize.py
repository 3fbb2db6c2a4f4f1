"""Photo-to-anime with AILabTools: submit, poll the task, download the result.

* Submit (``SUBMITTING`` → ``RUNNING`` with the task id); an answer the provider calls safe to
  resubmit (a 503/429 that says nothing was done) → back to ``QUEUED``; out of credits →
  ``FAILED``.
* Poll about every ``providers.ailab.poll_interval`` (+0–10 % jitter), backing off on Busy /
  RateLimited (their ``retry_after`` honoured) and network trouble; a finished task is
  downloaded at once; a task not fetched within 24 h of its submission is ``EXPIRED`` (the docs:
  results live 24 h; the service's own answer is :class:`~animetui.errors.ResultExpired`).
* Restart: ``SUBMITTING`` without a task id → ``FAILED`` "outcome unknown" (it may have used a
  credit); ``RUNNING`` jobs keep polling their task id; jobs past 24 h → ``EXPIRED``.
* The file is JPEG unless its bytes or URL say otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from animetui.errors import AnimetuiError, BadInput, Busy, NetworkError, NotFound, RateLimited, ResultExpired, ServerError
from animetui.jobs.files import MAX_BACKOFF, slug
from animetui.jobs.kind import MAX_REQUEUES, JobContext, describe_as, requeue_delay, too_old
from animetui.models import CARTOON_STYLES, ImageSource, Job, JobKind, JobState, TaskStatus

RESULT_LIFETIME = 24 * 3600.0  # AILabTools: "results are valid for 24 hours"
MAX_ODD_ANSWERS = 10  # consecutive unreadable poll answers before a job gives up
CREDITS_PER_PHOTO = 1
OUTCOME_UNKNOWN = (
    "outcome unknown — animetui stopped while the photo was being sent; "
    "AILabTools may have started the task and used a credit, but its id never reached the journal"
)
EXPIRED_TEXT = "the result was not fetched within 24 h of the submission; AILabTools no longer keeps it"


def _submit_error(exc: AnimetuiError) -> str:
    text = exc.message
    if exc.maybe_charged and "credit" not in text:
        text += " — AILabTools may have started the task and used a credit"
    return text


class CartoonizeKind:
    name: str = JobKind.CARTOONIZE
    provider = "ailab"
    title = "Photo-to-anime"
    label = "photo→anime"
    short = "anime"
    default_suffix = ".jpg"
    result_lifetime = RESULT_LIFETIME
    retry_title = "Convert this photo again?"
    retry_yes = "Convert"
    subject_is_file = True

    def validate(self, params: Mapping[str, Any]) -> dict[str, Any]:
        style = params.get("style")
        if isinstance(style, bool) or not isinstance(style, int) or not 0 <= style < len(CARTOON_STYLES):
            choices = ", ".join(f"{i} {name}" for i, name in enumerate(CARTOON_STYLES))
            raise BadInput(f"style {style!r} does not exist; choose 0–8: {choices}", provider=self.provider)
        path = Path(str(params.get("source", ""))).expanduser()
        try:
            path = path.resolve()
        except OSError:
            pass
        if not path.exists():
            raise BadInput(f"{path}: no such file", provider=self.provider)
        if not path.is_file():
            raise BadInput(f"{path}: not a file", provider=self.provider)
        return {"source": str(path), "style": style, "style_name": CARTOON_STYLES[style]}

    async def drive(self, job: Job, ctx: JobContext, *, first_poll_delay: float | None) -> None:
        provider = ctx.provider(self.provider)  # Cartoonizer + PaidWork
        if job.state is JobState.QUEUED:
            job = await self._submit(job, ctx, provider)
            if job.state is not JobState.RUNNING or ctx.stopping:
                return
        if job.state is JobState.RUNNING:
            job = await self._poll(job, ctx, provider, first_poll_delay)
            if job.state is not JobState.DOWNLOADING:
                return
        if job.state is JobState.DOWNLOADING:
            await ctx.download(job)

    async def _submit(self, job: Job, ctx: JobContext, provider: Any) -> Job:
        source = ImageSource(path=Path(str(job.params.get("source", ""))))
        style = int(job.params.get("style", 0))
        requeues = 0
        while True:
            async with ctx.submit_slot(self.provider):
                if ctx.stopping:  # it stays queued for the next start
                    return job
                job = ctx.commit(
                    job,
                    state=JobState.SUBMITTING,
                    attempts=job.attempts + 1,
                    submitted_at=ctx.clock(),
                    error="",
                )
                try:
                    task_id = await provider.submit(source, style=style)
                except AnimetuiError as exc:
                    if not provider.is_safe_to_resubmit(exc):
                        return ctx.commit(job, state=JobState.FAILED, error=_submit_error(exc))
                    requeues += 1
                    if requeues > MAX_REQUEUES:
                        return ctx.commit(
                            job,
                            state=JobState.FAILED,
                            error=f"{exc.message} — still refused after {MAX_REQUEUES} tries (no credit used); retry later",
                        )
                    delay = requeue_delay(exc, 0.0, requeues)
                    job = ctx.commit(job, state=JobState.QUEUED, error=f"{exc.message}; trying again in {delay:.0f} s")
                else:
                    return await ctx.save(job, state=JobState.RUNNING, remote_id=task_id)
            await ctx.sleep(delay)

    async def _poll(self, job: Job, ctx: JobContext, provider: Any, first_delay: float | None) -> Job:
        assert job.remote_id is not None
        interval = ctx.poll_interval_for(self.provider)
        delay = ctx.jittered(interval) if first_delay is None else first_delay
        troubles = 0
        odd = 0
        while True:
            if too_old(job, self.result_lifetime, ctx.clock()):
                return ctx.commit(job, state=JobState.EXPIRED, error=EXPIRED_TEXT)
            await ctx.sleep(delay)
            try:
                async with ctx.poll_slot(self.provider):
                    info = await provider.query(job.remote_id)
            except NotFound as exc:
                if isinstance(exc, ResultExpired) or too_old(job, self.result_lifetime, ctx.clock()):
                    return ctx.commit(job, state=JobState.EXPIRED, error=exc.message)
                return ctx.commit(
                    job,
                    state=JobState.FAILED,
                    error=f"{exc.message} — AILabTools no longer knows task {job.remote_id}",
                )
            except (RateLimited, Busy, NetworkError, ServerError) as exc:
                troubles += 1
                if isinstance(exc, ServerError) and not exc.retryable:
                    odd += 1
                    if odd >= MAX_ODD_ANSWERS:
                        return ctx.commit(
                            job,
                            state=JobState.FAILED,
                            error=f"{exc.message} (task {job.remote_id}; {odd} unreadable answers in a row)",
                        )
                backoff = min(MAX_BACKOFF, interval * 2.0 ** min(troubles, 6))
                delay = ctx.jittered(max(backoff, exc.retry_after or 0.0))
                text = f"{exc.message}; polling less often"
                if job.error != text:
                    job = ctx.commit(job, error=text)
                continue
            except AnimetuiError as exc:  # auth, bad input: polling again would not help
                return ctx.commit(job, state=JobState.FAILED, error=f"{exc.message} (task {job.remote_id})")
            troubles = odd = 0
            delay = ctx.jittered(interval)
            if job.error:
                job = ctx.commit(job, error="")
            if info.status is TaskStatus.SUCCEEDED and info.result_url:
                return await ctx.save(
                    job,
                    state=JobState.DOWNLOADING,
                    result_url=info.result_url,
                    result_path=str(ctx.destination(job, info.result_url)),
                )
            if info.status is TaskStatus.SUCCEEDED or info.status is TaskStatus.FAILED:
                detail = info.detail or "the service could not convert the photo"
                return ctx.commit(job, state=JobState.FAILED, error=f"AILabTools: {detail}")

    def settle(self, job: Job, ctx: JobContext) -> Job:
        if job.state is not JobState.QUEUED and too_old(job, self.result_lifetime, ctx.clock()):
            return ctx.commit(job, state=JobState.EXPIRED, error=EXPIRED_TEXT)
        if job.state is JobState.SUBMITTING and not job.remote_id:
            return ctx.commit(job, state=JobState.FAILED, error=OUTCOME_UNKNOWN)
        if job.state is JobState.SUBMITTING:
            return ctx.commit(job, state=JobState.RUNNING)
        if job.state is JobState.DOWNLOADING and not job.result_url:
            return ctx.commit(job, state=JobState.RUNNING)
        return job

    def failed_unexpectedly(self, job: Job, exc: BaseException) -> str:
        return f"unexpected error ({type(exc).__name__}: {exc}); the job was stopped"

    def subject(self, job: Job) -> str:
        return str(job.params.get("source", ""))

    def headline(self, job: Job) -> str:
        source = Path(self.subject(job)).name or "?"
        style = str(job.params.get("style_name", "") or "")
        return f"{source} · {style}" if style else source

    def options(self, job: Job) -> str:
        return str(job.params.get("style_name", "") or "")

    def describe(self, job: Job) -> str:
        return describe_as("Photo-to-anime", Path(self.subject(job)).name, job)

    def cancel_text(self, job: Job) -> str:
        if job.state is JobState.QUEUED:
            return "cancelled before it was sent; no credit used"
        if job.state is JobState.SUBMITTING:
            return "cancelled while the photo was being sent; AILabTools may still run the task and use a credit"
        if job.state is JobState.RUNNING:
            return (
                f"stopped watching task {job.remote_id}; AILabTools may still finish it "
                "(the credit is already used)"
            )
        return (
            "cancelled before the result was saved; it was already paid for — "
            "the result link is kept with the job"
        )

    def file_slug(self, job: Job) -> str:
        source = Path(self.subject(job)).stem
        return slug(f"{source} {job.params.get('style_name', '')}")

    def cost_text(self, *, balance_usd: float | None, credits_left: float | None) -> str:
        text = f"Converting this photo costs {CREDITS_PER_PHOTO} AILabTools credit"
        if credits_left is not None:
            text += f" ({credits_left:,.0f} left)"
        return text + "."


CARTOONIZE = CartoonizeKind()
