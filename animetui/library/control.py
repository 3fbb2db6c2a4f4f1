"""The library seen and steered from outside the indexer: what the TUI's Library screen and the
Jobs pane show (:func:`overview`), and the same steps as ``animetui library add|rescan|title|
pause|resume|cancel`` (:func:`add_folder`, …) returning one line each for the user.

Every function opens ``library.sqlite3`` briefly and closes it (the indexer is another process);
they block on SQLite and the disk, so the TUI calls them in a thread. Standard library only at
import time.

The indexer's own state is described by :class:`JobView` — state, progress, ETA, current file;
the ``index`` job kind (:mod:`animetui.jobs.index`) follows it, and the Jobs pane shows that job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class FolderView:
    id: int
    path: str
    title: str | None  # None: read from the file names
    watch: bool
    files: int
    indexed_files: int
    indexed_hours: float
    total_hours: float
    problems: int
    offline: bool  # the folder (a drive?) is not reachable: its index is kept


@dataclass(frozen=True, slots=True)
class JobView:
    state: str  # idle | running | paused | cancelled | failed | interrupted (killed: resume picks it up)
    progress: float | None  # 0..1 of the video seconds queued
    eta: float | None  # seconds
    current: str  # the file being indexed
    message: str
    running: bool  # the worker process is alive

    @property
    def active(self) -> bool:
        return self.state in ("running", "paused", "interrupted") or self.running


@dataclass(frozen=True, slots=True)
class Overview:
    exists: bool
    folders: tuple[FolderView, ...] = ()
    job: JobView | None = None
    indexed_hours: float = 0.0
    disk_bytes: int = 0
    problems: tuple[str, ...] = field(default_factory=tuple)  # one line each (first 20)
    error: str = ""  # the library could not be read (a clear line, never a traceback)


def db_path(data_dir: Path) -> Path:
    return Path(data_dir) / "library" / "library.sqlite3"


def exists(data_dir: Path | None) -> bool:
    return data_dir is not None and db_path(Path(data_dir)).is_file()


def overview(data_dir: Path) -> Overview:
    """Everything the Library screen shows, read in one go (blocking; call it in a thread)."""
    path = db_path(data_dir)
    if not path.is_file():
        return Overview(exists=False)
    try:
        from animetui.library import db as dbm
        from animetui.library.indexer import worker_running

        with dbm.LibraryDB(path) as db:
            job = db.job()
            running = worker_running(db.path)
            state = "interrupted" if job.state == dbm.RUNNING and not running else job.state
            folders = []
            for fid, fpath, title, watch in db.folders():
                files = db.files(folder_id=fid)
                # a file on a disconnected drive keeps its vectors: still searchable, still indexed
                done = [f for f in files if f.state == dbm.DONE or (f.state == dbm.OFFLINE and f.kept > 0)]
                folders.append(FolderView(
                    id=fid, path=fpath, title=title, watch=bool(watch), files=len(files), indexed_files=len(done),
                    indexed_hours=sum(f.duration for f in done) / 3600,
                    total_hours=sum(f.duration for f in files) / 3600,
                    problems=sum(f.state in (dbm.ERROR, dbm.MISSING) for f in files),
                    offline=any(f.state == dbm.OFFLINE for f in files) or not Path(fpath).is_dir(),
                ))
            problems = [f"{f.state}: {f.error or f.path}" for f in db.files(states=[dbm.ERROR, dbm.MISSING])][:20]
            totals = db.totals()
        progress = (job.seconds_done / job.seconds_total) if job.seconds_total else None
        view = JobView(state=state, progress=progress, eta=job.eta if running else None, current=job.current, message=job.message,
                       running=running)
        return Overview(exists=True, folders=tuple(folders), job=view,
                        indexed_hours=float(totals.get("indexed_seconds") or 0) / 3600,
                        disk_bytes=dbm.disk_bytes(Path(data_dir)), problems=tuple(problems))
    except Exception as exc:  # noqa: BLE001 - a damaged or unreachable library: one line
        return Overview(exists=True, error=_why(exc))


def _why(exc: BaseException) -> str:
    from animetui.errors import AnimetuiError

    if isinstance(exc, AnimetuiError):
        return str(exc)
    if isinstance(exc, OSError):
        return f"cannot read the library ({exc.strerror or exc})"
    return f"cannot read the library ({type(exc).__name__})"


def _start(data_dir: Path, config: str | None, *, watch: bool = False) -> str:
    from animetui.library.indexer import start_worker

    pid = start_worker(db_path(data_dir), watch=60.0 if watch else 0.0, config=config, fresh=True)
    return "indexing in the background" if pid else "the indexer is already running; it will pick these up"


def add_folder(data_dir: Path, folder: str, *, title: str = "", config: str | None = None, start: bool = True,
               watch: bool = False) -> str:
    """Add ``folder`` (scanned now, indexed by the background worker; ``watch``: new episodes too,
    as ``library add DIR --watch``); one line for the user."""
    from animetui.library.db import LibraryDB
    from animetui.library.indexer import scan

    root = Path(folder.strip()).expanduser()
    if not folder.strip():
        return "Type the folder of your videos."
    try:
        root = root.resolve()
        if not root.is_dir():
            return f"{root}: no such folder"
        with LibraryDB(db_path(data_dir)) as db:
            folder_id = db.add_folder(root, watch=watch)
            if title.strip():
                db.set_title(folder_id, title.strip())
            report = scan(db, folder_ids={folder_id})
        line = f"{root}: {report.new} new, {report.changed} changed file(s)"
        line += "; watched for new episodes" if watch else ""
        return f"{line}; {_start(data_dir, config, watch=watch)}" if start else line
    except Exception as exc:  # noqa: BLE001
        return _why(exc)


def rescan(data_dir: Path, *, config: str | None = None, start: bool = True) -> str:
    from animetui.library import db as dbm
    from animetui.library.indexer import scan

    try:
        with dbm.LibraryDB(db_path(data_dir)) as db:
            report = scan(db)
            db.request(dbm.IDLE, only_if=(dbm.PAUSED, dbm.CANCELLED, dbm.FAILED))
            watch = any(w for *_, w in db.folders())
        line = f"{report.new} new, {report.changed} changed, {report.gone} gone"
        if report.offline:
            line += f"; {len(report.offline)} folder(s) not reachable (their index is kept)"
        return f"{line}; {_start(data_dir, config, watch=watch)}" if start else line
    except Exception as exc:  # noqa: BLE001
        return _why(exc)


def set_title(data_dir: Path, folder_id: int, title: str) -> str:
    """Correct a folder's title (empty: read it from the file names again)."""
    from animetui.library.db import LibraryDB
    from animetui.library.names import title_and_episode

    try:
        with LibraryDB(db_path(data_dir)) as db:
            root = next((Path(p) for fid, p, _, _ in db.folders() if fid == folder_id), None)
            if root is None:
                return "that folder is no longer in the library"
            db.set_title(folder_id, title.strip() or None)
            if not title.strip():
                for f in db.files(folder_id=folder_id):
                    show, episode = title_and_episode(Path(f.path), root=root)
                    with db.tx() as c:
                        c.execute("UPDATE lib_files SET title = ?, episode = ? WHERE id = ?", (show, episode, f.id))
        return f"{root.name}: {title.strip() or 'title from the file names'}"
    except Exception as exc:  # noqa: BLE001
        return _why(exc)


def steer(data_dir: Path, what: str, *, config: str | None = None, start: bool = True, watch: bool = False) -> str:
    """``pause`` | ``resume`` | ``cancel`` the indexing job (``watch``: a resumed worker keeps
    watching for new episodes); one line for the user."""
    from animetui.library import db as dbm

    try:
        with dbm.LibraryDB(db_path(data_dir)) as db:
            if what == "pause":
                return "pausing after the current batch" if db.request(dbm.PAUSED) else "no indexing job is running"
            if what == "cancel":  # idle with work queued: a worker is starting (it honours the cancel)
                starting = (dbm.IDLE,) if db.totals()["pending_files"] else ()
                ok = db.request(dbm.CANCELLED, only_if=(dbm.RUNNING, dbm.PAUSED, *starting))
                return "cancelling; files indexed so far stay searchable" if ok else "no indexing job to cancel"
            db.request(dbm.IDLE, only_if=(dbm.PAUSED, dbm.CANCELLED, dbm.FAILED))
        return _start(data_dir, config, watch=watch) if start else "resumed (the indexer starts with the next rescan)"
    except Exception as exc:  # noqa: BLE001
        return _why(exc)


def job_line(job: JobView | None) -> str:
    """``indexing 42 % · ETA 3:10 · Show - 03.mkv`` (plain text; the caller sanitises)."""
    if job is None:
        return ""
    parts = [{"running": "indexing", "idle": "idle (all indexed)"}.get(job.state, job.state)]
    if job.progress is not None and job.state != "idle":
        parts.append(f"{job.progress * 100:.0f} %")
    if job.eta is not None:
        minutes, seconds = divmod(int(job.eta), 60)
        parts.append(f"ETA {minutes // 60}:{minutes % 60:02d}:{seconds:02d}" if minutes >= 60 else f"ETA {minutes}:{seconds:02d}")
    if job.current and job.state in ("running", "paused"):
        parts.append(Path(job.current).name)
    return " · ".join(parts)
