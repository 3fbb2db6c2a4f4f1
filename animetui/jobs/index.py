"""The ``index`` job kind: the local library's indexing (issue 15) as an ordinary job.

The work itself is the niced background indexer (:mod:`animetui.library.worker`, its own process,
one per library, resumable: its state lives in ``library.sqlite3``). The job is journalled first
like every kind; :meth:`IndexKind.drive` starts the worker — or adopts the one already running —
and follows :func:`animetui.library.control.overview` every two seconds: progress, ETA and the
current file go into the job's ``params`` (``progress``, ``eta``, ``current``; written only when
the whole percent or the file changes, so at most a few hundred journal writes per job), the end
of the indexing ends the job. No money is involved: the kind never touches a provider's
:class:`~animetui.providers.base.PaidWork`.

* **cancel** (``x`` in the Jobs pane, ``animetui jobs cancel ID``): the runner journals CANCELLED,
  stops the driver if it has one, and calls :meth:`IndexKind.stop`, which asks the worker to stop
  after its batch (from any process: the worker reads its orders from ``library.sqlite3``); what
  is indexed stays searchable.
* **pause** (``animetui library pause``): the job stays running and says "paused"; ``animetui
  library resume`` (or cancel) moves it on.
* **resume** (``R`` on an ended job, ``animetui jobs retry ID``): a new ``index`` job — the indexer carries on where it stopped.
* **restart**: a job found running is driven again (:meth:`settle` keeps it); the worker, if it
  survived, is adopted, else started again and resumes.

Submitting: :func:`submit_index` (one active index job per library: it returns the running one);
without a runner (the ``animetui library`` commands), :func:`journal_index`.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from animetui.errors import BadInput
from animetui.jobs.kind import JobContext, describe_as
from animetui.models import Job, JobState

if TYPE_CHECKING:
    from animetui.jobs.runner import JobRunner
    from animetui.library.control import Overview
    from animetui.store import JobJournal

POLL_SECONDS = 2.0
MAX_WORKER_STARTS = 3  # the worker dying with files left: started again this many times, then the job fails
STALL_SECONDS = 20.0  # files pending and no worker this long (it takes a few seconds to start): it is not running


class IndexKind:
    name = "index"
    provider = "local"
    title = "Library indexing"
    label = "library indexing"
    short = "index"
    default_suffix = ""
    result_lifetime = float("inf")  # nothing to download
    retry_title = "Resume indexing the library?"
    retry_yes = "Resume"
    subject_is_file = True  # the library's data folder
    #: no money involved: R starts it again without a key check or a cost question
    paid = False
    poll_seconds = POLL_SECONDS
    stall_seconds = STALL_SECONDS

    # ------------------------------------------------------------------ the work (tests replace these)
    @staticmethod
    def look(data_dir: Path) -> tuple[Overview, int]:
        """The library's overview and how many files wait to be indexed (blocking)."""
        from animetui.library import control
        from animetui.library import db as dbm

        view = control.overview(data_dir)
        pending = 0
        if view.exists and not view.error:
            with contextlib.suppress(Exception), dbm.LibraryDB(control.db_path(data_dir)) as db:
                pending = int(db.totals().get("pending_files") or 0)
        return view, pending

    @staticmethod
    def start_worker(data_dir: Path, params: Mapping[str, Any], *, fresh: bool) -> None:
        """Start the niced indexer unless one runs (blocking). ``fresh``: clear an old pause/cancel."""
        from animetui.library import control
        from animetui.library import db as dbm
        from animetui.library.indexer import start_worker

        if fresh:
            with dbm.LibraryDB(control.db_path(data_dir)) as db:
                db.request(dbm.IDLE, only_if=(dbm.PAUSED, dbm.CANCELLED, dbm.FAILED))
        start_worker(control.db_path(data_dir), watch=60.0 if params.get("watch") else 0.0, config=params.get("config"))

    @staticmethod
    def stop_worker(data_dir: Path) -> None:
        """Ask the indexer to stop after its current batch (blocking)."""
        from animetui.library import control

        control.steer(data_dir, "cancel")

    def stop(self, job: Job) -> None:
        """The job was cancelled (the Jobs pane, ``animetui jobs cancel ID`` from any process):
        the indexer stops after its batch even when nothing here was driving it (blocking)."""
        self.stop_worker(Path(job.params["data_dir"]))

    # ------------------------------------------------------------------ the protocol
    def validate(self, params: Mapping[str, Any]) -> dict[str, Any]:
        from animetui.library import control

        raw = params.get("data_dir")
        if not raw:
            raise BadInput("an index job needs the data folder of the library", provider=self.provider)
        data_dir = Path(str(raw)).expanduser()
        if not control.exists(data_dir):
            raise BadInput(f"{data_dir}: no library there yet; add a folder first (animetui library add DIR)", provider=self.provider)
        config = params.get("config")
        return {"data_dir": str(data_dir), "config": str(config) if config else None, "watch": bool(params.get("watch"))}

    async def drive(self, job: Job, ctx: JobContext, *, first_poll_delay: float | None) -> None:
        from animetui.jobs.runner import _Superseded

        data_dir = Path(job.params["data_dir"])
        fresh = job.state is JobState.QUEUED
        if fresh:
            job = ctx.commit(job, state=JobState.RUNNING, submitted_at=ctx.clock(), error="")
        try:
            await asyncio.to_thread(self.start_worker, data_dir, job.params, fresh=fresh)
            starts, stalled_since = 1, None
            while True:
                view, pending = await asyncio.to_thread(self.look, data_dir)
                ended = self.ended(job, view, pending)
                if ended is not None:
                    ctx.commit(job, **ended)
                    return
                lib = view.job
                assert lib is not None  # (ended() answers for a library that is gone)
                stalled = not lib.running and (lib.state == "interrupted" or (lib.state == "idle" and pending > 0))
                stalled_since = (stalled_since or ctx.clock()) if stalled else None
                if stalled_since is not None and ctx.clock() - stalled_since >= self.stall_seconds:
                    if starts >= MAX_WORKER_STARTS:
                        ctx.commit(job, state=JobState.FAILED,
                                   error=f"the indexer stopped {starts} times with files left; see worker.log in the library folder")
                        return
                    await asyncio.to_thread(self.start_worker, data_dir, job.params, fresh=False)
                    starts, stalled_since = starts + 1, None
                params = self._progress(job.params, lib.progress, lib.eta, lib.current, paused=lib.state == "paused")
                if self._changed(job.params, params):
                    job = ctx.commit(job, params=params)
                await ctx.sleep(self.poll_seconds)
        except (asyncio.CancelledError, _Superseded):
            raise  # cancelled (here or by another process): JobRunner.cancel stops the worker (IndexKind.stop)

    def ended(self, job: Job, view: Overview, pending: int) -> dict[str, Any] | None:
        """The job's end as the library tells it (the changes to journal), or None while it goes on."""
        if not view.exists or view.job is None:
            return {"state": JobState.FAILED, "error": view.error or f"{job.params['data_dir']}: the library is gone"}
        lib = view.job
        if lib.state == "cancelled" and not lib.running:
            return {"state": JobState.CANCELLED, "error": lib.message or self.cancel_text(job)}
        if lib.state == "failed" and not lib.running:
            return {"state": JobState.FAILED, "error": lib.message or "the indexer failed; see worker.log in the library folder"}
        if lib.state == "idle" and not lib.running and pending == 0:
            return {"state": JobState.SUCCEEDED, "error": "", "params": self._progress(job.params, 1.0, None, ""), "result_path": None}
        return None

    @staticmethod
    def _progress(params: Mapping[str, Any], progress: float | None, eta: float | None, current: str,
                  *, paused: bool = False) -> dict[str, Any]:
        out = {k: v for k, v in params.items() if k not in ("progress", "eta", "current", "paused")}
        if progress is not None:
            out["progress"] = round(float(progress), 4)
        if eta is not None:
            out["eta"] = round(float(eta))
        if current:
            out["current"] = str(current)
        if paused:
            out["paused"] = True
        return out

    @staticmethod
    def _changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
        def key(p: Mapping[str, Any]) -> tuple[Any, ...]:
            progress = p.get("progress")
            eta = p.get("eta")
            return (None if progress is None else int(progress * 100), p.get("current"), p.get("paused"),
                    None if eta is None else int(eta) // 30)  # the ETA refreshed every half minute

        return key(old) != key(new)

    def settle(self, job: Job, ctx: JobContext) -> Job:
        return job  # queued or running: drive starts or adopts the worker, which resumes by itself

    def failed_unexpectedly(self, job: Job, exc: BaseException) -> str:
        return f"unexpected error ({type(exc).__name__}: {exc}); the indexing stopped, R resumes it"

    def subject(self, job: Job) -> str:
        return str(job.params.get("data_dir", ""))

    def headline(self, job: Job) -> str:
        params = job.params
        if job.state is JobState.SUCCEEDED:
            return "all indexed"
        parts = []
        if params.get("paused") and not job.state.terminal:
            parts.append("paused")
        if params.get("progress") is not None:
            parts.append(f"{float(params['progress']) * 100:.0f} %")
        current = params.get("current")
        parts.append(Path(str(current)).name if current and not job.state.terminal else "your library")
        return " · ".join(parts)

    def options(self, job: Job) -> str:
        eta = job.params.get("eta")
        if eta is None or job.state.terminal:
            return "niced, resumable"
        minutes, seconds = divmod(int(eta), 60)
        left = f"{minutes // 60}:{minutes % 60:02d}:{seconds:02d}" if minutes >= 60 else f"{minutes}:{seconds:02d}"
        return f"ETA {left}"

    def describe(self, job: Job) -> str:
        if job.state is JobState.SUCCEEDED:
            return "Library indexing done: every file is searchable"
        return describe_as("Library indexing", "", job)

    def cancel_text(self, job: Job) -> str:
        return "cancelled; the files indexed so far stay searchable, and R resumes where it stopped"

    def file_slug(self, job: Job) -> str:
        return "library"

    def cost_text(self, *, balance_usd: float | None, credits_left: float | None) -> str:
        return "Indexing runs on this computer (niced, in the background); it costs no money."


INDEX = IndexKind()


async def submit_index(runner: JobRunner, data_dir: Path, *, config: str | None = None, watch: bool = False) -> Job:
    """Queue the indexing of the library in ``data_dir``, or return the index job already active there."""
    target = str(Path(data_dir).expanduser())
    if not runner.running:
        await runner.start()
    for job in runner.list():
        if job.kind == INDEX.name and not job.state.terminal and job.params.get("data_dir") == target:
            return job
    return await runner.submit(INDEX.name, {"data_dir": target, "config": config, "watch": watch})


def journal_index(journal: JobJournal, data_dir: Path, *, config: str | None = None, watch: bool = False,
                  clock: Callable[[], float] = time.time) -> Job:
    """For a caller without a runner (``animetui library add|rescan|resume``, which start the
    worker themselves): journal the indexing as a *running*, unowned ``index`` job — or return the
    active one — so that the next runner (the TUI's, at once if it is open) adopts and follows it."""
    target = str(Path(data_dir).expanduser())
    active = [s for s in JobState if not s.terminal]
    for job in journal.list(states=active):
        if job.kind == INDEX.name and job.params.get("data_dir") == target:
            return job
    now = clock()
    job = Job(id=secrets.token_hex(6), kind=INDEX.name, provider=INDEX.provider,
              params=INDEX.validate({"data_dir": target, "config": config, "watch": watch}),
              state=JobState.RUNNING, created_at=now, updated_at=now, submitted_at=now)
    journal.insert(job, owner=None)
    return job


def reconcile_index_jobs(journal: JobJournal, jobs: list[Job], *, clock: Callable[[], float] = time.time) -> list[Job]:
    """For a caller without a runner (``animetui jobs``): an ``index`` job no runner follows (the
    one ``library add`` journals) whose indexing has ended — all indexed, cancelled, failed — is
    journalled as ended, as the next runner would do; instead of showing "running" until then."""
    import dataclasses

    out = []
    for job in jobs:
        if job.kind == INDEX.name and not job.state.terminal and journal.owner_of(job.id) is None:
            with contextlib.suppress(Exception):  # the list is shown anyway
                view, pending = INDEX.look(Path(str(job.params.get("data_dir"))))
                ended = INDEX.ended(job, view, pending)
                if ended is not None:
                    now = clock()
                    done = dataclasses.replace(job, **ended, updated_at=now, finished_at=now)
                    if journal.update(done, expect_state=job.state):
                        job = done
        out.append(job)
    return out
