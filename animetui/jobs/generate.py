"""Text-to-image with AnimeAPI: one paid request, then the result download.

* ``SUBMITTING`` is committed only once the provider's rate limiter has a slot
  (:meth:`~animetui.providers.base.PaidWork.slot_wait`), so the row means "the POST is on the
  wire". An answer the provider calls safe to resubmit (a 429:
  :meth:`~animetui.providers.base.PaidWork.is_safe_to_resubmit`) puts the job back to ``QUEUED``
  and waits for the limiter / ``Retry-After``; nothing was charged. A timeout, drop or 5xx after
  sending → ``FAILED`` "may have been charged — check your balance"; never sent again by itself.
  On success the ``image_url``, the ``balance_usd`` and the provider's ``cost_usd`` are committed
  with ``DOWNLOADING`` and the image is fetched at once.
* Restart: a job caught in ``SUBMITTING`` (or ``DOWNLOADING`` without a link) → ``FAILED``
  "outcome unknown …" (it may have been charged); ``DOWNLOADING`` jobs download again.
* The result lifetime on AnimeAPI's CDN is not documented; AILabTools' 24 h is used. The file is
  WEBP unless its bytes or URL say otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from animetui.errors import AnimetuiError, BadInput
from animetui.jobs.files import slug
from animetui.jobs.kind import MAX_REQUEUES, JobContext, describe_as, requeue_delay
from animetui.models import GeneratedImage, GenerateRequest, Job, JobKind, JobState, Orientation

MAX_PROMPT = 1000  # AnimeAPI docs: "max 1000 characters"
OUTCOME_UNKNOWN = (
    "outcome unknown — animetui stopped while the request was being sent; "
    "the request may have been charged; check your balance"
)


def request_of(params: Mapping[str, Any]) -> GenerateRequest:
    """The journalled parameters as the provider's request."""
    return GenerateRequest(
        prompt=str(params.get("prompt", "")),
        orientation=Orientation(str(params.get("orientation", Orientation.PORTRAIT.value))),
        allow_nsfw=bool(params.get("allow_nsfw", False)),
        enhance=bool(params.get("enhance", True)),
    )


def params_of(request: GenerateRequest) -> dict[str, Any]:
    return {
        "prompt": request.prompt,
        "orientation": request.orientation,
        "allow_nsfw": request.allow_nsfw,
        "enhance": request.enhance,
    }


def _error(exc: AnimetuiError) -> str:
    text = exc.message
    if exc.maybe_charged and "may have been charged" not in text:
        text += " — the request may have been charged; check your balance"
    return text


class GenerateKind:
    name: str = JobKind.GENERATE
    provider = "animeapi"
    title = "Text-to-image"
    label = "text→image"
    short = "gen"
    default_suffix = ".webp"
    result_lifetime = 24 * 3600.0
    retry_title = "Generate this image again?"
    retry_yes = "Generate"
    subject_is_file = False

    def validate(self, params: Mapping[str, Any]) -> dict[str, Any]:
        raw = params.get("prompt", "")
        prompt = raw.strip() if isinstance(raw, str) else ""
        if not prompt:
            raise BadInput("the prompt is empty: describe the image to generate", provider=self.provider)
        if len(prompt) > MAX_PROMPT:
            raise BadInput(
                f"the prompt is {len(prompt):,} characters, {len(prompt) - MAX_PROMPT:,} over AnimeAPI's limit "
                f"of {MAX_PROMPT:,}: shorten it",
                provider=self.provider,
            )
        chosen = params.get("orientation", Orientation.PORTRAIT.value)
        try:
            orientation = Orientation(getattr(chosen, "value", chosen))
        except ValueError:
            raise BadInput(
                f"unknown orientation {chosen!r}: choose portrait, square or landscape",
                provider=self.provider,
            ) from None
        return {
            "prompt": prompt,
            "orientation": orientation.value,
            "allow_nsfw": bool(params.get("allow_nsfw", False)),
            "enhance": bool(params.get("enhance", True)),
        }

    async def drive(self, job: Job, ctx: JobContext, *, first_poll_delay: float | None) -> None:
        if job.state is JobState.DOWNLOADING:
            await ctx.download(job)
            return
        provider = ctx.provider(self.provider)  # ImageGenerator + PaidWork
        request = request_of(job.params)
        requeues = 0
        delay = 0.0
        while True:
            async with ctx.submit_slot(self.provider):
                # Wait for a slot *before* saying "submitting": from the commit below to the
                # provider taking its token there is no await, so the row means "on the wire".
                while (wait := provider.slot_wait()) > 0:
                    await ctx.sleep(wait)
                if ctx.stopping:  # never send a new paid request while stopping; it stays queued
                    return
                job = ctx.commit(
                    job,
                    state=JobState.SUBMITTING,
                    attempts=job.attempts + 1,
                    submitted_at=ctx.clock(),
                    error="",
                )
                try:
                    image: GeneratedImage = await provider.generate(request)
                except AnimetuiError as exc:
                    if not provider.is_safe_to_resubmit(exc):
                        ctx.commit(job, state=JobState.FAILED, error=_error(exc))
                        return
                    requeues += 1
                    if requeues > MAX_REQUEUES:
                        ctx.commit(
                            job,
                            state=JobState.FAILED,
                            error=f"{exc.message} — still refused after {MAX_REQUEUES} tries (nothing was charged); retry later",
                        )
                        return
                    delay = requeue_delay(exc, provider.slot_wait(), requeues)
                    job = ctx.commit(job, state=JobState.QUEUED, error=f"{exc.message}; trying again in {delay:.0f} s")
            if job.state is JobState.QUEUED:
                await ctx.sleep(delay)
                continue
            break
        params = dict(job.params)
        if image.enhanced_prompt:
            params["enhanced_prompt"] = image.enhanced_prompt
        job = await ctx.save(
            job,
            state=JobState.DOWNLOADING,
            params=params,
            result_url=image.image_url,
            result_path=str(ctx.destination(job, image.image_url)),
            balance_usd=image.balance_usd,
            cost_usd=provider.cost_usd,
        )
        if ctx.stopping:  # journalled; the download resumes on the next start
            return
        await ctx.download(job)

    def settle(self, job: Job, ctx: JobContext) -> Job:
        if job.state in (JobState.SUBMITTING, JobState.RUNNING):
            return ctx.commit(job, state=JobState.FAILED, error=OUTCOME_UNKNOWN)
        if job.state is JobState.DOWNLOADING and not job.result_url:
            return ctx.commit(job, state=JobState.FAILED, error=OUTCOME_UNKNOWN)
        return job

    def failed_unexpectedly(self, job: Job, exc: BaseException) -> str:
        if job.state is JobState.SUBMITTING:
            return OUTCOME_UNKNOWN
        return f"unexpected error ({type(exc).__name__}: {exc}); the job was stopped"

    def subject(self, job: Job) -> str:
        return str(job.params.get("prompt", ""))

    def headline(self, job: Job) -> str:
        return self.subject(job) or "(no prompt)"

    def options(self, job: Job) -> str:
        chosen = [str(job.params.get("orientation", ""))]
        if job.params.get("allow_nsfw"):
            chosen.append("NSFW allowed")
        if not job.params.get("enhance", True):
            chosen.append("no enhance")
        return ", ".join(o for o in chosen if o)

    def describe(self, job: Job) -> str:
        return describe_as("Generation", self.subject(job), job)

    def cancel_text(self, job: Job) -> str:
        if job.state is JobState.QUEUED:
            return "cancelled before it was sent; nothing was charged"
        if job.state is JobState.SUBMITTING:
            return "cancelled while the request was being sent; AnimeAPI may still make the image and charge for it — check your balance"
        if job.state is JobState.RUNNING:  # AnimeAPI jobs never poll; the words of a generic task
            return f"stopped watching task {job.remote_id}; AnimeAPI may still finish it (it may be charged)"
        return (
            "cancelled before the result was saved; it was already paid for — "
            "the result link is kept with the job"
        )

    def file_slug(self, job: Job) -> str:
        return slug(self.subject(job))

    def cost_text(self, *, balance_usd: float | None, credits_left: float | None) -> str:
        from animetui.providers.specs.animeapi import COST_USD

        text = f"This image costs ${COST_USD:.3f}, charged to your AnimeAPI balance"
        if balance_usd is not None:
            text += f" (${balance_usd:,.2f} as of the last image: about {int(balance_usd / COST_USD + 1e-9):,} images)"
        return text + "."


GENERATE = GenerateKind()
