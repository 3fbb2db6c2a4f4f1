"""Scanning folders and indexing files: the durable, resumable, incremental job.

* :func:`scan` walks the registered folders: new files are queued, changed ones (size or mtime)
  re-queued under a new id, vanished ones forgotten. A folder whose root is gone (a disconnected
  drive) is *not* forgotten: its files are marked ``offline`` and come back as they were when the
  drive does.
* :func:`run` indexes queued files one by one in the calling process: decode → colour layout →
  dedupe → a SQLite commit every few hundred kept frames with the file's resume point. A kill at
  any instant loses at most the uncommitted batch; the next run resumes the file where the last
  commit left it. Between batches it looks at the job row: ``paused``/``cancelled`` (set by
  ``animetui library pause|cancel`` or the UI) stop it cleanly after a commit.
* :func:`start_worker` runs :func:`run` in a separate, niced process (``python -m
  animetui.library.worker``); a lock file makes sure only one runs per library.

Every problem with one file (unreadable, truncated, not a video, vanished) is one line in that
file's row and the job goes on with the next; a problem with the library itself (disk full, the
data dir unwritable) stops the job with one line in the job row, leaving everything committed
usable and the job resumable.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from animetui.library import db as dbm
from animetui.library.db import LibraryDB
from animetui.library.frames import VIDEO_SUFFIXES, DecodeReport, Deduper, VideoError, decode_vectors, probe
from animetui.library.names import title_and_episode
from animetui.store import JournalError

COMMIT_KEPT = 512  # kept frames per SQLite commit
FLUSH_SECONDS = 300.0  # write an index segment at least this often while indexing


@dataclass(slots=True)
class ScanReport:
    new: int = 0
    changed: int = 0
    same: int = 0
    gone: int = 0
    offline: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def scan(db: LibraryDB, *, folder_ids: set[int] | None = None) -> ScanReport:
    report = ScanReport()
    for folder_id, root_text, title, _ in db.folders():
        if folder_ids is not None and folder_id not in folder_ids:
            continue
        root = Path(root_text)
        try:
            reachable = root.is_dir() and os.access(root, os.R_OK | os.X_OK)
        except OSError:
            reachable = False
        if not reachable:
            report.offline.append(root_text)
            known = [f.id for f in db.files(folder_id=folder_id) if f.state != dbm.OFFLINE]
            db.mark_files(known, dbm.OFFLINE, "the folder is not reachable (drive disconnected?)")
            continue
        seen: set[str] = set()
        for dirpath, dirnames, filenames in os.walk(root, onerror=lambda e: report.problems.append(f"{e.filename}: cannot read ({e.strerror})")):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.startswith(".") or Path(name).suffix.lower() not in VIDEO_SUFFIXES:
                    continue
                path = Path(dirpath) / name
                try:
                    st = path.stat()
                except OSError as exc:
                    report.problems.append(f"{path}: cannot read ({exc.strerror})")
                    continue
                seen.add(str(path))
                show, episode = title_and_episode(path, root=root, override=title)
                outcome = db.upsert_file(folder_id, str(path), st.st_size, st.st_mtime_ns, show, episode)
                setattr(report, outcome, getattr(report, outcome) + 1)
        for f in db.files(folder_id=folder_id):
            if f.path not in seen:
                db.delete_file(f.id)
                report.gone += 1
    return report


# --------------------------------------------------------------------------- indexing
@dataclass(slots=True)
class RunResult:
    files: int = 0
    seconds: float = 0.0
    vectors: int = 0
    stopped: str = ""  # "", "paused", "cancelled", or the reason the job failed


def _next_file(db: LibraryDB) -> dbm.FileRow | None:
    rows = db.files(states=[dbm.INDEXING]) or db.files(states=[dbm.PENDING])
    return rows[0] if rows else None


def _stop_requested(db: LibraryDB) -> str:
    state = db.job().state
    return state if state in (dbm.PAUSED, dbm.CANCELLED) else ""


WATCH_SECONDS = 60.0  # a watching worker rescans this often (``library add DIR --watch``)
WATCH_POLL = 1.0  # a watching worker looks for a pause or cancel this often between its rescans


def _wait_watching(db: LibraryDB, seconds: float) -> bool:
    """Sleep ``seconds`` between two rescans, waking early for a pause or cancel (False then)."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        if _stop_requested(db):
            return False
        time.sleep(min(WATCH_POLL, left))
    return True


def run(
    db: LibraryDB,
    index: Any | None = None,
    *,
    sampling: str = "nonref",
    threads: int = 0,
    watch: float = 0.0,
    watch_folders: bool = False,
    on_file: Callable[[dbm.FileRow, str], None] | None = None,
) -> RunResult:
    """Index every queued file (``watch`` > 0: then rescan every ``watch`` seconds, forever;
    ``watch_folders``, the background worker: also when a folder is marked watched)."""
    result = RunResult()
    started = time.monotonic()
    last_flush = time.monotonic()
    if early := _stop_requested(db):  # cancelled or paused while this worker was starting: honoured, not overwritten
        result.stopped = early
        db.set_job(pid=None, current="", rate=0.0, message=_summary(result))
        return result
    try:
        for pending in db.files(states=[dbm.PENDING, dbm.INDEXING]):
            if pending.duration <= 0:
                with contextlib.suppress(VideoError):
                    info = probe(Path(pending.path))
                    with db.tx() as c:
                        c.execute("UPDATE lib_files SET duration = ? WHERE id = ?", (info.duration, pending.id))
        totals = db.totals()
        done_before = totals["indexed_seconds"]
        db.set_job(state=dbm.RUNNING, pid=os.getpid(), started_at=time.time(), seconds_total=totals["seconds"],
                   seconds_done=done_before, rate=0.0, current="", message="")
        if index is not None:
            index.flush()  # catch up with chunks a killed run committed but never put in a segment
        while True:
            stop = _stop_requested(db)
            if stop:
                result.stopped = stop
                break
            f = _next_file(db)
            if f is None:
                if watch <= 0 and watch_folders and any(w for *_, w in db.folders()):
                    watch = WATCH_SECONDS  # a folder added with --watch (or the tick box) since this worker began
                if watch > 0:
                    if index is not None:
                        index.flush()
                    db.set_job(current="", message="watching for new files")
                    if _wait_watching(db, watch):
                        scan(db)
                    continue
                break
            try:
                outcome, seconds, kept = _index_file(db, f, sampling=sampling, threads=threads)
            except JournalError:
                raise
            except Exception as exc:  # noqa: BLE001 - one strange file must not stop the job
                reason = " ".join(str(exc).split())[:200] or type(exc).__name__
                outcome, seconds, kept = dbm.OFFLINE, 0.0, 0
                if not _unplugged(db, db.folder_for(Path(f.path))):  # an I/O error from a drive just unplugged
                    db.drop_file(f.id, dbm.ERROR, f"{f.path}: cannot index it ({reason})")
                    outcome = dbm.ERROR
            result.files += 1
            result.seconds += seconds
            result.vectors += kept
            if on_file is not None:
                on_file(f, outcome)
            elapsed = max(1e-6, time.monotonic() - started)
            db.set_job(seconds_done=db.totals()["indexed_seconds"], rate=result.seconds / elapsed, current="")
            if index is not None and time.monotonic() - last_flush > FLUSH_SECONDS:
                index.flush()
                last_flush = time.monotonic()
            if outcome in (dbm.PAUSED, dbm.CANCELLED):
                result.stopped = outcome
                break
        if index is not None:
            index.flush()
    except (JournalError, OSError, Exception) as exc:  # noqa: BLE001 - the job stops with one line
        from animetui.library.index import IndexError_

        if not isinstance(exc, (JournalError, IndexError_, OSError)):
            raise
        message = str(exc) if not isinstance(exc, OSError) else f"cannot write the library ({exc.strerror or exc})"
        if getattr(exc, "errno", None) == 28 or "full" in message:
            message += "" if "free" in message else "; free some disk space, then `animetui library rescan`"
        result.stopped = message
        with contextlib.suppress(Exception):
            db.set_job(state=dbm.FAILED, pid=None, current="", message=message)
        return result
    final = {"": dbm.IDLE, dbm.PAUSED: dbm.PAUSED, dbm.CANCELLED: dbm.CANCELLED}.get(result.stopped, dbm.IDLE)
    db.set_job(state=final, pid=None, current="", rate=0.0, message=_summary(result))
    db.checkpoint()
    return result


def _summary(result: RunResult) -> str:
    what = f"indexed {result.files} file(s), {result.seconds / 3600:.2f} h of video"
    return f"{what}; {result.stopped}" if result.stopped else what


def _unplugged(db: LibraryDB, folder: tuple[int, str] | None) -> bool:
    """The folder's root is gone (a disconnected drive): its files are marked offline, keeping
    their vectors and resume points (a half-indexed file carries on when the drive is back)."""
    if folder is None or Path(folder[1]).is_dir():
        return False
    db.mark_files([x.id for x in db.files(folder_id=folder[0])], dbm.OFFLINE, "the folder is not reachable (drive disconnected?)")
    return True


def _index_file(db: LibraryDB, f: dbm.FileRow, *, sampling: str, threads: int) -> tuple[str, float, int]:
    """Index one file; returns (outcome, seconds of video covered, vectors kept)."""
    import numpy as np

    path = Path(f.path)
    folder = db.folder_for(path)
    if _unplugged(db, folder):
        return dbm.OFFLINE, 0.0, 0
    try:
        st = path.stat()
    except OSError:
        if _unplugged(db, folder):
            return dbm.OFFLINE, 0.0, 0
        db.drop_file(f.id, dbm.MISSING, "vanished before it could be indexed")
        return dbm.MISSING, 0.0, 0
    if (st.st_size, st.st_mtime_ns) != (f.size, f.mtime_ns):
        show, episode = f.title, f.episode
        db.upsert_file(f.folder_id, f.path, st.st_size, st.st_mtime_ns, show, episode)  # a new id, queued
        return "changed", 0.0, 0
    try:
        info = probe(path)
    except VideoError as exc:
        if _unplugged(db, folder):
            return dbm.OFFLINE, 0.0, 0
        db.drop_file(f.id, dbm.ERROR, str(exc))
        return dbm.ERROR, 0.0, 0
    db.start_file(f.id, info.duration)
    db.set_job(current=f.path)
    dedupe = Deduper()
    report = DecodeReport()
    kept_t: list[Any] = []
    kept_v: list[Any] = []
    pending = 0
    decoded_since = 0
    kept_total = 0
    stop = ""

    def should_stop() -> bool:
        nonlocal stop
        stop = _stop_requested(db)
        return bool(stop)

    def commit() -> None:
        nonlocal pending, decoded_since, kept_total
        times = np.concatenate(kept_t) if kept_t else np.zeros(0)
        vecs = np.concatenate(kept_v) if kept_v else np.zeros((0, 33), dtype=np.uint8)
        db.add_chunk(f.id, times, vecs, resume_at=report.last_time, decoded=decoded_since)
        kept_total += len(times)
        kept_t.clear()
        kept_v.clear()
        pending = decoded_since = 0

    try:
        for times, vectors in decode_vectors(path, sampling=sampling, start=f.resume_at, threads=threads,
                                             report=report, should_stop=should_stop):
            mask = dedupe.keep(times, vectors)
            kept_t.append(times[mask])
            kept_v.append(vectors[mask])
            pending += int(mask.sum())
            decoded_since += len(times)
            if pending >= COMMIT_KEPT:
                commit()
    except VideoError as exc:
        if _unplugged(db, folder):  # the drive went mid-file: what is committed stays, resumed when it is back
            return dbm.OFFLINE, 0.0, kept_total
        db.drop_file(f.id, dbm.ERROR, str(exc))
        return dbm.ERROR, 0.0, 0
    if _unplugged(db, folder):
        return dbm.OFFLINE, 0.0, kept_total
    if not path.exists():
        db.drop_file(f.id, dbm.MISSING, "vanished while it was being indexed")
        return dbm.MISSING, 0.0, 0
    commit()
    if stop:
        return stop, 0.0, kept_total
    note = ""
    if report.truncated:
        note = f"damaged or cut short: indexed up to {report.last_time:.0f} s of {info.duration:.0f} s ({report.truncated})"
    elif info.duration and report.last_time < info.duration - 5 and report.frames_decoded:
        note = f"cut short: indexed up to {report.last_time:.0f} s of {info.duration:.0f} s"
    if report.frames_decoded == 0 and f.resume_at == 0:
        db.drop_file(f.id, dbm.ERROR, f"{path}: no picture could be decoded")
        return dbm.ERROR, 0.0, 0
    db.finish_file(f.id, error=note)
    return dbm.DONE, info.duration or report.last_time, kept_total


# --------------------------------------------------------------------------- the background process
def worker_lock(db_path: Path) -> IO[str] | None:
    """An exclusive lock on ``<library>/worker.lock`` or ``None`` when another worker has it."""
    import fcntl

    lock = open(db_path.parent / "worker.lock", "a+")  # noqa: SIM115 - held for the process's life
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.close()
        return None
    return lock


def worker_running(db_path: Path) -> bool:
    lock = worker_lock(db_path)
    if lock is None:
        return True
    lock.close()
    return False


_SECRET_WORDS = ("KEY", "PASSWORD", "TOKEN", "SECRET")


def start_worker(db_path: Path, *, watch: float = 0.0, config: str | None = None, fresh: bool = False) -> int | None:
    """Start the niced background indexer (unless one runs); returns its pid or ``None``.
    ``fresh`` (a user's add, rescan, remove or resume): an old pause, cancel or failure is
    cleared first — a new worker honours one it finds (asked while it was starting)."""
    if worker_running(db_path):
        return None
    if fresh:
        with LibraryDB(db_path) as db:
            db.request(dbm.IDLE, only_if=(dbm.PAUSED, dbm.CANCELLED, dbm.FAILED))
    env = {k: v for k, v in os.environ.items()
           if k == "ANIMETUI_LIBRARY_TOKEN" or not any(w in k.upper() for w in _SECRET_WORDS)}  # its own Milvus token only
    args = [sys.executable, "-m", "animetui.library.worker", str(db_path)]
    if watch:
        args += ["--watch", str(watch)]
    if config:
        args += ["--config", config]
    log = open(db_path.parent / "worker.log", "ab")  # noqa: SIM115
    try:
        child = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
                                 start_new_session=True, close_fds=True)
    finally:
        log.close()
    return child.pid
