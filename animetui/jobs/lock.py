"""The cross-process ownership lock of a job runner.

Several processes (the TUI, ``animetui generate --wait``, ``animetui jobs watch``) may share one
journal. Each runner holds an ``flock`` on ``<db>.runners/<runner id>.lock`` while it runs; the
kernel drops it when the process dies, however it dies (``kill -9`` included), so another runner
can tell a live owner from a dead one (:meth:`OwnerLock.alive`) and adopt the dead one's jobs.

Each runner marks the jobs it drives as its own (the journal's ``owner`` column). A runner only
drives jobs that are its own, unowned, or owned by a runner whose lock is free (it died); it adopts
those with a compare-and-set, so exactly one runner drives a job. Jobs of a live runner elsewhere
are *watched*: a 1 s tick reads ``PRAGMA data_version`` (does nothing if no other process wrote)
and reloads rows whose ``rev`` changed. A cancel from another process is a compare-and-set on the
row; the owner notices it and stops.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

from animetui.store import JournalError

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
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]  # OSError when held

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]


class OwnerLock:
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
            OwnerLock.alive(folder, path.stem)
