"""The protocol a job kind follows (:class:`Kind`), and what the runner lends it (:class:`JobContext`).

A kind is everything about one sort of job that is not the generic journal-first lifecycle: how
its parameters are checked, how it is driven through ``SUBMITTING`` / ``RUNNING`` / ``DOWNLOADING``
with its provider, what the restart rules are for a job found half-way, and every word a user
reads about it (the list cell, the detail line, the toast, the cancel note, the result's file name).
The runner (:mod:`animetui.jobs.runner`) knows none of that; it asks the job's kind, found in the
registry (:mod:`animetui.jobs.kinds`) by the journal's ``kind`` column.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from animetui.errors import AnimetuiError
from animetui.models import Job, JobState


class JobContext(Protocol):
    """What the runner gives a kind's driver: journal writes, waits, slots, the result download."""

    @property
    def stopping(self) -> bool:
        """The runner is stopping: send no *new* paid request (the job stays queued)."""

    def poll_interval_for(self, provider: str) -> float:
        """Seconds between polls of ``provider``'s remote tasks (the runner's own interval when it
        was given one, else ``providers.<provider>.poll_interval``, else 5 s)."""

    def provider(self, name: str) -> Any:
        """The built provider ``name`` (from the registry the runner was given)."""

    def clock(self) -> float:
        """Wall-clock seconds (the journal's and the lifetimes' clock)."""

    async def sleep(self, seconds: float) -> None:
        """Wait (tests pass a recording sleep)."""

    def jittered(self, seconds: float) -> float:
        """``seconds`` plus up to 10 %: never shorter than asked."""

    def commit(self, job: Job, **changes: Any) -> Job:
        """Write ``job`` with ``changes`` (compare-and-set on its state) and publish it."""

    async def save(self, job: Job, **changes: Any) -> Job:
        """:meth:`commit`, waiting out a journal that cannot be written for now: for changes that
        carry something paid for (a result link, a task id, a saved file)."""

    def submit_slot(self, provider: str) -> asyncio.Semaphore:
        """At most a few submits per provider at once."""

    def poll_slot(self, provider: str) -> asyncio.Semaphore:
        """At most two polls per provider waiting on its rate limiter."""

    def destination(self, job: Job, url: str) -> Path:
        """Where the result of ``job`` fetched from ``url`` is saved (the name is fixed from then on)."""

    async def download(self, job: Job) -> None:
        """Fetch a ``DOWNLOADING`` job's result until it is saved, the link dies, or it is too old."""


@runtime_checkable
class Kind(Protocol):
    """One sort of job. Register an instance with :func:`animetui.jobs.kinds.register`."""

    #: the journal's ``kind`` value and what ``animetui jobs`` lists ("generate")
    name: str
    #: the provider that does the work (a registry name: "animeapi")
    provider: str
    #: the feature, as messages name it: "Text-to-image" ("… needs an API key")
    title: str
    #: the detail line's kind: "text→image"
    label: str
    #: a narrow table cell (≤ 5 characters): "gen"
    short: str
    #: the result's extension when neither its bytes nor its URL say (the service's documented format)
    default_suffix: str
    #: seconds after the submission the result may still be fetched (then the job is expired)
    result_lifetime: float
    #: the question and button before the same job is started again at a cost ("Generate this image again?")
    retry_title: str
    retry_yes: str
    #: the job's subject (see :meth:`subject`) is a file path (shown as a path), not text
    subject_is_file: bool
    # optional: ``paid = False`` — work that costs no money (the library's indexing); retrying it
    # asks no key and no cost question (read with ``getattr(kind, "paid", True)``)
    # optional: ``stop(job)`` (blocking) — stop work that runs outside this process when the job is
    # cancelled, whoever drives it (the library's indexer; read with ``getattr(kind, "stop", None)``)

    def validate(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The parameters to journal, checked; bad input raises :class:`animetui.errors.BadInput`."""
        ...

    async def drive(self, job: Job, ctx: JobContext, *, first_poll_delay: float | None) -> None:
        """Take ``job`` from where the journal says it is to a terminal state (or until stopped)."""
        ...

    def settle(self, job: Job, ctx: JobContext) -> Job:
        """The restart rules that need no network, for a job found in the journal half-way."""
        ...

    def failed_unexpectedly(self, job: Job, exc: BaseException) -> str:
        """The error of a job whose driver raised something nobody expected (a bug)."""
        ...

    def subject(self, job: Job) -> str:
        """The prompt or the source file, whole: the CLI's list, "copy"."""
        ...

    def headline(self, job: Job) -> str:
        """A few words for one line in a list (the prompt; the source's name and style)."""
        ...

    def options(self, job: Job) -> str:
        """The settings the job was started with, for the detail line ("portrait, NSFW allowed")."""
        ...

    def describe(self, job: Job) -> str:
        """One line saying how the job ended (or where it is): a toast, the CLI's stderr."""
        ...

    def cancel_text(self, job: Job) -> str:
        """What cancelling ``job`` in its current state means (what the service may still do)."""
        ...

    def file_slug(self, job: Job) -> str:
        """The readable part of the result's file name (``<stamp>_<slug>_<id6>.<ext>``)."""
        ...

    def cost_text(self, *, balance_usd: float | None, credits_left: float | None) -> str:
        """The cost line asked before starting such a job (again)."""
        ...


def describe_as(what: str, summary: str, job: Job) -> str:
    """The common shape of :meth:`Kind.describe`: ``<what> “<summary>” done → <file>`` and the like."""
    if len(summary) > 40:
        summary = summary[:39] + "…"
    label = f"{what} “{summary}”" if summary else what
    if job.state is JobState.SUCCEEDED:
        return f"{label} done → {job.result_path}"
    if job.state is JobState.FAILED:
        return f"{label} failed: {job.error}"
    if job.state is JobState.EXPIRED:
        return f"{label} expired: {job.error}"
    if job.state is JobState.CANCELLED:
        return f"{label} cancelled: {job.error}"
    return f"{label}: {job.state.value}" + (f" ({job.error})" if job.error else "")


# --------------------------------------------------------------------------- shared by the kinds
MAX_BACKOFF = 60.0
MAX_REQUEUES = 20  # consecutive "not charged, try again" answers before a submit gives up


def requeue_delay(exc: AnimetuiError, limited: float, attempt: int) -> float:
    """How long a refused-but-not-charged submit waits: the service's ``retry_after`` (else a
    back-off by attempt), at least what the provider's rate limiter needs (``limited``)."""
    hinted = exc.retry_after
    backoff = min(MAX_BACKOFF, 2.0 ** min(attempt, 6))
    delay = max(hinted if hinted is not None else backoff, limited)
    return max(0.0, delay)


def too_old(job: Job, lifetime: float, now: float) -> bool:
    """Has ``lifetime`` passed since the job was sent (or created, if it never was)?"""
    started = job.submitted_at if job.submitted_at is not None else job.created_at
    return now - started >= lifetime
