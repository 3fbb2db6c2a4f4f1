"""The registry of job kinds: the journal's ``kind`` column → the :class:`~animetui.jobs.kind.Kind`.

The kinds animetui ships (:mod:`animetui.jobs.generate`, :mod:`animetui.jobs.cartoonize`,
:mod:`animetui.jobs.index`) are
registered the first time the registry is asked. Another kind registers itself with
:func:`register`; the runner, the Jobs pane and the CLI then find its wording and file names
here. A kind the registry does not know (a row written by a newer animetui) gets neutral wording
from :class:`UnknownKind` and is never driven.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from animetui.errors import BadInput
from animetui.jobs.kind import JobContext, Kind, describe_as
from animetui.models import Job

_KINDS: dict[str, Kind] = {}
_BUILTIN_LOADED = False


def _load_builtin() -> None:
    global _BUILTIN_LOADED
    if _BUILTIN_LOADED:
        return
    _BUILTIN_LOADED = True
    from animetui.jobs.cartoonize import CARTOONIZE
    from animetui.jobs.generate import GENERATE
    from animetui.jobs.index import INDEX

    for kind in (GENERATE, CARTOONIZE, INDEX):
        _KINDS.setdefault(kind.name, kind)


def register(kind: Kind) -> Kind:
    """Add ``kind`` (replacing one of the same name); returns it."""
    _load_builtin()
    if not isinstance(kind, Kind):
        raise TypeError(f"{kind!r} does not follow the job Kind protocol")
    _KINDS[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    """Remove a kind (tests register dummies)."""
    _load_builtin()
    _KINDS.pop(name, None)


def find(name: str) -> Kind | None:
    """The registered kind called ``name``, or None."""
    _load_builtin()
    return _KINDS.get(str(name))


def kind_of(job_or_name: Job | str) -> Kind:
    """The kind of a job (or a kind name); :class:`UnknownKind` for one nobody registered."""
    name = str(job_or_name.kind if isinstance(job_or_name, Job) else job_or_name)
    return find(name) or UnknownKind(name)


def all_kinds() -> tuple[Kind, ...]:
    _load_builtin()
    return tuple(_KINDS.values())


def describe(job: Job) -> str:
    """One line saying how a job ended (or where it is), for a toast or the CLI's stderr."""
    return kind_of(job).describe(job)


def subject(job: Job) -> str:
    """The job's prompt or source, whole (the CLI's "prompt / source" column)."""
    return kind_of(job).subject(job)


class UnknownKind:
    """A kind this animetui does not know (a newer one wrote the row): neutral words, never driven."""

    provider = ""
    short = "?"
    default_suffix = ".img"
    result_lifetime = 24 * 3600.0
    retry_title = "Start this job again?"
    retry_yes = "Start"
    subject_is_file = False

    def __init__(self, name: str) -> None:
        self.name = name
        self.title = f"A “{name}” job"
        self.label = name

    def validate(self, params: Mapping[str, Any]) -> dict[str, Any]:
        raise BadInput(f"this animetui does not know jobs of kind {self.name!r}; upgrade animetui to run them")

    async def drive(self, job: Job, ctx: JobContext, *, first_poll_delay: float | None) -> None:
        raise RuntimeError(f"no driver for jobs of kind {self.name!r}")

    def settle(self, job: Job, ctx: JobContext) -> Job:
        return job

    def failed_unexpectedly(self, job: Job, exc: BaseException) -> str:
        return f"unexpected error ({type(exc).__name__}: {exc}); the job was stopped"

    def subject(self, job: Job) -> str:
        return ""

    def headline(self, job: Job) -> str:
        return f"({self.name} job)"

    def options(self, job: Job) -> str:
        return ""

    def describe(self, job: Job) -> str:
        return describe_as(f"Job {job.id[:8]} ({self.name})", "", job)

    def cancel_text(self, job: Job) -> str:
        return "cancelled; this animetui does not know what the service may still do for this kind of job"

    def file_slug(self, job: Job) -> str:
        return ""

    def cost_text(self, *, balance_usd: float | None, credits_left: float | None) -> str:
        return f"A “{self.name}” job may cost money or credits; this animetui does not know how much."
