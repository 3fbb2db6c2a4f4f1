"""The generic job runner: durable jobs over the SQLite journal, driven by their kinds.

Why it exists: paid work (text-to-image, photo-to-anime, …) is something people start and come
back to. Losing a paid result, or paying twice, is the worst thing animetui could do, so every job
lives in the SQLite journal (:class:`animetui.store.JobJournal`) and every state change is
committed *before* the runner acts on it. A restart — or a ``kill -9`` at any instant — resumes
exactly where the journal says.

Lifecycle (``models.JobState``)::

    QUEUED ─► SUBMITTING ─► RUNNING (remote task id known, polling) ─► DOWNLOADING ─► SUCCEEDED
      ▲           │                    │                                  │
      └─ 429 ─────┤ (not charged)      ├─► FAILED (task failed)           ├─► EXPIRED (link gone)
                  └─► FAILED           └─► EXPIRED (too old)              └─► FAILED (disk, cap)
    any non-terminal ─► CANCELLED (only when the user asks)

What happens in each state is the job's kind's (:mod:`animetui.jobs.kind`; the registry:
:mod:`animetui.jobs.kinds`): the runner journals, schedules, adopts and cancels; the kind validates,
drives, settles a half-way job on restart and words everything. Result files:
:mod:`animetui.jobs.files`.

* **Restart** (:meth:`JobRunner.start`): ``QUEUED`` jobs run; a ``DOWNLOADING`` job whose file is
  already there is ``SUCCEEDED`` at once; the rest is the kind's :meth:`~animetui.jobs.kind.Kind.settle`.
* **Stop** (:meth:`JobRunner.stop`): a paid request already on the wire gets a grace period to
  come back so its result is journalled (not lost); no *new* paid request starts meanwhile; the
  rest is cancelled where it stands and resumes at the next start.

Several processes may share one journal; who drives which job: :mod:`animetui.jobs.lock`.

Cost: one asyncio task per active job. A polling job sleeps between polls (no CPU), and polls go
through the provider's own rate limiter, with at most two polls per provider waiting on it at a
time so a user's new submit never queues behind hundreds of polls. Journal writes happen only on
state changes (a handful per job), never per poll. ``start()`` loads the journal 200 rows per
loop turn and claims orphans 50 per transaction, so resuming 500 jobs never blocks the loop for
long. ``tests/benchmarks/bench_jobs.py`` measures 500 polling jobs (CPU and loop stalls).

Nothing here imports Textual or httpx; the UI subscribes (:meth:`JobRunner.subscribe`) and shows
what it is told. What a provider must declare for its paid requests (price, safe to resubmit, the
rate-limit wait) is :class:`animetui.providers.base.PaidWork`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import random
import secrets
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from animetui.errors import AnimetuiError, BadInput
from animetui.jobs import files, sharing
from animetui.jobs.context import RunnerContext
from animetui.jobs.kind import Kind, too_old
from animetui.jobs.kinds import find, kind_of
from animetui.jobs.lock import OwnerLock
from animetui.models import GenerateRequest, Job, JobKind, JobState
from animetui.store import JobJournal, JournalError

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Subscriber = Callable[[Job], None]
Jobs = list[Job]  # (inside JobRunner, ``list`` is its method)

DEFAULT_POLL_INTERVAL = 5.0  # AILabTools: "queried every 5 seconds"
JITTER = 0.10
SUBMIT_SLOTS = 4  # concurrent submits per provider
DOWNLOAD_SLOTS = 4  # concurrent result downloads, all providers
POLL_SLOTS = 2  # polls per provider waiting on its rate limiter at once
SYNC_INTERVAL = 1.0  # seconds between looks at the journal for other processes' changes
STOP_GRACE = 15.0  # seconds stop() waits for paid requests already on the wire
LOAD_PAGE = 200  # journal rows read per event-loop turn at start
JOURNAL_WAIT_MAX = 5.0  # longest pause between tries to write a paid result to a busy journal


class _Superseded(Exception):
    """The journal row changed under us (cancelled or deleted elsewhere): stop driving the job."""


class JobRunner:
    """Runs jobs of every registered kind over a :class:`JobJournal`.

    ``providers`` is the :class:`animetui.providers.Providers` registry (``get(name)``,
    ``.downloads``, ``.settings``). ``clock`` gives wall-clock seconds for the journal and the
    result lifetimes (tests pass the simulator's clock); ``sleep`` is what the runner waits with.
    ``poll_interval`` overrides every provider's ``poll_interval`` setting (tests poll fast).
    ``bell``: ring the terminal bell when a job ends (True writes BEL to stderr when it is a
    terminal; a callable is called instead — the TUI should leave this False and ring through
    Textual from its subscriber, since writing to the terminal under Textual garbles the screen).
    """

    def __init__(
        self,
        providers: Any,
        journal: JobJournal,
        *,
        downloads_dir: Path,
        clock: Callable[[], float] = time.time,
        poll_interval: float | None = None,
        bell: bool | Callable[[], None] = False,
        sleep: Sleep = asyncio.sleep,
        submit_slots: int = SUBMIT_SLOTS,
        download_slots: int = DOWNLOAD_SLOTS,
        sync_interval: float = SYNC_INTERVAL,
        rng: random.Random | None = None,
    ) -> None:
        self.providers = providers
        self.journal = journal
        self.downloads_dir = Path(downloads_dir).expanduser()
        self._poll_override = float(poll_interval) if poll_interval is not None and poll_interval > 0 else None
        self.bell = bell
        self.sync_interval = sync_interval
        self.owner = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._lock = OwnerLock(journal.path.parent / f"{journal.path.name}.runners", self.owner)
        self._jobs: dict[str, Job] = {}
        self._revs: dict[str, int] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._subscribers: list[Subscriber] = []
        self._changed = asyncio.Event()
        self._submit_count = submit_slots
        self._submit_slots: dict[str, asyncio.Semaphore] = {}
        self._download_slots = asyncio.Semaphore(download_slots)
        self._poll_count = POLL_SLOTS
        self._poll_slots: dict[str, asyncio.Semaphore] = {}
        self._sync_task: asyncio.Task[None] | None = None
        self._data_version: int | None = None
        self._balance: float | None = None
        self._started = False
        self._stopping = False
        self._stopped = False

    @property
    def poll_interval(self) -> float:
        """The runner's own poll interval (the one it was given, else the default 5 s)."""
        return self._poll_override if self._poll_override is not None else DEFAULT_POLL_INTERVAL

    def poll_interval_for(self, provider: str) -> float:
        """Seconds between polls of ``provider``'s tasks: the runner's own interval when it was
        given one, else the provider's ``poll_interval`` setting, else 5 s."""
        if self._poll_override is not None:
            return self._poll_override
        settings = getattr(self.providers, "settings", None)
        try:
            value = float(settings[f"providers.{provider}.poll_interval"]) if settings is not None else DEFAULT_POLL_INTERVAL
        except (KeyError, TypeError, ValueError, AnimetuiError):
            value = DEFAULT_POLL_INTERVAL
        return value if value > 0 else DEFAULT_POLL_INTERVAL

    # ================================================================== public API
    async def start(self) -> None:
        """Take ownership of orphaned jobs and resume every non-terminal one (idempotent)."""
        if self._started:
            return
        if self._stopped:
            raise RuntimeError("this JobRunner was stopped; make a new one")
        self._lock.acquire()
        self._started = True
        try:
            await self._load_and_resume()
        except BaseException:
            tasks = list(self._tasks.values())
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._tasks.clear()
            self._jobs.clear()
            self._lock.release()
            self._started = False
            raise
        self._sync_task = asyncio.create_task(self._sync_loop(), name="animetui-jobs-sync")

    async def _load_and_resume(self) -> None:
        self._data_version = self.journal.data_version()  # first: later writes elsewhere are seen
        revisions = self.journal.revisions()
        # Load the history in pages, yielding between them: thousands of old jobs must not
        # freeze a UI on this loop (each page is a few ms).
        offset = 0
        while True:
            page = self.journal.list(limit=LOAD_PAGE, offset=offset)
            for job in page:
                self._jobs[job.id] = job
            if len(page) < LOAD_PAGE:
                break
            offset += LOAD_PAGE
            await asyncio.sleep(0)
        missed = [job_id for job_id in revisions if job_id not in self._jobs]  # paging raced a delete
        for job in self.journal.get_many(missed):
            self._jobs[job.id] = job
        self._revs = {job_id: rev for job_id, rev in revisions.items() if job_id in self._jobs}
        self._balance = self._balance_from_journal()
        OwnerLock.sweep(self._lock.folder)
        owners = self.journal.active_owners()
        sharing.clean_part_files(self, owners)
        await sharing.adopt(self, owners)

    async def stop(self, *, grace: float = STOP_GRACE) -> None:
        """Stop driving jobs. Paid requests already sent get ``grace`` seconds to come back (so a
        charged result is journalled, not lost); everything else is cancelled where it stands and
        resumes on the next :meth:`start` (here or in another process)."""
        if not self._started or self._stopping:
            return
        self._stopping = True
        if self._sync_task is not None:
            self._sync_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sync_task
        on_the_wire = [
            task
            for job_id, task in self._tasks.items()
            if (job := self._jobs.get(job_id)) is not None and job.state is JobState.SUBMITTING
        ]
        if on_the_wire and grace > 0:
            await asyncio.wait(on_the_wire, timeout=grace)
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        with contextlib.suppress(AnimetuiError):
            self.journal.release(self.owner)  # other runners may adopt them at once
        self._lock.release()
        self._started = False
        self._stopped = True
        self._wake()

    async def submit(self, kind: str, params: Mapping[str, Any]) -> Job:
        """Queue one job of ``kind`` (a registered :class:`~animetui.jobs.kind.Kind`'s name);
        the kind checks ``params`` first (bad input raises :class:`BadInput`, nothing is queued)."""
        chosen = find(kind)
        if chosen is None:
            raise BadInput(f"unknown job kind {kind!r}")
        return await self._new_job(chosen, chosen.validate(params))

    # conveniences for the built-in kinds' callers (the commands, the g/a keys); the runner needs neither
    async def submit_generate(self, request: GenerateRequest) -> Job:
        """Queue one text-to-image generation (a paid request). Bad input raises :class:`BadInput`."""
        return await self.submit(JobKind.GENERATE, dataclasses.asdict(request))

    async def submit_cartoonize(self, source: Path, style: int) -> Job:
        """Queue one photo-to-anime conversion of ``source`` in ``style`` (0–8)."""
        return await self.submit(JobKind.CARTOONIZE, {"source": source, "style": style})

    def list(self) -> list[Job]:
        """Every job, newest first (from memory once started; from the journal before)."""
        jobs = list(self._jobs.values()) if self._started or self._stopped else self.journal.list()
        jobs.sort(key=lambda j: (j.created_at, j.id), reverse=True)
        return jobs

    def get(self, job_id: str) -> Job | None:
        if self._started or self._stopped:
            return self._jobs.get(job_id)
        return self.journal.get(job_id)

    async def cancel(self, job_id: str) -> Job:
        """Stop a job. The message says what the service may still do (finish it, charge for it)."""
        for _ in range(5):
            job = self.journal.get(job_id)
            if job is None:
                raise BadInput(f"no job with id {job_id}")
            if job.state.terminal:
                raise BadInput(f"job {job_id} already ended ({job.state.value}); nothing to cancel")
            now = self._clock()
            cancelled = dataclasses.replace(
                job, state=JobState.CANCELLED, error=kind_of(job).cancel_text(job), updated_at=now, finished_at=now
            )
            if self.journal.update(cancelled, expect_state=job.state):
                break
        else:  # pragma: no cover - the row kept changing under us
            raise BadInput(f"job {job_id} is changing too fast to cancel; try again")
        task = self._tasks.pop(job_id, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if (stop := getattr(kind_of(job), "stop", None)) is not None:  # work in a process of its own, maybe
            await asyncio.to_thread(stop, cancelled)  # driven from nowhere here (`animetui jobs cancel ID`)
        self._revs[job_id] = self._revs.get(job_id, 0) + 1
        self._set(cancelled, previous=self._jobs.get(job_id, job))
        return cancelled

    async def retry(self, job_id: str) -> Job:
        """A NEW job with the same parameters (costs again). Only for jobs that ended without a
        result (failed, expired, cancelled); the caller asks the user about the cost first."""
        job = self.get(job_id) or self.journal.get(job_id)
        if job is None:
            raise BadInput(f"no job with id {job_id}")
        if not job.state.terminal:
            raise BadInput(f"job {job_id} is still {job.state.value}; wait for it or cancel it first")
        if job.state is JobState.SUCCEEDED:
            raise BadInput(f"job {job_id} succeeded and its result is saved; start a new job to make another")
        return await self.submit(str(job.kind), job.params)

    def delete(self, job_id: str) -> None:
        """Remove an ended job from the journal; its result file stays where it is."""
        job = self.journal.get(job_id)
        if job is None:
            cached = self._jobs.pop(job_id, None)
            if cached is None:
                raise BadInput(f"no job with id {job_id}")
            self._notify(cached)
            return
        if not job.state.terminal:
            raise BadInput(f"job {job_id} is still {job.state.value}; cancel it first, then delete it")
        self.journal.delete(job_id)
        self._jobs.pop(job_id, None)
        self._revs.pop(job_id, None)
        self._notify(job)

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(job)`` on the event loop after every change (a deleted job is passed
        once more with its last state; ``get(id)`` is then None). Returns the unsubscribe call.

        The callback runs inside the runner's step: keep it quick (post a message, set a flag);
        an exception in it is logged and ignored."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._subscribers.remove(callback)

        return unsubscribe

    async def wait(self, ids: Iterable[str] | None = None) -> Jobs:
        """Until the given jobs (default: all known of a kind this runner drives) have ended;
        returns them in that order."""
        wanted = list(ids) if ids is not None else None
        if not self._started and not self._stopped:
            await self.start()
        while True:
            if wanted is None:
                jobs = [job for job in self.list() if find(str(job.kind)) is not None]
            else:
                jobs = []
                for job_id in wanted:
                    job = self._jobs.get(job_id)
                    if job is None:
                        raise BadInput(f"no job with id {job_id}")
                    jobs.append(job)
            if all(job.state.terminal for job in jobs):
                return jobs
            if self._stopped:
                raise RuntimeError("the job runner stopped before the jobs ended")
            event = self._changed
            await event.wait()

    @property
    def last_balance_usd(self) -> float | None:
        """The balance the most recently sent paid job reported (kept across restarts via the journal)."""
        if self._balance is not None:
            return self._balance
        if not self._started:
            return self._balance_from_journal()
        return None

    def result_folder(self, job_id: str | None = None) -> Path:
        """The folder holding a job's result (or the downloads folder) — for "open folder"."""
        job = self.get(job_id) if job_id else None
        if job is not None and job.result_path:
            return Path(job.result_path).parent
        return self.downloads_dir

    def result_file(self, job_id: str) -> Path | None:
        """The saved result of a succeeded job, if the file is still there."""
        job = self.get(job_id)
        if job is None or job.state is not JobState.SUCCEEDED or not job.result_path:
            return None
        path = Path(job.result_path)
        return path if path.exists() else None

    @property
    def running(self) -> bool:
        return self._started and not self._stopping

    # ================================================================== internals: bookkeeping
    async def _new_job(self, kind: Kind, params: dict[str, Any]) -> Job:
        if self._stopped or self._stopping:
            raise RuntimeError("the job runner is stopped")
        if not self._started:
            await self.start()
        # A caller submitting hundreds in a loop still lets the loop run. (Before the insert, so
        # the job returned is exactly what was journalled: nothing has been sent yet.)
        await asyncio.sleep(0)
        now = self._clock()
        job = Job(
            id=secrets.token_hex(6),
            kind=kind.name,
            provider=kind.provider,
            params=params,
            state=JobState.QUEUED,
            created_at=now,
            updated_at=now,
        )
        self.journal.insert(job, owner=self.owner)  # committed before anything is sent
        self._revs[job.id] = 1
        self._set(job, previous=None)
        self._spawn(job)
        return job

    def _spawn(self, job: Job, *, first_poll_delay: float | None = None) -> None:
        if job.id in self._tasks or self._stopping:
            return
        task = asyncio.create_task(self._drive(job.id, first_poll_delay), name=f"animetui-job-{job.id}")
        self._tasks[job.id] = task

    def _commit(self, job: Job, **changes: Any) -> Job:
        """Write ``job`` with ``changes`` (compare-and-set on its state), then publish it."""
        now = self._clock()
        state = changes.get("state", job.state)
        if state.terminal and "finished_at" not in changes:
            changes["finished_at"] = now
        new = dataclasses.replace(job, updated_at=now, **changes)
        if not self.journal.update(new, expect_state=job.state):
            fresh = self.journal.get(job.id)
            if fresh is None:
                gone = self._jobs.pop(job.id, None)
                self._revs.pop(job.id, None)
                if gone is not None:
                    self._notify(gone)
            else:
                self._revs.pop(job.id, None)  # the next sync re-reads its revision
                self._set(fresh, previous=self._jobs.get(job.id))
            raise _Superseded(job.id)
        self._revs[job.id] = self._revs.get(job.id, 0) + 1
        self._set(new, previous=job)
        return new

    async def _save(self, job: Job, **changes: Any) -> Job:
        """:meth:`_commit`, waiting out a journal that cannot be written for now (another
        process holding its lock past the busy timeout, a full disk) instead of failing.

        Used wherever the change carries something paid for (an image URL, a task id, a saved
        result): dropping it would lose the result, and reading the error as "stopped while
        sending" would throw the URL away. Meanwhile the job shows "waiting: …" (in memory only)
        and :meth:`stop` waits for it like any paid request still on the wire. If the runner is
        cancelled before the journal comes back, the change is logged (URL and all) so it can be
        recovered by hand.
        """
        delay = 0.25
        while True:
            try:
                return self._commit(job, **changes)
            except JournalError as exc:
                note = f"waiting: the job journal cannot be written ({exc.message}); the result is kept in memory meanwhile"
                current = self._jobs.get(job.id)
                if current is None or current.error != note:
                    shown = dataclasses.replace(job, error=note)
                    self._jobs[job.id] = shown
                    self._notify(shown)
                log.warning("job %s: cannot write the journal (%s); trying again in %.1f s", job.id, exc.message, delay)
                try:
                    await self._sleep(delay)
                except asyncio.CancelledError:
                    log.error(
                        "job %s: stopped before the journal could be written; unsaved change: %s",
                        job.id,
                        {k: v for k, v in changes.items() if k != "params"},
                    )
                    raise
                delay = min(JOURNAL_WAIT_MAX, delay * 2)

    def _set(self, job: Job, *, previous: Job | None) -> None:
        self._jobs[job.id] = job
        if job.balance_usd is not None and (previous is None or previous.balance_usd != job.balance_usd):
            self._balance = job.balance_usd
        self._notify(job)
        if job.state.terminal and (previous is None or not previous.state.terminal):
            self._ring()

    def _notify(self, job: Job) -> None:
        for callback in list(self._subscribers):
            try:
                callback(job)
            except Exception:  # a subscriber's bug must not stop the runner
                log.exception("job subscriber failed")
        self._wake()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _ring(self) -> None:
        if not self.bell:
            return
        if callable(self.bell):
            with contextlib.suppress(Exception):
                self.bell()
            return
        with contextlib.suppress(Exception):
            if sys.stderr.isatty():
                sys.stderr.write("\a")
                sys.stderr.flush()

    def _balance_from_journal(self) -> float | None:
        """The balance the most recently *sent* paid job reported (not the latest download)."""
        best: tuple[float, float] | None = None
        jobs = self._jobs.values() or self.journal.list(
            states=[JobState.DOWNLOADING, JobState.SUCCEEDED, JobState.FAILED, JobState.EXPIRED, JobState.CANCELLED]
        )
        for job in jobs:
            if job.balance_usd is not None:
                sent = job.submitted_at if job.submitted_at is not None else job.created_at
                if best is None or sent > best[0]:
                    best = (sent, job.balance_usd)
        return best[1] if best else None

    # ================================================================== internals: resuming
    def _resume(self, job: Job) -> None:
        """Decide what a job found in the journal needs, and start driving it."""
        self._jobs[job.id] = job
        kind = find(str(job.kind))
        if kind is None:
            return
        try:
            job = self._settle(job, kind)
        except _Superseded:
            return
        if not job.state.terminal:
            delay = self._rng.uniform(0, self.poll_interval_for(kind.provider)) if job.state is JobState.RUNNING else None
            self._spawn(job, first_poll_delay=delay)

    def _settle(self, job: Job, kind: Kind) -> Job:
        """The restart rules that need no network: a file already saved, then the kind's own."""
        if job.state is JobState.DOWNLOADING and job.result_path:
            existing = files.existing_result(Path(job.result_path))
            if existing is not None:
                return self._commit(job, state=JobState.SUCCEEDED, result_path=str(existing), error="")
        return kind.settle(job, self._ctx)

    async def _sync_loop(self) -> None:
        while True:
            await self._sleep(self.sync_interval)
            try:
                await sharing.sync(self)
            except Exception:  # keep watching; the next tick tries again
                log.exception("job journal sync failed")

    def _stop_task(self, job_id: str) -> None:
        task = self._tasks.pop(job_id, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    # ================================================================== internals: driving jobs
    async def _drive(self, job_id: str, first_poll_delay: float | None) -> None:
        try:
            job = self._jobs[job_id]
            await kind_of(job).drive(job, self._ctx, first_poll_delay=first_poll_delay)
        except _Superseded:
            pass
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug or an error nobody expected: end the job, say why
            log.exception("job %s failed unexpectedly", job_id)
            current = self._jobs.get(job_id)
            if current is not None and not current.state.terminal:
                text = kind_of(current).failed_unexpectedly(current, exc)
                with contextlib.suppress(Exception):
                    self._commit(current, state=JobState.FAILED, error=text)
        finally:
            if self._tasks.get(job_id) is asyncio.current_task():
                del self._tasks[job_id]

    def _destination(self, job: Job, url: str) -> Path:
        kind = kind_of(job)
        suffix = files.url_suffix(url) or kind.default_suffix
        return self.downloads_dir / files.file_name(job, suffix, kind.file_slug(job))

    async def _download(self, job: Job) -> None:
        assert job.result_url
        dest = Path(job.result_path) if job.result_path else self._destination(job, job.result_url)
        lifetime = kind_of(job).result_lifetime
        await files.download(
            job,
            dest,
            ctx=self._ctx,
            client=self.providers.downloads,
            slots=self._download_slots,
            too_old=lambda current: too_old(current, lifetime, self._clock()),
        )

    def _jittered(self, seconds: float) -> float:
        # upward only: a wait is never shorter than asked (AILabTools' docs: poll every 5 s or slower)
        return max(0.0, seconds * self._rng.uniform(1.0, 1 + JITTER))

    def _slot(self, slots: dict[str, asyncio.Semaphore], provider: str, size: int) -> asyncio.Semaphore:
        return slots[provider] if provider in slots else slots.setdefault(provider, asyncio.Semaphore(size))

    @property
    def _ctx(self) -> RunnerContext:  # what a kind's driver may use of the runner
        return RunnerContext(self)
