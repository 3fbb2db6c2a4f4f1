"""Upload preparation (decode, EXIF transpose, resize, re-encode) off the event loop.

:func:`run` calls a picklable function with picklable arguments and returns its result (or raises
its exception) without blocking the event loop. By default it uses a thread
(``asyncio.to_thread``), which is right for the CLI: nothing else waits on its loop.

The TUI calls :func:`use_process` at start-up: from then on the work runs in one child process
(``spawn``, niced). Threads were not enough there: some Pillow decoders hold the GIL for the whole
decode (an animated 4K WebP: ~130 ms), and the event loop waited for the GIL all that time while
the user scrolled (``tests/benchmarks/bench_images.py``, lookup phase). If the process cannot
start or dies, the work falls back to a thread, so a lookup never fails because of this module.

Functions sent here must live at module level (they are pickled by name) and take the source
rather than its bytes where they can: a path costs nothing to send, a 30 MB file twice would.
No UI imports: the provider layer uses it.
"""

from __future__ import annotations

import asyncio
import atexit
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

T = TypeVar("T")

class ChildProcess:
    """One spawned worker process (a ``ProcessPoolExecutor`` of one), started on first use and
    shut down at exit; ``shutdown()`` drops it so the next ``get()`` starts a fresh one. Used here
    for uploads and by ``animetui.pictures.process`` for pictures."""

    def __init__(self, initializer: Callable[[], None]) -> None:
        self._initializer = initializer
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._atexit = False

    def get(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                filter_child_env()
                start_resource_tracker()
                context = multiprocessing.get_context("spawn")  # no copy of the app's threads or sockets
                self._pool = ProcessPoolExecutor(max_workers=1, mp_context=context, initializer=self._initializer)
                if not self._atexit:
                    atexit.register(self.shutdown)
                    self._atexit = True
            return self._pool

    def shutdown(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


_wanted = False


def use_process(enabled: bool = True) -> None:
    """Run :func:`run`'s work in a child process (``True``) or in threads (``False``, the default)."""
    global _wanted
    _wanted = enabled
    if not enabled:
        _uploads.shutdown()


def quiet_child() -> None:
    """In a child process: nothing it prints reaches the terminal the TUI draws on, and it yields
    the CPU to the app (nice 10): on a 2-core machine a 4K decode there and the app's own work
    otherwise share the cores evenly, and the event loop waited its turn."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    try:
        os.nice(10)
    except (AttributeError, OSError):  # no nice() on Windows; a refusal is harmless
        pass


def _child_init() -> None:
    quiet_child()
    import PIL.Image  # noqa: F401 - paid once here, not in the first lookup


_uploads = ChildProcess(_child_init)


def _get_pool() -> ProcessPoolExecutor | None:
    return _uploads.get() if _wanted else None


def start() -> None:
    """Start the child now (in a thread at start-up), so the first lookup does not wait for it."""
    pool = _get_pool()
    if pool is not None:
        try:
            pool.submit(int).result(timeout=60)
        except Exception:  # noqa: BLE001 - run() falls back to threads
            _uploads.shutdown()


async def run(function: Callable[..., T], /, *args: Any) -> T:
    pool = _get_pool()
    future = None
    if pool is not None:
        try:
            future = pool.submit(function, *args)
        except RuntimeError:  # shut down meanwhile (or broken): a thread does it
            _uploads.shutdown()
    if future is not None:
        try:
            return await asyncio.wrap_future(future)
        except BrokenProcessPool:  # the child died; the work is pure, so do it again here
            _uploads.shutdown()
    return await asyncio.to_thread(function, *args)


# --------------------------------------------------------------------------- the children's environment
#: What a worker process needs from the environment: finding Python and its packages, the locale,
#: a temp dir. Keys (ANIMETUI_*_KEY), the password and anything else stay in the app.
CHILD_ENV_NAMES = frozenset({
    "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP", "VIRTUAL_ENV",
})
CHILD_ENV_PREFIXES = ("LC_", "PYTHON")
_SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "COOKIE", "AUTH")


def child_env(environ: Any = None) -> dict[str, str]:
    """The environment a worker process gets: an allow-list, never a secret."""
    source = os.environ if environ is None else environ
    return {
        name: value
        for name, value in source.items()
        if (name in CHILD_ENV_NAMES or name.startswith(CHILD_ENV_PREFIXES))
        and not any(word in name.upper() for word in _SECRET_WORDS)
    }


def _spawn_with_child_env(path: str, args: Any, passfds: Any) -> int:
    """``multiprocessing.util.spawnv_passfds`` with :func:`child_env` instead of ours (same fds)."""
    import subprocess

    process = subprocess.Popen(  # noqa: S603 - multiprocessing's own command line
        list(args),
        executable=path,
        pass_fds=tuple(sorted(map(int, passfds))),
        close_fds=True,
        env=child_env(),
        restore_signals=False,
    )
    process.returncode = 0  # multiprocessing reaps the child itself (os.waitpid); subprocess must not
    return process.pid


def filter_child_env() -> None:
    """Make every process multiprocessing spawns from here on (our two workers and its resource
    tracker) start with :func:`child_env`: ``spawn`` passes the parent's whole environment and has
    no option for another, so its one spawning function is replaced (idempotent, process-wide)."""
    from multiprocessing import util

    if getattr(util, "spawnv_passfds", None) is not _spawn_with_child_env:
        setattr(util, "spawnv_passfds", _spawn_with_child_env)  # noqa: B010 - a looser signature than typeshed's


def start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker with a real stderr (call before spawning a pool).

    It passes ``sys.stderr.fileno()`` to its process; while Textual runs, ``sys.stderr`` is
    Textual's capture object whose ``fileno()`` is not a real descriptor, and the spawn fails with
    "bad value(s) in fds_to_keep". ``sys.__stderr__`` is the real one.
    """
    import sys
    from multiprocessing import resource_tracker

    saved = sys.stderr
    try:
        try:
            usable = saved is not None and saved.fileno() >= 0
        except Exception:  # noqa: BLE001 - no fileno at all
            usable = False
        if not usable and sys.__stderr__ is not None:
            sys.stderr = sys.__stderr__
        resource_tracker.ensure_running()
    finally:
        sys.stderr = saved
