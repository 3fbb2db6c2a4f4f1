"""The library's metadata in SQLite: folders, files, their vectors (the source of truth), the
vector-index segments, and the indexing job's progress.

Its own file, ``<data dir>/library/library.sqlite3``, opened with :func:`animetui.store.connect`
(WAL, ``synchronous``, busy timeout) and kept by :func:`animetui.store.migrate` under the
component name ``library``. Every write is one short transaction, so a kill at any instant
leaves the last committed state: a file is indexed chunk by chunk (one transaction each, with the
file's resume point), never half-recorded.

Vectors live here, compressed (``zlib`` over the ``(n, 33)`` uint8 block and the uint32
millisecond times): the vector index (faiss segments or Milvus) is derived from these rows and can
always be rebuilt from them (:meth:`LibraryDB.chunks_after`).

Vector ids: ``file_id << 32 | milliseconds`` — the id itself says which file and when, so the
index needs no per-frame metadata.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from animetui.store import JournalError, _guard, connect, migrate

COMPONENT = "library"
DB_NAME = "library.sqlite3"
#: SQLite pages of a new library file. The rows are mostly one blob each (a chunk: ~512 frames,
#: 2-4 kB zlib'd) and a blob's last page is never shared, so 4 kB pages left ~40 % of each one
#: empty (measured: 11.0 bytes a kept frame stored for 6.6 of data); 1 kB pages waste < 1 kB a
#: chunk (6.9 bytes a frame) and make an empty library 19 kB instead of 57.
PAGE_SIZE = 1024

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE lib_folders (
        id        INTEGER PRIMARY KEY,
        path      TEXT NOT NULL UNIQUE,
        title     TEXT,
        added_at  REAL NOT NULL,
        watch     INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE lib_files (
        id         INTEGER PRIMARY KEY,
        folder_id  INTEGER NOT NULL REFERENCES lib_folders(id) ON DELETE CASCADE,
        path       TEXT NOT NULL UNIQUE,
        size       INTEGER NOT NULL,
        mtime_ns   INTEGER NOT NULL,
        duration   REAL NOT NULL DEFAULT 0,
        title      TEXT NOT NULL DEFAULT '',
        episode    TEXT,
        state      TEXT NOT NULL DEFAULT 'pending',
        resume_at  REAL NOT NULL DEFAULT 0,
        frames     INTEGER NOT NULL DEFAULT 0,
        kept       INTEGER NOT NULL DEFAULT 0,
        error      TEXT NOT NULL DEFAULT '',
        indexed_at REAL
    );
    CREATE INDEX lib_files_by_state ON lib_files (state);
    CREATE INDEX lib_files_by_folder ON lib_files (folder_id);
    CREATE TABLE lib_chunks (
        id       INTEGER PRIMARY KEY,
        file_id  INTEGER NOT NULL REFERENCES lib_files(id) ON DELETE CASCADE,
        count    INTEGER NOT NULL,
        times    BLOB NOT NULL,
        vectors  BLOB NOT NULL
    );
    CREATE INDEX lib_chunks_by_file ON lib_chunks (file_id);
    CREATE TABLE lib_segments (
        id        INTEGER PRIMARY KEY,
        backend   TEXT NOT NULL,
        name      TEXT NOT NULL,
        hi_chunk  INTEGER NOT NULL,
        vectors   INTEGER NOT NULL,
        created   REAL NOT NULL
    );
    CREATE TABLE lib_job (
        id            INTEGER PRIMARY KEY CHECK (id = 1),
        state         TEXT NOT NULL,
        pid           INTEGER,
        started_at    REAL,
        updated_at    REAL,
        seconds_total REAL NOT NULL DEFAULT 0,
        seconds_done  REAL NOT NULL DEFAULT 0,
        rate          REAL NOT NULL DEFAULT 0,
        current       TEXT NOT NULL DEFAULT '',
        message       TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE lib_removed (
        file_id INTEGER PRIMARY KEY
    )
    """,
)

# file states
PENDING, INDEXING, DONE, ERROR, MISSING, OFFLINE = "pending", "indexing", "done", "error", "missing", "offline"
# job states
IDLE, RUNNING, PAUSED, CANCELLED, FAILED = "idle", "running", "paused", "cancelled", "failed"
#: errors a later scan retries (the file itself may be fine): see :meth:`LibraryDB.upsert_file`
TRANSIENT = ("permission denied", "the file is gone")


def library_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "library"


def default_path(data_dir: Path) -> Path:
    return library_dir(data_dir) / DB_NAME


def vector_ids(file_id: int, times: Any) -> Any:
    import numpy as np

    ms = np.round(np.asarray(times, dtype=np.float64) * 1000).astype(np.int64)
    return (np.int64(file_id) << 32) | np.clip(ms, 0, 0xFFFFFFFF)


def split_id(vector_id: int) -> tuple[int, float]:
    return int(vector_id) >> 32, (int(vector_id) & 0xFFFFFFFF) / 1000.0


# Chunk blobs: each row is the time-ordered frames of one commit. Consecutive descriptors differ
# little, so both columns are stored as differences from the previous frame (wrapping uint8 for
# the vectors, uint32 milliseconds for the times), then zlib'd: ~7 bytes a frame instead of 37.
def pack_times(ms: Any) -> bytes:
    import numpy as np

    return zlib.compress(np.diff(np.asarray(ms, dtype=np.int64), prepend=0).astype("<u4").tobytes(), 9)


def unpack_times(blob: bytes) -> Any:
    import numpy as np

    return np.cumsum(np.frombuffer(zlib.decompress(blob), dtype="<u4").astype(np.int64))


def pack_vectors(vectors: Any) -> bytes:
    import numpy as np

    v = np.asarray(vectors, dtype=np.uint8)
    return zlib.compress(np.diff(v, axis=0, prepend=np.zeros((1, v.shape[1]), dtype=np.uint8)).tobytes(), 9)


def unpack_vectors(blob: bytes, count: int) -> Any:
    import numpy as np

    deltas = np.frombuffer(zlib.decompress(blob), dtype=np.uint8).reshape(count, 33)
    return np.cumsum(deltas, axis=0, dtype=np.uint8)  # uint8 wraps back exactly


@dataclass(slots=True)
class FileRow:
    id: int
    folder_id: int
    path: str
    size: int
    mtime_ns: int
    duration: float
    title: str
    episode: str | None
    state: str
    resume_at: float
    frames: int
    kept: int
    error: str


_FILE_COLS = "id, folder_id, path, size, mtime_ns, duration, title, episode, state, resume_at, frames, kept, error"


@dataclass(slots=True)
class JobRow:
    state: str
    pid: int | None
    started_at: float | None
    updated_at: float | None
    seconds_total: float
    seconds_done: float
    rate: float
    current: str
    message: str

    @property
    def eta(self) -> float | None:
        if self.state != RUNNING or self.rate <= 0:
            return None
        return max(0.0, self.seconds_total - self.seconds_done) / self.rate


class LibraryDB:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._conn = connect(self.path, synchronous="NORMAL", page_size=PAGE_SIZE)
        try:
            with _guard(self.path, "prepare the library tables"):
                migrate(self._conn, COMPONENT, MIGRATIONS, path=self.path)
        except BaseException:
            self._conn.close()
            raise

    # ------------------------------------------------------------------ plumbing
    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> "LibraryDB":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def tx(self, action: str = "write the library") -> Iterator[sqlite3.Connection]:
        with self._lock, _guard(self.path, action):
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def read(self, sql: str, args: Iterable[Any] = ()) -> list[Any]:
        with self._lock, _guard(self.path, "read the library"):
            return self._conn.execute(sql, tuple(args)).fetchall()

    # ------------------------------------------------------------------ folders
    def add_folder(self, path: Path, *, watch: bool = False) -> int:
        with self.tx() as c:
            c.execute(
                "INSERT INTO lib_folders (path, added_at, watch) VALUES (?, ?, ?) "
                "ON CONFLICT(path) DO UPDATE SET watch = max(watch, excluded.watch)",
                (str(path), time.time(), int(watch)),
            )
            return c.execute("SELECT id FROM lib_folders WHERE path = ?", (str(path),)).fetchone()[0]

    def folders(self) -> list[tuple[int, str, str | None, bool]]:
        return [(r[0], r[1], r[2], bool(r[3])) for r in self.read("SELECT id, path, title, watch FROM lib_folders ORDER BY path")]

    def folder_for(self, path: Path) -> tuple[int, str] | None:
        """The registered folder holding ``path`` (itself or an ancestor)."""
        best = None
        for fid, fpath, _, _ in self.folders():
            p = Path(fpath)
            if path == p or p in path.parents:
                if best is None or len(fpath) > len(best[1]):
                    best = (fid, fpath)
        return best

    def set_title(self, folder_id: int, title: str | None) -> None:
        with self.tx() as c:
            c.execute("UPDATE lib_folders SET title = ? WHERE id = ?", (title, folder_id))
            if title:
                c.execute("UPDATE lib_files SET title = ? WHERE folder_id = ?", (title, folder_id))

    def remove_folder(self, folder_id: int) -> int:
        """Forget a folder, its files and their vectors; returns how many files were dropped."""
        with self.tx() as c:
            ids = [r[0] for r in c.execute("SELECT id FROM lib_files WHERE folder_id = ?", (folder_id,))]
            c.executemany("INSERT OR IGNORE INTO lib_removed (file_id) VALUES (?)", [(i,) for i in ids])
            c.execute("DELETE FROM lib_folders WHERE id = ?", (folder_id,))
        return len(ids)

    # ------------------------------------------------------------------ files
    def files(self, *, states: Iterable[str] | None = None, folder_id: int | None = None) -> list[FileRow]:
        sql, args = f"SELECT {_FILE_COLS} FROM lib_files WHERE 1", list[object]()
        if states is not None:
            wanted = list(states)
            sql += f" AND state IN ({', '.join('?' for _ in wanted)})"
            args += wanted
        if folder_id is not None:
            sql += " AND folder_id = ?"
            args.append(folder_id)
        return [FileRow(*r) for r in self.read(sql + " ORDER BY path", args)]

    def file(self, file_id: int) -> FileRow | None:
        rows = self.read(f"SELECT {_FILE_COLS} FROM lib_files WHERE id = ?", (file_id,))
        return FileRow(*rows[0]) if rows else None

    def files_by_id(self, ids: Iterable[int]) -> dict[int, FileRow]:
        wanted = list(set(ids))
        out: dict[int, FileRow] = {}
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            for r in self.read(f"SELECT {_FILE_COLS} FROM lib_files WHERE id IN ({', '.join('?' for _ in part)})", part):
                out[r[0]] = FileRow(*r)
        return out

    def upsert_file(self, folder_id: int, path: str, size: int, mtime_ns: int, title: str, episode: str | None) -> str:
        """Record a file seen by a scan. Returns ``new``, ``changed`` or ``same``. A changed file
        gets a new id (its old vectors are dropped and the index forgets the old id)."""
        with self.tx() as c:
            row = c.execute("SELECT id, size, mtime_ns, state, error FROM lib_files WHERE path = ?", (path,)).fetchone()
            # permission fixed, file back: unchanged, but worth another try — under a new id, as a
            # changed file (its old id is forgotten by the index); a real non-video is not retried
            retry = row is not None and row[3] == ERROR and any(word in (row[4] or "") for word in TRANSIENT)
            if row is not None and row[1] == size and row[2] == mtime_ns and not retry:
                if row[3] in (MISSING, OFFLINE):  # back (a drive reconnected): usable again, or to do again
                    c.execute(
                        "UPDATE lib_files SET state = CASE WHEN indexed_at IS NULL THEN ? ELSE ? END, error = '' WHERE id = ?",
                        (PENDING, DONE, row[0]),
                    )
                return "same"
            if row is not None:
                c.execute("INSERT OR IGNORE INTO lib_removed (file_id) VALUES (?)", (row[0],))
                c.execute("DELETE FROM lib_files WHERE id = ?", (row[0],))
            c.execute(
                "INSERT INTO lib_files (folder_id, path, size, mtime_ns, title, episode) VALUES (?, ?, ?, ?, ?, ?)",
                (folder_id, path, size, mtime_ns, title, episode),
            )
            return "changed" if row is not None else "new"

    def mark_files(self, ids: Iterable[int], state: str, error: str = "") -> None:
        with self.tx() as c:
            c.executemany("UPDATE lib_files SET state = ?, error = ? WHERE id = ?", [(state, error, i) for i in ids])

    def drop_file(self, file_id: int, state: str, error: str) -> None:
        """The file is unusable now (gone, unreadable): forget its vectors, keep a row saying why."""
        with self.tx() as c:
            c.execute("INSERT OR IGNORE INTO lib_removed (file_id) VALUES (?)", (file_id,))
            c.execute("DELETE FROM lib_chunks WHERE file_id = ?", (file_id,))
            c.execute(
                "UPDATE lib_files SET state = ?, error = ?, resume_at = 0, frames = 0, kept = 0, indexed_at = NULL WHERE id = ?",
                (state, error, file_id),
            )

    def delete_file(self, file_id: int) -> None:
        """The file left the folder: forget it and its vectors."""
        with self.tx() as c:
            c.execute("INSERT OR IGNORE INTO lib_removed (file_id) VALUES (?)", (file_id,))
            c.execute("DELETE FROM lib_files WHERE id = ?", (file_id,))

    def start_file(self, file_id: int, duration: float) -> None:
        with self.tx() as c:
            c.execute("UPDATE lib_files SET state = ?, duration = ?, error = '' WHERE id = ?", (INDEXING, duration, file_id))

    def add_chunk(self, file_id: int, times: Any, vectors: Any, *, resume_at: float, decoded: int) -> None:
        """One committed step of a file: its kept vectors and how far it got."""
        import numpy as np

        order = np.argsort(np.asarray(times), kind="stable")
        ms = np.round(np.asarray(times)[order] * 1000).astype(np.int64)
        vecs = np.ascontiguousarray(np.asarray(vectors, dtype=np.uint8)[order])
        with self.tx("save indexed frames") as c:
            if len(ms):
                c.execute(
                    "INSERT INTO lib_chunks (file_id, count, times, vectors) VALUES (?, ?, ?, ?)",
                    (file_id, len(ms), pack_times(ms), pack_vectors(vecs)),
                )
            c.execute(
                "UPDATE lib_files SET resume_at = ?, frames = frames + ?, kept = kept + ? WHERE id = ?",
                (resume_at, decoded, len(ms), file_id),
            )

    def finish_file(self, file_id: int, *, error: str = "") -> None:
        with self.tx() as c:
            c.execute(
                "UPDATE lib_files SET state = ?, error = ?, indexed_at = ? WHERE id = ?",
                (DONE, error, time.time(), file_id),
            )

    def live_ids(self, ids: Iterable[int]) -> set[int]:
        """Which of these file ids are files still in the library (an offline drive's files
        count: their title, episode and time are still worth showing)."""
        wanted = list(set(int(i) for i in ids))
        out: set[int] = set()
        for i in range(0, len(wanted), 500):
            part = wanted[i : i + 500]
            out.update(r[0] for r in self.read(
                f"SELECT id FROM lib_files WHERE state IN ('done', 'indexing', 'offline') AND id IN ({', '.join('?' for _ in part)})", part
            ))
        return out

    # ------------------------------------------------------------------ chunks (the vectors)
    def max_chunk(self) -> int:
        return self.read("SELECT coalesce(max(id), 0) FROM lib_chunks")[0][0]

    def chunks_after(self, lo: int, hi: int | None = None, *, page: int = 2000) -> Iterator[tuple[int, Any, Any]]:
        """``(chunk id, vector ids, vectors)`` for chunks ``lo < id <= hi``, in id order."""
        import numpy as np

        last = lo
        while True:
            sql = "SELECT id, file_id, count, times, vectors FROM lib_chunks WHERE id > ?"
            args: list[Any] = [last]
            if hi is not None:
                sql += " AND id <= ?"
                args.append(hi)
            rows = self.read(sql + " ORDER BY id LIMIT ?", [*args, page])
            if not rows:
                return
            for cid, file_id, count, times, vectors in rows:
                try:
                    ms = unpack_times(times)
                    vec = unpack_vectors(vectors, count)
                except (zlib.error, ValueError):
                    continue  # a damaged row: its file will be re-indexed by a rescan
                yield cid, (np.int64(file_id) << 32) | ms, vec
                last = cid

    def checkpoint(self) -> None:
        """Fold the WAL back into the database file (it is kept small between jobs)."""
        with self._lock, contextlib.suppress(sqlite3.Error):
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def vector_count(self) -> int:
        return self.read("SELECT coalesce(sum(count), 0) FROM lib_chunks")[0][0]

    def removed(self) -> set[int]:
        return {r[0] for r in self.read("SELECT file_id FROM lib_removed")}

    def clear_removed(self, ids: Iterable[int]) -> None:
        with self.tx() as c:
            c.executemany("DELETE FROM lib_removed WHERE file_id = ?", [(i,) for i in ids])

    # ------------------------------------------------------------------ index segments
    def segments(self, backend: str) -> list[tuple[int, str, int, int]]:
        return self.read("SELECT id, name, hi_chunk, vectors FROM lib_segments WHERE backend = ? ORDER BY hi_chunk", (backend,))

    def add_segment(self, backend: str, name: str, hi_chunk: int, vectors: int, *, replace: bool = False) -> None:
        with self.tx("record an index segment") as c:
            if replace:
                c.execute("DELETE FROM lib_segments WHERE backend = ?", (backend,))
            c.execute(
                "INSERT INTO lib_segments (backend, name, hi_chunk, vectors, created) VALUES (?, ?, ?, ?, ?)",
                (backend, name, hi_chunk, vectors, time.time()),
            )

    def drop_segments(self, backend: str) -> None:
        with self.tx() as c:
            c.execute("DELETE FROM lib_segments WHERE backend = ?", (backend,))

    # ------------------------------------------------------------------ the job
    def job(self) -> JobRow:
        rows = self.read("SELECT state, pid, started_at, updated_at, seconds_total, seconds_done, rate, current, message FROM lib_job WHERE id = 1")
        return JobRow(*rows[0]) if rows else JobRow(IDLE, None, None, None, 0.0, 0.0, 0.0, "", "")

    def set_job(self, **fields: Any) -> None:
        fields.setdefault("updated_at", time.time())
        with self.tx() as c:
            c.execute("INSERT OR IGNORE INTO lib_job (id, state) VALUES (1, ?)", (IDLE,))
            assignments = ", ".join(f"{k} = ?" for k in fields)
            c.execute(f"UPDATE lib_job SET {assignments} WHERE id = 1", tuple(fields.values()))

    def request(self, state: str, *, only_if: Iterable[str] = (RUNNING,)) -> bool:
        """Ask a running job to pause or cancel (the worker sees it between batches)."""
        wanted = list(only_if)
        with self.tx() as c:
            c.execute("INSERT OR IGNORE INTO lib_job (id, state) VALUES (1, ?)", (IDLE,))  # no job yet: idle
            return c.execute(
                f"UPDATE lib_job SET state = ?, updated_at = ? WHERE id = 1 AND state IN ({', '.join('?' for _ in wanted)})",
                (state, time.time(), *wanted),
            ).rowcount == 1

    def totals(self) -> dict[str, Any]:
        row = self.read(
            "SELECT count(*), coalesce(sum(CASE WHEN state = 'done' THEN duration END), 0), "
            "coalesce(sum(duration), 0), coalesce(sum(CASE WHEN state = 'done' THEN 1 END), 0), "
            "coalesce(sum(CASE WHEN state IN ('pending', 'indexing') THEN 1 END), 0), "
            "coalesce(sum(CASE WHEN state IN ('error', 'missing') THEN 1 END), 0), "
            "coalesce(sum(CASE WHEN state = 'offline' THEN 1 END), 0) FROM lib_files"
        )[0]
        return {
            "files": row[0], "indexed_seconds": row[1], "seconds": row[2], "indexed_files": row[3],
            "pending_files": row[4], "failed_files": row[5], "offline_files": row[6],
        }


def disk_bytes(data_dir: Path) -> int:
    """Everything the library keeps on disk (SQLite + WAL + index files)."""
    total = 0
    for root, _, names in os.walk(library_dir(data_dir)):
        for name in names:
            with contextlib.suppress(OSError):
                total += os.path.getsize(os.path.join(root, name))
    return total


__all__ = ["LibraryDB", "JournalError", "FileRow", "JobRow", "default_path", "library_dir", "vector_ids", "split_id"]
