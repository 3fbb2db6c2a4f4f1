"""The job runner: paid text-to-image (AnimeAPI) and photo-to-anime (AILabTools) as durable jobs.

Why it exists: these are things people start and come back to. Losing a paid result, or paying
twice, is the worst thing animetui could do, so every job lives in the SQLite journal
(:class:`animetui.store.JobJournal`) and every state change is committed *before* the runner acts
on it. A restart — or a ``kill -9`` at any instant — resumes exactly where the journal says.

Lifecycle (``models.JobState``)::

    QUEUED ─► SUBMITTING ─► RUNNING (AILab task id known, polling) ─► DOWNLOADING ─► SUCCEEDED
      ▲           │                    │                                  │
      └─ 429 ─────┤ (not charged)      ├─► FAILED (task failed)           ├─► EXPIRED (link gone)
                  └─► FAILED           └─► EXPIRED (24 h)                 └─► FAILED (disk, cap)
    any non-terminal ─► CANCELLED (only when the user asks)

* **AnimeAPI**: ``SUBMITTING`` is committed only once the provider's rate limiter has a token, so
  the row means "the POST is on the wire". A 429 (``provider.is_safe_to_resubmit``) puts the job
  back to ``QUEUED`` and waits for the limiter / ``Retry-After``; nothing was charged. A timeout,
  drop or 5xx after sending → ``FAILED`` "may have been charged — check your balance"; never sent
  again by itself. On success the ``image_url`` and ``balance_usd`` are committed with
  ``DOWNLOADING`` and the image is fetched at once.
* **AILabTools**: submit (``SUBMITTING`` → ``RUNNING`` with the task id; a 503/429 that says
  nothing was done → back to ``QUEUED``; out of credits → ``FAILED``), then poll about every
  ``poll_interval`` (±10 % jitter), backing off on Busy / RateLimited (their ``retry_after``
  honoured) and network trouble; a finished task is downloaded at once; a task not fetched within
  24 h of its submission is ``EXPIRED`` (the docs: results live 24 h).
* **Restart** (:meth:`JobRunner.start`): ``QUEUED`` jobs run; an AnimeAPI job caught in
  ``SUBMITTING`` → ``FAILED`` "outcome unknown …" (it may have been charged); an AILab job in
  ``SUBMITTING`` without a task id → ``FAILED`` the same way (it may have used a credit);
  ``RUNNING`` AILab jobs keep polling their task id; ``DOWNLOADING`` jobs download again, or are
  ``SUCCEEDED`` at once when the file is already there; AILab jobs past 24 h → ``EXPIRED``.
* **Stop** (:meth:`JobRunner.stop`): a paid request already on the wire gets a grace period to
  come back so its result is journalled (not lost); no *new* paid request starts meanwhile; the
  rest is cancelled where it stands and resumes at the next start.
* **Files**: ``<downloads>/<YYYY-MM-DD_HHMM>_<slug>_<id6>.<ext>``; the name is fixed (and
  journalled) when the job enters ``DOWNLOADING``, so a resumed download replaces the same file.
  :func:`animetui.net.download` writes ``.<name>.<random>.part`` beside it, fsyncs and renames, so
  a final name only ever holds a complete file; stray ``.part`` files of ours are removed on start.
  ``result_path`` is meaningful once the job is ``SUCCEEDED``.

Several processes (the TUI, ``animetui generate --wait``, ``animetui jobs watch``) may share one
journal. Each runner holds an ``flock`` on ``<db>.runners/<runner id>.lock`` while it runs and
marks the jobs it drives as its own (``owner`` column). A runner only drives jobs that are its
own, unowned, or owned by a runner whose lock is free (it died: the kernel drops the lock on
``kill -9``); it adopts those with a compare-and-set, so exactly one runner drives a job. Jobs of
a live runner elsewhere are *watched*: a 1 s tick reads ``PRAGMA data_version`` (does nothing if
no other process wrote) and reloads rows whose ``rev`` changed. A cancel from another process is
a compare-and-set on the row; the owner notices it and stops.

Cost: one asyncio task per active job. A polling job sleeps between polls (no CPU), and polls go
through the provider's own rate limiter, with at most two polls per provider waiting on it at a
time so a user's new submit never queues behind hundreds of polls. Journal writes happen only on
state changes (a handful per job), never per poll. ``start()`` loads the journal 200 rows per
loop turn and claims orphans 50 per transaction, so resuming 500 jobs never blocks the loop for
long. ``tests/benchmarks/bench_jobs.py`` measures 500 polling jobs (CPU and loop stalls).

Nothing here imports Textual or httpx; the UI subscribes (:meth:`JobRunner.subscribe`) and shows
what it is told. Assumptions where the services' docs are silent are the providers' (see
``animetui.providers.animeapi`` / ``ailab``); those made here:

* a download that fails transiently (network, 5xx) is retried with backoff until 24 h after the
  submission (AILab's documented lifetime; AnimeAPI's CDN lifetime is unknown, the same bound is
  used), then the job is ``EXPIRED``; a 404/410 on the link is ``EXPIRED`` at once, another 4xx
  ``FAILED`` at once (the link stays in ``result_url`` either way);
* the file extension comes from the bytes (WEBP/JPEG/PNG/…), falling back to the URL, then to
  the documented format (AnimeAPI WEBP; AILab JPEG);
* a job's ``cost_usd`` is AnimeAPI's documented price per image; AILab costs credits (None).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import errno
import logging
import os
import random
import re
import secrets
import sys
import time
import unicodedata
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

from animetui import net
from animetui.errors import (
    AnimetuiError,
    BadInput,
    Busy,
    NetworkError,
    NotFound,
    RateLimited,
    ServerError,
    Unsupported,
)
from animetui.models import (
    CARTOON_STYLES,
    GeneratedImage,
    GenerateRequest,
    ImageSource,
    Job,
    JobKind,
    JobState,
    Orientation,
    TaskStatus,
)
from animetui.store import JobJournal, JournalError

try:  # an advisory lock the kernel drops when its process dies, however it dies
    import fcntl

    def _lock_nb(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # OSError (BlockingIOError) when held

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

except ImportError:  # pragma: no cover - Windows (untested here): byte-range locks behave alike
    import msvcrt

    def _lock_nb(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # OSError when held

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)


log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Subscriber = Callable[[Job], None]

GENERATE_PROVIDER = "animeapi"
CARTOONIZE_PROVIDER = "ailab"
MAX_PROMPT = 1000  # AnimeAPI docs: "max 1000 characters"
RESULT_LIFETIME = 24 * 3600.0  # AILabTools: "results are valid for 24 hours"
DEFAULT_POLL_INTERVAL = 5.0  # AILabTools: "queried every 5 seconds"
JITTER = 0.10
MAX_BACKOFF = 60.0
MAX_REQUEUES = 20  # consecutive "not charged, try again" answers before a submit gives up
MAX_ODD_ANSWERS = 10  # consecutive unreadable poll answers before a job gives up
SUBMIT_SLOTS = 4  # concurrent submits per provider
DOWNLOAD_SLOTS = 4  # concurrent result downloads, all providers
POLL_SLOTS = 2  # polls per provider waiting on its rate limiter at once
SYNC_INTERVAL = 1.0  # seconds between looks at the journal for other processes' changes
STOP_GRACE = 15.0  # seconds stop() waits for paid requests already on the wire
LOAD_PAGE = 200  # journal rows read per event-loop turn at start
ADOPT_BATCH = 50  # orphaned jobs claimed and resumed per event-loop turn

OUTCOME_UNKNOWN_GENERATE = (
    "outcome unknown — animetui stopped while the request was being sent; "
    "the request may have been charged; check your balance"
)
OUTCOME_UNKNOWN_CARTOONIZE = (
    "outcome unknown — animetui stopped while the photo was being sent; "
    "AILabTools may have started the task and used a credit, but its id never reached the journal"
)
NOT_AN_IMAGE_TEXT = (
    "the result link gave a file that is not an image Pillow can read; nothing was saved — "
    "the result link is kept with the job"
)
JOURNAL_WAIT_MAX = 5.0  # longest pause between tries to write a paid result to a busy journal
EXPIRED_TEXT = "the result was not fetched within 24 h of the submission; AILabTools no longer keeps it"

_IMAGE_SUFFIXES = (".webp", ".jpg", ".jpeg", ".png", ".gif", ".bmp")
_DEFAULT_SUFFIX = {GENERATE_PROVIDER: ".webp", CARTOONIZE_PROVIDER: ".jpg"}
#: our result names (see _file_name) — only .part files of such names are ever removed
_RESULT_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}_\d{4}_.*_[0-9a-f]{6}\.[a-z0-9]{2,5}$")
_PART_FILE = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]{6,12}\.part$")


class _Superseded(Exception):
    """The journal row changed under us (cancelled or deleted elsewhere): stop driving the job."""


# --------------------------------------------------------------------------- runner ownership
class _OwnerLock:
    """An ``flock`` held while a runner runs; free once its process is gone (even after kill -9)."""

    def __init__(self, folder: Path, owner: str) -> None:
        self.folder = folder
        self.owner = owner
        self.path = folder / f"{owner}.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
        except OSError as exc:
            raise JournalError(
                f"{self.folder}: cannot create the job runner's lock file ({exc.strerror or exc}); "
                "check the data dir's permissions"
            ) from None
        try:
            _lock_nb(fd)
        except OSError:
            os.close(fd)
            raise
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        with contextlib.suppress(OSError):
            _unlock(self._fd)
        os.close(self._fd)
        self._fd = None

    @staticmethod
    def alive(folder: Path, owner: str) -> bool:
        """Does the runner ``owner`` still hold its lock? (A missing file: it stopped.)"""
        path = folder / f"{owner}.lock"
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            return False
        except OSError:
            return True  # cannot tell: assume alive, never steal a job
        try:
            _lock_nb(fd)
        except OSError:  # held: its runner is alive
            os.close(fd)
            return True
        try:  # it died without cleaning up: remove its file while we hold the lock
            with contextlib.suppress(OSError):
                path.unlink()
            with contextlib.suppress(OSError):
                _unlock(fd)
        finally:
            os.close(fd)
        return False

    @staticmethod
    def sweep(folder: Path, *, older_than: float = 60.0) -> None:
        """Remove lock files of runners that died. Only files over a minute old: a runner that is
        starting creates its file and locks it at once, so it is never mistaken for a dead one."""
        try:
            entries = list(folder.glob("*.lock"))
        except OSError:
            return
        now = time.time()
        for path in entries:
            try:
                if now - path.stat().st_mtime < older_than:
                    continue
            except OSError:
                continue
            _OwnerLock.alive(folder, path.stem)


# --------------------------------------------------------------------------- naming
def _slug(text: str, *, words: int = 6, limit: int = 48) -> str:
    """A file-name-safe, readable piece of ``text`` (letters of any script kept)."""
    normal = unicodedata.normalize("NFKC", text).lower()
    parts = [p for p in re.split(r"[^\w]+|_", normal) if p]
    slug = "-".join(parts[:words])[:limit].strip("-")
    return slug


def _file_name(job: Job, suffix: str) -> str:
    stamp = time.strftime("%Y-%m-%d_%H%M", time.localtime(job.created_at))
    if job.kind is JobKind.GENERATE:
        slug = _slug(str(job.params.get("prompt", "")))
    else:
        source = Path(str(job.params.get("source", ""))).stem
        slug = _slug(f"{source} {job.params.get('style_name', '')}")
    return f"{stamp}_{slug or job.kind.value}_{job.id[:6]}{suffix}"


def _sniff_suffix(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError:
        return None
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ".webp"
    if head.startswith(b"\xff\xd8\xff"):
        return ".jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return ".png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return ".gif"
    if head.startswith(b"BM"):
        return ".bmp"
    return None


def _url_suffix(url: str) -> str | None:
    path = url.split("?", 1)[0].split("#", 1)[0]
    suffix = Path(path).suffix.lower()
    if suffix == ".jpeg":
        return ".jpg"
    return suffix if suffix in _IMAGE_SUFFIXES else None


def describe(job: Job) -> str:
    """One line saying how a job ended (or where it is), for a toast or the CLI's stderr."""
    what = "Generation" if job.kind is JobKind.GENERATE else "Photo-to-anime"
    summary = job.summary if job.kind is JobKind.GENERATE else Path(job.summary).name
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


# --------------------------------------------------------------------------- the runner
class JobRunner:
    """Runs generation and photo-to-anime jobs over a :class:`JobJournal`.

    ``providers`` is the :class:`animetui.providers.Providers` registry (``.animeapi``,
    ``.ailab``, ``.downloads``, ``.settings``). ``clock`` gives wall-clock seconds for the journal
    and the 24 h rule (tests pass the simulator's clock); ``sleep`` is what the runner waits with.
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
        self.poll_interval = float(poll_interval) if poll_interval is not None else self._configured_interval(providers)
        self.bell = bell
        self.sync_interval = sync_interval
        self.owner = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._lock = _OwnerLock(journal.path.parent / f"{journal.path.name}.runners", self.owner)
        self._jobs: dict[str, Job] = {}
        self._revs: dict[str, int] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._subscribers: list[Subscriber] = []
        self._changed = asyncio.Event()
        self._submit_slots = {name: asyncio.Semaphore(submit_slots) for name in (GENERATE_PROVIDER, CARTOONIZE_PROVIDER)}
        self._download_slots = asyncio.Semaphore(download_slots)
        self._poll_slots = {CARTOONIZE_PROVIDER: asyncio.Semaphore(POLL_SLOTS)}
        self._sync_task: asyncio.Task[None] | None = None
        self._data_version: int | None = None
        self._balance: float | None = None
        self._started = False
        self._stopping = False
        self._stopped = False

    @staticmethod
    def _configured_interval(providers: Any) -> float:
        settings = getattr(providers, "settings", None)
        try:
            value = float(settings["providers.ailab.poll_interval"]) if settings is not None else DEFAULT_POLL_INTERVAL
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
        _OwnerLock.sweep(self._lock.folder)
        owners = self.journal.active_owners()
        self._clean_part_files(owners)
        await self._adopt(owners)

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

    async def submit_generate(self, request: GenerateRequest) -> Job:
        """Queue one AnimeAPI generation (a paid request). Bad input raises :class:`BadInput`."""
        prompt = request.prompt.strip() if isinstance(request.prompt, str) else ""
        if not prompt:
            raise BadInput("the prompt is empty: describe the image to generate", provider=GENERATE_PROVIDER)
        if len(prompt) > MAX_PROMPT:
            raise BadInput(
                f"the prompt is {len(prompt):,} characters, {len(prompt) - MAX_PROMPT:,} over AnimeAPI's limit "
                f"of {MAX_PROMPT:,}: shorten it",
                provider=GENERATE_PROVIDER,
            )
        try:
            orientation = Orientation(getattr(request.orientation, "value", request.orientation))
        except ValueError:
            raise BadInput(
                f"unknown orientation {request.orientation!r}: choose portrait, square or landscape",
                provider=GENERATE_PROVIDER,
            ) from None
        params = {
            "prompt": prompt,
            "orientation": orientation.value,
            "allow_nsfw": bool(request.allow_nsfw),
            "enhance": bool(request.enhance),
        }
        return await self._new_job(JobKind.GENERATE, GENERATE_PROVIDER, params)

    async def submit_cartoonize(self, source: Path, style: int) -> Job:
        """Queue one AILabTools photo-to-anime conversion of ``source`` in ``style`` (0–8)."""
        if isinstance(style, bool) or not isinstance(style, int) or not 0 <= style < len(CARTOON_STYLES):
            choices = ", ".join(f"{i} {name}" for i, name in enumerate(CARTOON_STYLES))
            raise BadInput(f"style {style!r} does not exist; choose 0–8: {choices}", provider=CARTOONIZE_PROVIDER)
        path = Path(source).expanduser()
        try:
            path = path.resolve()
        except OSError:
            pass
        if not path.exists():
            raise BadInput(f"{path}: no such file", provider=CARTOONIZE_PROVIDER)
        if not path.is_file():
            raise BadInput(f"{path}: not a file", provider=CARTOONIZE_PROVIDER)
        params = {"source": str(path), "style": style, "style_name": CARTOON_STYLES[style]}
        return await self._new_job(JobKind.CARTOONIZE, CARTOONIZE_PROVIDER, params)

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
                job, state=JobState.CANCELLED, error=_cancel_text(job), updated_at=now, finished_at=now
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
        params = job.params
        if job.kind is JobKind.GENERATE:
            request = GenerateRequest(
                prompt=str(params.get("prompt", "")),
                orientation=Orientation(str(params.get("orientation", Orientation.PORTRAIT.value))),
                allow_nsfw=bool(params.get("allow_nsfw", False)),
                enhance=bool(params.get("enhance", True)),
            )
            new = await self.submit_generate(request)
        else:
            new = await self.submit_cartoonize(Path(str(params.get("source", ""))), int(params.get("style", 0)))
        return new

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

    async def wait(self, ids: Iterable[str] | None = None) -> list[Job]:
        """Until the given jobs (default: all known) have ended; returns them in that order."""
        wanted = list(ids) if ids is not None else None
        if not self._started and not self._stopped:
            await self.start()
        while True:
            if wanted is None:
                jobs = self.list()
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
        """AnimeAPI's balance as of the last generation (kept across restarts via the journal)."""
        if self._balance is not None:
            return self._balance
        provider = self._provider_if_built(GENERATE_PROVIDER)
        value = getattr(provider, "last_balance_usd", None) if provider is not None else None
        if value is None and not self._started:
            value = self._balance_from_journal()
        return value

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
    async def _new_job(self, kind: JobKind, provider: str, params: dict[str, Any]) -> Job:
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
            kind=kind,
            provider=provider,
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
        if job.balance_usd is not None and job.kind is JobKind.GENERATE and (
            previous is None or previous.balance_usd != job.balance_usd
        ):
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
        """The balance the most recently *sent* generation reported (not the latest download)."""
        best: tuple[float, float] | None = None
        jobs = self._jobs.values() or self.journal.list(
            states=[JobState.DOWNLOADING, JobState.SUCCEEDED, JobState.FAILED, JobState.EXPIRED, JobState.CANCELLED]
        )
        for job in jobs:
            if job.kind is JobKind.GENERATE and job.balance_usd is not None:
                sent = job.submitted_at if job.submitted_at is not None else job.created_at
                if best is None or sent > best[0]:
                    best = (sent, job.balance_usd)
        return best[1] if best else None

    def _provider_if_built(self, name: str) -> Any:
        built = getattr(self.providers, "_built", None)
        if isinstance(built, dict):
            return built.get(name)
        return None

    # ================================================================== internals: other runners
    async def _adopt(self, owners: dict[str, str | None]) -> None:
        """Drive every active job (``owners``: id → owner) that is ours, unowned, or whose owner died."""
        verdicts: dict[str, bool] = {}
        orphans: dict[str | None, list[str]] = {}
        chosen: list[str] = []
        for job_id, owner in owners.items():
            if owner == self.owner:
                if job_id not in self._tasks:
                    chosen.append(job_id)
                continue
            if owner is not None:
                if owner not in verdicts:
                    verdicts[owner] = _OwnerLock.alive(self._lock.folder, owner)
                if verdicts[owner]:
                    continue  # a live runner elsewhere drives it; we only watch
            orphans.setdefault(owner, []).append(job_id)
        # (claim from whom, ids): ours need no claim; orphans are claimed in batches, one
        # transaction each (500 orphans cost 5 fsyncs, not 500)
        batches: list[tuple[bool, str | None, list[str]]] = []
        for start in range(0, len(chosen), ADOPT_BATCH):
            batches.append((False, None, chosen[start : start + ADOPT_BATCH]))
        for owner, ids in orphans.items():
            for start in range(0, len(ids), ADOPT_BATCH):
                batches.append((True, owner, ids[start : start + ADOPT_BATCH]))
        for number, (claim, owner, ids) in enumerate(batches):
            if number:
                await asyncio.sleep(0)  # a few ms per batch, then let the loop breathe
            if claim:
                ids = self.journal.claim_many(ids, self.owner, replacing=owner)
            fresh = self.journal.get_many(ids)  # as they are now, not as we last saw them
            fresh.sort(key=lambda job: (job.created_at, job.id))
            for job in fresh:
                if job.id in self._tasks or self._stopping:
                    continue
                self._revs.pop(job.id, None)  # our claim bumped its revision; re-read it at the next sync
                self._resume(job)

    def _resume(self, job: Job) -> None:
        """Decide what a job found in the journal needs, and start driving it."""
        self._jobs[job.id] = job
        try:
            job = self._settle(job)
        except _Superseded:
            return
        if not job.state.terminal:
            delay = self._rng.uniform(0, self.poll_interval) if job.state is JobState.RUNNING else None
            self._spawn(job, first_poll_delay=delay)

    def _settle(self, job: Job) -> Job:
        """The restart rules that need no network (outcome unknown, expired, file already saved)."""
        if job.state is JobState.DOWNLOADING and job.result_path:
            existing = self._existing_result(Path(job.result_path))
            if existing is not None:
                return self._commit(job, state=JobState.SUCCEEDED, result_path=str(existing), error="")
        if job.kind is JobKind.GENERATE:
            if job.state in (JobState.SUBMITTING, JobState.RUNNING):
                return self._commit(job, state=JobState.FAILED, error=OUTCOME_UNKNOWN_GENERATE)
            if job.state is JobState.DOWNLOADING and not job.result_url:
                return self._commit(job, state=JobState.FAILED, error=OUTCOME_UNKNOWN_GENERATE)
            return job
        if job.state is not JobState.QUEUED and self._past_lifetime(job):
            return self._commit(job, state=JobState.EXPIRED, error=EXPIRED_TEXT)
        if job.state is JobState.SUBMITTING and not job.remote_id:
            return self._commit(job, state=JobState.FAILED, error=OUTCOME_UNKNOWN_CARTOONIZE)
        if job.state is JobState.SUBMITTING:
            return self._commit(job, state=JobState.RUNNING)
        if job.state is JobState.DOWNLOADING and not job.result_url:
            return self._commit(job, state=JobState.RUNNING)
        return job

    async def _sync_loop(self) -> None:
        while True:
            await self._sleep(self.sync_interval)
            try:
                await self._sync()
            except Exception:  # keep watching; the next tick tries again
                log.exception("job journal sync failed")

    async def _sync(self) -> None:
        """Pick up other processes' writes, and adopt jobs of runners that died."""
        version = self.journal.data_version()
        foreign_active = any(job_id not in self._tasks and not job.state.terminal for job_id, job in self._jobs.items())
        if version == self._data_version and not foreign_active:
            return
        if version != self._data_version:
            self._data_version = version
            revisions = self.journal.revisions()
            changed = [job_id for job_id, rev in revisions.items() if self._revs.get(job_id) != rev]
            for job_id in [j for j in self._jobs if j not in revisions]:
                gone = self._jobs.pop(job_id)
                self._revs.pop(job_id, None)
                self._stop_task(job_id)
                self._notify(gone)
            for job in self.journal.get_many(changed):
                previous = self._jobs.get(job.id)
                self._revs[job.id] = revisions[job.id]
                if previous is not None and previous == job:
                    continue
                if previous is not None and previous.state != job.state and job.id in self._tasks:
                    self._stop_task(job.id)  # changed by someone else (a cancel): stop driving it
                self._set(job, previous=previous)
        if any(job_id not in self._tasks and not job.state.terminal for job_id, job in self._jobs.items()):
            await self._adopt(self.journal.active_owners())

    def _stop_task(self, job_id: str) -> None:
        task = self._tasks.pop(job_id, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()

    def _clean_part_files(self, owners: dict[str, str | None]) -> None:
        """Remove our leftover ``.part`` files, except those a live runner elsewhere is writing."""
        keep: set[str] = set()
        verdicts: dict[str, bool] = {}
        active = [(job, owner) for job_id, owner in owners.items() if (job := self._jobs.get(job_id)) is not None]
        for job, owner in active:
            if owner is None or owner == self.owner or not job.result_path:
                continue
            if owner not in verdicts:
                verdicts[owner] = _OwnerLock.alive(self._lock.folder, owner)
            if verdicts[owner]:
                keep.add(Path(job.result_path).name)
        folders = {self.downloads_dir} | {Path(j.result_path).parent for j, _ in active if j.result_path}
        for folder in folders:
            try:
                entries = list(folder.glob(".*.part"))
            except OSError:
                continue
            for path in entries:
                match = _PART_FILE.match(path.name)
                if not match or not _RESULT_NAME.match(match["name"]) or match["name"] in keep:
                    continue
                with contextlib.suppress(OSError):
                    path.unlink()

    # ================================================================== internals: driving jobs
    async def _drive(self, job_id: str, first_poll_delay: float | None) -> None:
        try:
            job = self._jobs[job_id]
            if job.kind is JobKind.GENERATE:
                await self._drive_generate(job)
            else:
                await self._drive_cartoonize(job, first_poll_delay)
        except _Superseded:
            pass
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug or an error nobody expected: end the job, say why
            log.exception("job %s failed unexpectedly", job_id)
            job = self._jobs.get(job_id)
            if job is not None and not job.state.terminal:
                if job.kind is JobKind.GENERATE and job.state is JobState.SUBMITTING:
                    text = OUTCOME_UNKNOWN_GENERATE
                else:
                    text = f"unexpected error ({type(exc).__name__}: {exc}); the job was stopped"
                with contextlib.suppress(Exception):
                    self._commit(job, state=JobState.FAILED, error=text)
        finally:
            if self._tasks.get(job_id) is asyncio.current_task():
                del self._tasks[job_id]

    # ------------------------------------------------------------------ AnimeAPI
    async def _drive_generate(self, job: Job) -> None:
        if job.state is JobState.DOWNLOADING:
            await self._download(job)
            return
        provider = self.providers.animeapi
        request = GenerateRequest(
            prompt=str(job.params.get("prompt", "")),
            orientation=Orientation(str(job.params.get("orientation", Orientation.PORTRAIT.value))),
            allow_nsfw=bool(job.params.get("allow_nsfw", False)),
            enhance=bool(job.params.get("enhance", True)),
        )
        limiter = getattr(getattr(provider, "ctx", None), "limiter", None)
        requeues = 0
        while True:
            async with self._submit_slots[GENERATE_PROVIDER]:
                # Wait for a token *before* saying "submitting": from the commit below to the
                # provider taking its token there is no await, so the row means "on the wire".
                while limiter is not None and (wait := limiter.wait_time()) > 0:
                    await self._sleep(wait)
                if self._stopping:  # never send a new paid request while stopping; it stays queued
                    return
                job = self._commit(
                    job,
                    state=JobState.SUBMITTING,
                    attempts=job.attempts + 1,
                    submitted_at=self._clock(),
                    error="",
                )
                try:
                    image: GeneratedImage = await provider.generate(request)
                except AnimetuiError as exc:
                    if not _safe_to_resubmit(provider, exc):
                        self._commit(job, state=JobState.FAILED, error=_generate_error(exc))
                        return
                    requeues += 1
                    if requeues > MAX_REQUEUES:
                        self._commit(
                            job,
                            state=JobState.FAILED,
                            error=f"{exc.message} — still refused after {MAX_REQUEUES} tries (nothing was charged); retry later",
                        )
                        return
                    delay = self._requeue_delay(exc, limiter, requeues)
                    job = self._commit(job, state=JobState.QUEUED, error=f"{exc.message}; trying again in {delay:.0f} s")
            if job.state is JobState.QUEUED:
                await self._sleep(delay)
                continue
            break
        params = dict(job.params)
        if image.enhanced_prompt:
            params["enhanced_prompt"] = image.enhanced_prompt
        cost = _provider_constant(provider, "COST_USD")
        job = await self._save(
            job,
            state=JobState.DOWNLOADING,
            params=params,
            result_url=image.image_url,
            result_path=str(self._destination(job, image.image_url)),
            balance_usd=image.balance_usd,
            cost_usd=cost,
        )
        if self._stopping:  # journalled; the download resumes on the next start
            return
        await self._download(job)

    def _requeue_delay(self, exc: AnimetuiError, limiter: Any, attempt: int) -> float:
        hinted = getattr(exc, "retry_after", None)
        limited = limiter.wait_time() if limiter is not None else 0.0
        backoff = min(MAX_BACKOFF, 2.0 ** min(attempt, 6))
        delay = max(hinted if hinted is not None else backoff, limited)
        return max(0.0, delay)

    # ------------------------------------------------------------------ AILabTools
    async def _drive_cartoonize(self, job: Job, first_poll_delay: float | None) -> None:
        provider = self.providers.ailab
        if job.state is JobState.QUEUED:
            job = await self._submit_cartoonize(job, provider)
            if job.state is not JobState.RUNNING or self._stopping:
                return
        if job.state is JobState.RUNNING:
            job = await self._poll(job, provider, first_poll_delay)
            if job.state is not JobState.DOWNLOADING:
                return
        if job.state is JobState.DOWNLOADING:
            await self._download(job)

    async def _submit_cartoonize(self, job: Job, provider: Any) -> Job:
        source = ImageSource(path=Path(str(job.params.get("source", ""))))
        style = int(job.params.get("style", 0))
        requeues = 0
        while True:
            async with self._submit_slots[CARTOONIZE_PROVIDER]:
                if self._stopping:  # it stays queued for the next start
                    return job
                job = self._commit(
                    job,
                    state=JobState.SUBMITTING,
                    attempts=job.attempts + 1,
                    submitted_at=self._clock(),
                    error="",
                )
                try:
                    task_id = await provider.submit(source, style=style)
                except AnimetuiError as exc:
                    if not _safe_to_resubmit(provider, exc):
                        return self._commit(job, state=JobState.FAILED, error=_cartoonize_submit_error(exc))
                    requeues += 1
                    if requeues > MAX_REQUEUES:
                        return self._commit(
                            job,
                            state=JobState.FAILED,
                            error=f"{exc.message} — still refused after {MAX_REQUEUES} tries (no credit used); retry later",
                        )
                    delay = self._requeue_delay(exc, None, requeues)
                    job = self._commit(job, state=JobState.QUEUED, error=f"{exc.message}; trying again in {delay:.0f} s")
                else:
                    return await self._save(job, state=JobState.RUNNING, remote_id=task_id)
            await self._sleep(delay)

    async def _poll(self, job: Job, provider: Any, first_delay: float | None) -> Job:
        assert job.remote_id is not None
        delay = self._jittered(self.poll_interval) if first_delay is None else first_delay
        troubles = 0
        odd = 0
        while True:
            if self._past_lifetime(job):
                return self._commit(job, state=JobState.EXPIRED, error=EXPIRED_TEXT)
            await self._sleep(delay)
            try:
                async with self._poll_slots[CARTOONIZE_PROVIDER]:
                    info = await provider.query(job.remote_id)
            except NotFound as exc:
                if exc.code == "expired" or self._past_lifetime(job):
                    return self._commit(job, state=JobState.EXPIRED, error=exc.message)
                return self._commit(
                    job,
                    state=JobState.FAILED,
                    error=f"{exc.message} — AILabTools no longer knows task {job.remote_id}",
                )
            except (RateLimited, Busy, NetworkError, ServerError) as exc:
                troubles += 1
                if isinstance(exc, ServerError) and not exc.retryable:
                    odd += 1
                    if odd >= MAX_ODD_ANSWERS:
                        return self._commit(
                            job,
                            state=JobState.FAILED,
                            error=f"{exc.message} (task {job.remote_id}; {odd} unreadable answers in a row)",
                        )
                hinted = getattr(exc, "retry_after", None)
                backoff = min(MAX_BACKOFF, self.poll_interval * 2.0 ** min(troubles, 6))
                delay = self._jittered(max(backoff, hinted or 0.0))
                text = f"{exc.message}; polling less often"
                if job.error != text:
                    job = self._commit(job, error=text)
                continue
            except AnimetuiError as exc:  # auth, bad input: polling again would not help
                return self._commit(job, state=JobState.FAILED, error=f"{exc.message} (task {job.remote_id})")
            troubles = odd = 0
            delay = self._jittered(self.poll_interval)
            if job.error:
                job = self._commit(job, error="")
            if info.status is TaskStatus.SUCCEEDED and info.result_url:
                return await self._save(
                    job,
                    state=JobState.DOWNLOADING,
                    result_url=info.result_url,
                    result_path=str(self._destination(job, info.result_url)),
                )
            if info.status is TaskStatus.SUCCEEDED or info.status is TaskStatus.FAILED:
                detail = info.detail or "the service could not convert the photo"
                return self._commit(job, state=JobState.FAILED, error=f"AILabTools: {detail}")

    # ------------------------------------------------------------------ downloads
    def _destination(self, job: Job, url: str) -> Path:
        suffix = _url_suffix(url) or _DEFAULT_SUFFIX.get(job.provider, ".img")
        return self.downloads_dir / _file_name(job, suffix)

    @staticmethod
    def _existing_result(path: Path) -> Path | None:
        """The saved file for ``path`` (perhaps renamed to the format its bytes are), if its bytes
        are an image (an older animetui may have saved an HTML page under an image name)."""
        for candidate in (path, *(path.with_suffix(suffix) for suffix in _IMAGE_SUFFIXES)):
            if candidate.is_file() and _sniff_suffix(candidate) is not None:
                return candidate
        return None

    async def _download(self, job: Job) -> None:
        """Fetch a paid result until it is saved, the link dies, or 24 h have passed.

        A result that cannot be written (disk full, folder not writable) stays ``DOWNLOADING``
        with a "waiting: …" note and is tried again with back-off until its link expires: it was
        paid for, so it is never given up while it may still be fetched. A link that can never
        give the file (a redirect to ``file://`` or in a loop, a 4xx, a body that is not an
        image) ends the job at once with the reason.
        """
        assert job.result_url
        dest = Path(job.result_path) if job.result_path else self._destination(job, job.result_url)
        if job.result_path != str(dest):
            job = await self._save(job, result_path=str(dest))
        existing = self._existing_result(dest)
        if existing is not None:
            await self._save(job, state=JobState.SUCCEEDED, result_path=str(existing), error="")
            return
        self._remove_parts(dest)
        client = self.providers.downloads
        troubles = 0
        while True:
            try:
                async with self._download_slots:
                    await net.download(client, job.result_url, dest, provider=job.provider)
            except NotFound as exc:
                await self._save(job, state=JobState.EXPIRED, error=f"{exc.message}; the result can no longer be fetched")
                return
            except AnimetuiError as exc:
                permanent = _permanent_download_failure(exc)
                if permanent is not None:
                    await self._save(
                        job,
                        state=JobState.FAILED,
                        error=f"{permanent}; the result cannot be fetched from it — the link is kept with the job",
                    )
                    return
                reason, text = exc.message, f"{exc.message}; trying the download again"
            except OSError as exc:
                reason = text = _waiting_for_disk(dest.parent, exc)
            else:
                # net.download refuses bodies that do not start like an image; Pillow checks the
                # rest (a truncated or forged header) before the job is called done
                if await asyncio.to_thread(_is_image, dest):
                    break
                with contextlib.suppress(OSError):
                    dest.unlink()
                await self._save(job, state=JobState.FAILED, error=NOT_AN_IMAGE_TEXT)
                return
            troubles += 1
            if self._past_lifetime(job):
                await self._save(
                    job,
                    state=JobState.EXPIRED,
                    error=f"{reason}; gave up 24 h after the submission, the link is no longer valid",
                )
                return
            if job.error != text:
                job = await self._save(job, error=text)
            await self._sleep(self._jittered(min(MAX_BACKOFF, 2.0 ** min(troubles, 6))))
        final = dest
        actual = _sniff_suffix(dest)
        if actual is not None and actual != dest.suffix.lower() and not (actual == ".jpg" and dest.suffix.lower() == ".jpeg"):
            final = dest.with_suffix(actual)
            try:
                os.replace(dest, final)
            except OSError:
                final = dest
        await self._save(job, state=JobState.SUCCEEDED, result_path=str(final), error="")

    def _remove_parts(self, dest: Path) -> None:
        with contextlib.suppress(OSError):
            for path in dest.parent.glob(f".{_glob_escape(dest.name)}.*.part"):
                with contextlib.suppress(OSError):
                    path.unlink()

    # ------------------------------------------------------------------ small helpers
    def _jittered(self, seconds: float) -> float:
        # upward only: a wait is never shorter than asked (AILabTools' docs: poll every 5 s or slower)
        return max(0.0, seconds * self._rng.uniform(1.0, 1 + JITTER))

    def _past_lifetime(self, job: Job) -> bool:
        started = job.submitted_at if job.submitted_at is not None else job.created_at
        return self._clock() - started >= RESULT_LIFETIME


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def _permanent_download_failure(exc: AnimetuiError) -> str | None:
    """Why asking the result link again can never give the file — a 4xx, over the size cap, or
    :class:`animetui.errors.ResultUnavailable` (``permanent``: a redirect to ``file://`` or in a
    loop, a body that is not an image) — or None for trouble that may pass (network, 5xx)."""
    if getattr(exc, "permanent", False) or not exc.retryable:
        return exc.message
    return None


def _waiting_for_disk(folder: Path, exc: OSError) -> str:
    """The "waiting: …" note of a paid result that could not be written."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return (
            f"waiting: disk full — could not save the result in {folder}; free some space "
            "(animetui keeps trying until the link expires)"
        )
    return (
        f"waiting: could not save the result in {folder} ({exc.strerror or exc}); fix the folder or "
        "change general.downloads_dir (animetui keeps trying until the link expires)"
    )


def _is_image(path: Path) -> bool:
    """Are ``path``'s bytes an image Pillow can read (magic bytes first, then ``verify``)?"""
    if _sniff_suffix(path) is None:
        return False
    try:
        from PIL import Image

        with Image.open(path) as image:
            image.verify()
    except Exception:  # noqa: BLE001 - any complaint from Pillow: not an image we can show
        return False
    return True


def _provider_constant(provider: Any, name: str) -> Any:
    module = sys.modules.get(type(provider).__module__)
    return getattr(provider, name, None) or getattr(module, name, None)


def _safe_to_resubmit(provider: Any, exc: AnimetuiError) -> bool:
    """The provider's word if it has one; else only "refused before any work" answers."""
    judge = getattr(provider, "is_safe_to_resubmit", None)
    if callable(judge):
        return bool(judge(exc))
    if getattr(exc, "maybe_charged", False):
        return False
    return isinstance(exc, (RateLimited, Busy))


def _generate_error(exc: AnimetuiError) -> str:
    text = exc.message
    if getattr(exc, "maybe_charged", False) and "may have been charged" not in text:
        text += " — the request may have been charged; check your balance"
    return text


def _cartoonize_submit_error(exc: AnimetuiError) -> str:
    text = exc.message
    if getattr(exc, "maybe_charged", False) and "credit" not in text:
        text += " — AILabTools may have started the task and used a credit"
    return text


def _cancel_text(job: Job) -> str:
    paid = job.kind is JobKind.GENERATE
    if job.state is JobState.QUEUED:
        return "cancelled before it was sent; nothing was charged" if paid else "cancelled before it was sent; no credit used"
    if job.state is JobState.SUBMITTING:
        if paid:
            return "cancelled while the request was being sent; AnimeAPI may still make the image and charge for it — check your balance"
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
