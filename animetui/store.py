"""The local SQLite database: the job journal, and what any component needs to keep its tables
in the same file (:func:`connect`, per-component :func:`migrate`).

Why SQLite: a job that costs money must outlive any crash, and a journal that is half-written must
never be half-read. SQLite gives atomic commits, survives ``kill -9`` at any instant, and lets the
CLI (``animetui jobs``) read while the TUI writes. Standard library only (``sqlite3``).

The file and who owns what
    The caller chooses the path (``locations.jobs_db`` / ``locations.history_db``). One file may
    hold several components' tables, each kept by its own class through its own connection:
    :class:`JobJournal` owns ``jobs`` (in ``jobs.sqlite3``); :class:`animetui.history.History`
    owns ``lookups`` (component ``"history"``) and :class:`animetui.batch.BatchJournal` owns
    ``batches``/``batch_items`` (component ``"batch"``), both in ``history.sqlite3``. Every such
    class:

    * opens the file with :func:`connect` (WAL, ``synchronous``, busy timeout, foreign keys), and
    * creates/upgrades *only its own tables* with :func:`migrate` under its own component name
      (``"jobs"`` here), never touching another component's tables.

Versioning
    ``PRAGMA user_version`` holds the version of the *file layout* (:data:`FILE_FORMAT`): version 1
    means "each component's schema version is a row of the ``schema_versions`` table". Per-component
    versions live there because one ``user_version`` cannot number two independent schemas. A
    component's migrations are an ordered tuple of SQL scripts; script *n* takes the component from
    version *n-1* to *n*, and runs in the same transaction as the version bump, so an interrupted
    upgrade leaves the old schema intact. A file or component newer than this code knows is refused
    with a clear message (we never "downgrade" a user's data). Every database failure (disk full,
    permissions, a corrupt file, a newer schema) is a :class:`JournalError` saying what to do.

Durability: WAL + ``synchronous=FULL``
    In WAL mode ``NORMAL`` already survives an application crash (``kill -9``): a commit is in the
    WAL file once ``COMMIT`` returns and only an OS crash or power loss could drop the last
    transactions. The journal records paid requests *before* they are sent (state ``submitting``):
    losing that row to a power cut would mean money spent on a job nobody knows about. So the
    journal uses ``FULL`` (one fsync of the WAL per commit). Writes happen only on state changes —
    a handful per job, none per poll — so the cost stays small: measured here 0.26 ms median,
    0.6 ms worst per commit on the VM's disk; expect 1–10 ms on a slow laptop disk.

Event loop use
    The methods are synchronous and meant to be called directly from the event loop: each is one
    short transaction (an indexed read, or a ``BEGIN IMMEDIATE`` … ``COMMIT`` of one row). The
    price is the fsync above per write, plus microseconds per read. ``busy_timeout`` (5 s) only
    matters when another process holds the write lock, which our one-row transactions release
    within a millisecond; a checkpoint may rarely take longer. Big reads can be paged
    (``list(limit=, offset=)``; the job runner loads its history 200 rows per loop turn), and
    many jobs are claimed in one transaction (:meth:`JobJournal.claim_many`). The connection may
    be used from another thread too (a lock serialises access) but nothing in animetui needs that.

Concurrency between processes
    The TUI and a CLI (``animetui generate --wait``, ``animetui jobs watch``) may run at once on the
    same file. :meth:`JobJournal.update` is a compare-and-set on the job's state, and
    :meth:`JobJournal.claim` one on its owner, so a runner never overwrites a change another
    process made (e.g. a cancel) and exactly one runner adopts an orphaned job. The ``owner`` and
    ``rev`` columns serve :class:`animetui.jobs.JobRunner`: ``owner`` names the runner that drives
    a job; ``rev`` counts a row's writes so a watcher can see what changed since it last looked.
"""

from __future__ import annotations

import builtins
import contextlib
import errno
import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from animetui import locations
from animetui.errors import AnimetuiError
from animetui.fsnames import from_db, json_text, shown, to_db
from animetui.models import Job, JobKind, JobState

#: The file layout version kept in ``PRAGMA user_version`` (see the module docstring).
FILE_FORMAT = 1
DB_NAME = locations.JOBS_DB  # the job journal; the history and batch tables live in locations.HISTORY_DB
BUSY_TIMEOUT_MS = 5000


class JournalError(AnimetuiError):
    """The database could not be read or written (disk full, permissions, a broken file)."""

    exit_code = 2


def default_path(data_dir: Path) -> Path:
    """Where the database lives in a data dir (the caller resolves the data dir: ``Settings.data_dir``)."""
    return locations.jobs_db(data_dir)


# --------------------------------------------------------------------------- opening + migrations
def connect(path: Path, *, synchronous: str = "FULL", damaged: str | None = None, page_size: int | None = None) -> sqlite3.Connection:
    """Open (creating if needed) the shared database file with the settings every component uses.

    ``damaged`` is the advice for a broken file (see :func:`explain`; default: the job journal's).
    Autocommit mode (``isolation_level=None``): callers open transactions explicitly with
    ``BEGIN IMMEDIATE`` so a write never upgrades a read lock half-way (the classic
    ``database is locked`` trap with two processes). ``page_size``: for a file created now (an
    existing file keeps its own).
    """
    path = Path(path)
    advice = damaged or JOURNAL_DAMAGED
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
    except (OSError, sqlite3.Error) as exc:
        raise JournalError(explain(path, exc, "open the database", damaged=advice)) from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if page_size:  # before WAL mode writes the header of a new file; no effect on an existing one
            conn.execute(f"PRAGMA page_size = {int(page_size)}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":  # e.g. a network filesystem that cannot share memory
            raise JournalError(f"{path}: the database cannot use WAL mode here (got {mode!r}); keep the data dir on a local disk")
        conn.execute(f"PRAGMA synchronous = {synchronous}")
        conn.execute("PRAGMA foreign_keys = ON")
        _ensure_file_format(conn, path)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise JournalError(explain(path, exc, "open the database", damaged=advice)) from None
    except BaseException:
        conn.close()
        raise
    try:
        os.chmod(path, 0o600)
    except OSError:
        pass
    return conn


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def problem(path: Path, exc: BaseException) -> str:
    """What went wrong with a database file, in one word: ``full``, ``readonly``, ``locked``,
    ``damaged`` or ``other``. SQLite's own words are vague (a full disk while opening a WAL file
    is "disk I/O error", a read-only folder "unable to open database file"), so the folder is
    looked at too."""
    name = str(getattr(exc, "sqlite_errorname", "") or "")
    reason = _reason(exc).lower()
    if name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")) or "not a database" in reason or "malformed" in reason:
        return "damaged"
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in reason or "busy" in reason:
        return "locked"
    if name.startswith("SQLITE_FULL") or "full" in reason or getattr(exc, "errno", None) == errno.ENOSPC:
        return "full"
    folder = _existing_folder(path)
    if folder is not None and not os.access(folder, os.W_OK):
        return "readonly"
    if folder is not None and _no_space(folder):
        return "full"
    if name.startswith(("SQLITE_READONLY", "SQLITE_PERM", "SQLITE_CANTOPEN")) or "readonly" in reason or "permission" in reason:
        return "readonly"
    return "other"


def _existing_folder(path: Path) -> Path | None:
    folder = Path(path).parent
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            return candidate
    return None


def _no_space(folder: Path) -> bool:
    try:
        info = os.statvfs(folder)
    except OSError:
        return False
    return info.f_bavail * info.f_frsize < 64 * 1024


def explain(path: Path, exc: BaseException, action: str, *, damaged: str) -> str:
    """One line saying what happened to ``path`` and what to do; ``damaged`` is the advice for a
    broken file, with ``{reason}`` where SQLite's words go (it differs per file: the journal may
    hold paid jobs, the history is a cache)."""
    reason = _reason(exc)
    kind = problem(path, exc)
    if kind == "full":
        return f"{path}: cannot {action}: the disk is full ({reason}); free some space and try again"
    if kind == "readonly":
        folder = _existing_folder(path) or Path(path).parent
        return (
            f"{folder}: animetui's data folder is not writable ({reason}); fix its permissions, "
            "or set ANIMETUI_DATA_DIR to a folder you can write"
        )
    if kind == "locked":
        return f"{path}: cannot {action}: another animetui is holding it ({reason}); try again"
    if kind == "damaged":
        return f"{path}: {damaged.format(reason=reason)}"
    return f"{path}: cannot {action} ({reason})"


#: A damaged job journal: moving it aside would hide jobs that were paid for and are still running.
JOURNAL_DAMAGED = (
    "the job journal is damaged ({reason}); it may list paid jobs still running, so do not delete or replace it: "
    "keep a copy (cp it somewhere safe) and report this"
)


@contextlib.contextmanager
def _guard(path: Path, action: str) -> Iterator[None]:
    """Turn sqlite3 errors into a :class:`JournalError` that says what to do."""
    try:
        yield
    except sqlite3.Error as exc:
        raise JournalError(explain(path, exc, action, damaged=JOURNAL_DAMAGED)) from None


def _ensure_file_format(conn: sqlite3.Connection, path: Path) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > FILE_FORMAT:
            raise JournalError(
                f"{path}: written by a newer animetui (file format {version}, this one knows {FILE_FORMAT}); upgrade animetui"
            )
        if version < 1:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
            )
            conn.execute(f"PRAGMA user_version = {FILE_FORMAT}")
        elif not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_versions'").fetchone():
            # A history file of animetui before the one store: its History kept *its* schema
            # version (1) in user_version. Its tables are exactly version 1 of the "history"
            # (and "batch") migrations, which create them only if missing: recording those
            # versions is all the upgrade needs, and nothing in the file is touched.
            conn.execute("CREATE TABLE schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def migrate(conn: sqlite3.Connection, component: str, migrations: Sequence[str], *, path: Path | str = "") -> int:
    """Bring ``component``'s tables up to ``len(migrations)``; returns the version now in effect.

    ``migrations[n]`` is the SQL script from version ``n`` to ``n + 1``. Each step runs in its own
    transaction together with its version bump (so ``executescript`` is not used: it commits).
    """
    target = len(migrations)
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT version FROM schema_versions WHERE component = ?", (component,)).fetchone()
            current = row[0] if row else 0
            if current > target:
                raise JournalError(
                    f"{path}: the {component} tables were written by a newer animetui "
                    f"(schema {current}, this one knows {target}); upgrade animetui"
                )
            if current == target:
                conn.execute("COMMIT")
                return current
            for statement in _statements(migrations[current]):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_versions (component, version) VALUES (?, ?) "
                "ON CONFLICT(component) DO UPDATE SET version = excluded.version",
                (component, current + 1),
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (our scripts hold no ``;`` inside literals)."""
    return [part.strip() for part in script.split(";") if part.strip()]


# --------------------------------------------------------------------------- the job journal
JOBS_MIGRATIONS: tuple[str, ...] = (
    # 1: the journal. ``params`` is JSON; times are Unix seconds (float); ``owner`` is the runner id
    # that drives a non-terminal job (NULL: nobody); ``rev`` counts writes to the row.
    """
    CREATE TABLE jobs (
        id           TEXT PRIMARY KEY,
        kind         TEXT NOT NULL,
        provider     TEXT NOT NULL,
        params       TEXT NOT NULL,
        state        TEXT NOT NULL,
        created_at   REAL NOT NULL,
        updated_at   REAL NOT NULL,
        submitted_at REAL,
        finished_at  REAL,
        remote_id    TEXT,
        attempts     INTEGER NOT NULL DEFAULT 0,
        result_url   TEXT,
        result_path  TEXT,
        error        TEXT NOT NULL DEFAULT '',
        cost_usd     REAL,
        balance_usd  REAL,
        owner        TEXT,
        rev          INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX jobs_by_created ON jobs (created_at DESC);
    CREATE INDEX jobs_by_state ON jobs (state)
    """,
)

_TERMINAL = tuple(s.value for s in JobState if s.terminal)
_COLUMNS = (
    "id", "kind", "provider", "params", "state", "created_at", "updated_at", "submitted_at",
    "finished_at", "remote_id", "attempts", "result_url", "result_path", "error", "cost_usd", "balance_usd",
)
_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM jobs"


def _row_values(job: Job) -> tuple[Any, ...]:
    return (
        job.id,
        str(job.kind),
        job.provider,
        json_text(job.params, sort_keys=True),  # a non-UTF-8 file name survives (as a \udcNN escape)
        job.state.value,
        job.created_at,
        job.updated_at,
        job.submitted_at,
        job.finished_at,
        job.remote_id,
        job.attempts,
        job.result_url,
        to_db(job.result_path),
        shown(job.error),
        job.cost_usd,
        job.balance_usd,
    )


def _job_from_row(row: Sequence[Any]) -> Job:
    try:
        params = json.loads(row[3])
    except ValueError:
        params = {}
    if not isinstance(params, dict):
        params = {}
    return Job(
        id=row[0],
        kind=_kind(row[1]),
        provider=row[2],
        params=params,
        state=JobState(row[4]),
        created_at=row[5],
        updated_at=row[6],
        submitted_at=row[7],
        finished_at=row[8],
        remote_id=row[9],
        attempts=row[10],
        result_url=row[11],
        result_path=from_db(row[12]),
        error=row[13] or "",
        cost_usd=row[14],
        balance_usd=row[15],
    )


class JobJournal:
    """The ``jobs`` table: every job ever started, with its last committed state.

    Each method is one short transaction, committed (fsynced) before it returns, so the caller can
    act on a state the moment the call returns. Rows with an unknown ``state`` (written by
    a newer animetui) are skipped by :meth:`list`, never crash it.
    """

    COMPONENT = "jobs"

    def __init__(self, path: Path | str, *, synchronous: str = "FULL") -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._conn = connect(self.path, synchronous=synchronous)
        try:
            with _guard(self.path, "prepare the job journal"):
                self.schema_version = migrate(self._conn, self.COMPONENT, JOBS_MIGRATIONS, path=self.path)
        except BaseException:
            self._conn.close()
            raise

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> "JobJournal":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ writes
    def _write(self, sql: str, args: Iterable[Any]) -> int:
        with self._lock, _guard(self.path, "write the job journal"):
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                count = conn.execute(sql, tuple(args)).rowcount
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return count

    def _read(self, sql: str, args: Iterable[Any] = ()) -> list[Any]:
        with self._lock, _guard(self.path, "read the job journal"):
            return self._conn.execute(sql, tuple(args)).fetchall()

    def insert(self, job: Job, *, owner: str | None = None) -> None:
        """Add a new job (a :class:`JournalError` if the id exists)."""
        placeholders = ", ".join("?" for _ in _COLUMNS)
        self._write(
            f"INSERT INTO jobs ({', '.join(_COLUMNS)}, owner) VALUES ({placeholders}, ?)",
            (*_row_values(job), owner),
        )

    def update(
        self,
        job: Job,
        *,
        expect_state: JobState | None = None,
        owner: str | None = None,
        set_owner: bool = False,
    ) -> bool:
        """Write every field of ``job`` over its row; True if the row was written.

        ``expect_state``: write only if the row is still in that state (compare-and-set: another
        process may have cancelled it meanwhile). ``owner`` with ``set_owner=True`` also sets the
        owner column (``None`` releases the job). False means nothing was written: the row is gone
        or no longer in ``expect_state``.
        """
        assignments = ", ".join(f"{c} = ?" for c in _COLUMNS[1:])
        args: list[Any] = list(_row_values(job)[1:])
        sql = f"UPDATE jobs SET {assignments}, rev = rev + 1"
        if set_owner:
            sql += ", owner = ?"
            args.append(owner)
        sql += " WHERE id = ?"
        args.append(job.id)
        if expect_state is not None:
            sql += " AND state = ?"
            args.append(expect_state.value)
        return self._write(sql, args) == 1

    def claim(self, job_id: str, owner: str, *, replacing: str | None) -> bool:
        """Make ``owner`` the job's owner if its owner is still ``replacing`` (None: no owner).

        Two runners adopting the same orphaned job: exactly one wins.
        """
        args: tuple[str, ...]
        if replacing is None:
            sql, args = "UPDATE jobs SET owner = ?, rev = rev + 1 WHERE id = ? AND owner IS NULL", (owner, job_id)
        else:
            sql, args = "UPDATE jobs SET owner = ?, rev = rev + 1 WHERE id = ? AND owner = ?", (owner, job_id, replacing)
        return self._write(sql, args) == 1

    def claim_many(self, job_ids: Iterable[str], owner: str, *, replacing: str | None) -> list[str]:
        """:meth:`claim` for many jobs in one transaction (one fsync, not one per job); returns
        the ids actually claimed."""
        if replacing is None:
            sql = "UPDATE jobs SET owner = ?, rev = rev + 1 WHERE id = ? AND owner IS NULL"
        else:
            sql = "UPDATE jobs SET owner = ?, rev = rev + 1 WHERE id = ? AND owner = ?"
        claimed: list[str] = []
        with self._lock, _guard(self.path, "write the job journal"):
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                for job_id in job_ids:
                    args = (owner, job_id) if replacing is None else (owner, job_id, replacing)
                    if conn.execute(sql, args).rowcount == 1:
                        claimed.append(job_id)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return claimed

    def release(self, owner: str) -> int:
        """Clear ``owner`` from every job it holds (a runner stopping cleanly)."""
        return self._write("UPDATE jobs SET owner = NULL WHERE owner = ?", (owner,))

    def delete(self, job_id: str) -> bool:
        """Remove a job's row (its result file is not touched). True if it existed."""
        return self._write("DELETE FROM jobs WHERE id = ?", (job_id,)) == 1

    # ------------------------------------------------------------------ reads
    def get(self, job_id: str) -> Job | None:
        rows = self._read(f"{_SELECT} WHERE id = ?", (job_id,))
        return _parse(rows[0]) if rows else None

    def list(
        self, *, states: Iterable[JobState] | None = None, limit: int | None = None, offset: int = 0
    ) -> list[Job]:
        """Jobs newest first, optionally only those in ``states``; ``limit``/``offset`` page."""
        sql, args = _SELECT, builtins.list[Any]()
        if states is not None:
            wanted = [s.value for s in states]
            sql += f" WHERE state IN ({', '.join('?' for _ in wanted)})"
            args.extend(wanted)
        sql += " ORDER BY created_at DESC, id DESC"
        if limit is not None or offset:
            sql += " LIMIT ? OFFSET ?"
            args.extend((-1 if limit is None else int(limit), int(offset)))
        rows = self._read(sql, args)
        return [job for job in map(_parse, rows) if job is not None]

    def active(self) -> builtins.list[tuple[Job, str | None]]:
        """Every non-terminal job with its owner, oldest first (the order to resume them in)."""
        placeholders = ", ".join("?" for _ in _TERMINAL)
        rows = self._read(
            f"SELECT {', '.join(_COLUMNS)}, owner FROM jobs WHERE state NOT IN ({placeholders}) ORDER BY created_at, id",
            _TERMINAL,
        )
        out = []
        for row in rows:
            job = _parse(row[:-1])
            if job is not None:
                out.append((job, row[-1]))
        return out

    def active_owners(self) -> dict[str, str | None]:
        """``{job id: owner}`` for every non-terminal job (cheap: no row is parsed)."""
        placeholders = ", ".join("?" for _ in _TERMINAL)
        return dict(self._read(f"SELECT id, owner FROM jobs WHERE state NOT IN ({placeholders})", _TERMINAL))

    def owner_of(self, job_id: str) -> str | None:
        rows = self._read("SELECT owner FROM jobs WHERE id = ?", (job_id,))
        return rows[0][0] if rows else None

    def revisions(self) -> dict[str, int]:
        """``{job id: rev}`` for every row: a cheap way to see what changed since last time."""
        return dict(self._read("SELECT id, rev FROM jobs"))

    def get_many(self, ids: Iterable[str]) -> builtins.list[Job]:
        wanted = list(ids)
        out: list[Job] = []
        for start in range(0, len(wanted), 500):  # SQLite's parameter limit
            chunk = wanted[start : start + 500]
            rows = self._read(f"{_SELECT} WHERE id IN ({', '.join('?' for _ in chunk)})", chunk)
            out.extend(job for job in map(_parse, rows) if job is not None)
        return out

    def data_version(self) -> int:
        """Changes whenever *another* connection commits to the file (``PRAGMA data_version``)."""
        return self._read("PRAGMA data_version")[0][0]


def _kind(value: object) -> str:
    """A built-in kind as its :class:`JobKind`; another (a registered or a newer animetui's) as text."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"bad job kind {value!r}")
    try:
        return JobKind(value)
    except ValueError:
        return value


def _parse(row: Sequence[Any]) -> Job | None:
    try:
        return _job_from_row(row)
    except (ValueError, TypeError):  # a state from a newer version: leave it alone
        return None
