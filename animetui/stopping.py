"""SIGTERM and SIGHUP stop animetui the way Ctrl-C does, never by killing it mid-request.

Left to their default, both kill the process at once: a paid generation already on the wire is
charged but its answer (the image URL) never reaches the job journal, and the TUI leaves the
terminal in the alternate screen with mouse reporting on and echo off. An SSH connection that
drops sends SIGHUP; ``systemctl stop``, ``docker stop`` and ``kill`` send SIGTERM.

With :func:`install` the first of them calls a callback on the event loop instead. The CLI cancels
its command (as asyncio does on Ctrl-C), the TUI gives the terminal back and quits; either way
:meth:`animetui.jobs.JobRunner.stop` then gives a paid request already sent up to
``STOP_GRACE`` seconds to come back and journals its answer, and the download resumes at the next
start. Later signals of the kind are ignored: the stop is already bounded.

Standard library only; nothing here imports Textual or httpx.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

# what signal.getsignal() returns and signal.signal() takes (SIG_DFL/SIG_IGN are ints)
_Handler = Callable[[int, FrameType | None], Any] | int | None

#: the signals handled like Ctrl-C (SIGHUP does not exist on Windows)
STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    sig for sig in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if sig is not None
)


def name(signum: int) -> str:
    with contextlib.suppress(ValueError):
        return signal.Signals(signum).name
    return f"signal {signum}"


def exit_code(signum: int) -> int:
    """The shell's convention for "ended by this signal": 128 + its number."""
    return 128 + int(signum)


def say(line: str) -> None:
    """One line on the real stderr; silent when there is none any more (the SSH session is gone)."""
    stream = sys.__stderr__
    if stream is None:
        return
    with contextlib.suppress(OSError, ValueError):
        stream.write(line + "\n")
        stream.flush()


def install(loop: asyncio.AbstractEventLoop, callback: Callable[[int], None]) -> Callable[[], None]:
    """Call ``callback(signum)`` on ``loop`` for the first SIGTERM/SIGHUP; returns the undo call.

    Must be called from the main thread (signal handlers can only be set there); elsewhere, or on
    a loop without signal support, it does nothing and the default behaviour stays.
    """
    fired: list[int] = []
    installed: list[tuple[signal.Signals, _Handler]] = []

    def handle(signum: int) -> None:
        if fired:
            return
        fired.append(signum)
        callback(signum)

    for sig in STOP_SIGNALS:
        try:
            before = signal.getsignal(sig)
            loop.add_signal_handler(sig, handle, int(sig))
        except (NotImplementedError, RuntimeError, ValueError):
            continue
        installed.append((sig, before))

    def uninstall() -> None:
        for sig, before in installed:
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(sig)
            with contextlib.suppress(Exception):  # what was there before us, not just SIG_DFL
                signal.signal(sig, before if before is not None else signal.SIG_DFL)
        installed.clear()

    return uninstall


def detach_if_hung_up(*, force: bool = False) -> bool:
    """If the terminal has hung up (the SSH connection dropped) — or always, with ``force`` —
    point stdin/stdout/stderr at ``/dev/null``; returns True when it did.

    Every write to a hung-up terminal fails with EIO: Textual's output thread dies on the first
    one and the app could then block on its full output queue. A zero-length write tells a live
    terminal (it succeeds) from a dead one where the kernel says so; after SIGHUP, once the
    terminal has been given back, the TUI forces it (SIGHUP means the terminal is going away).
    """
    if not force:
        try:
            os.write(2, b"")
            return False
        except OSError:
            pass
    try:
        null = os.open(os.devnull, os.O_RDWR)
    except OSError:
        return True
    for fd in (0, 1, 2):
        with contextlib.suppress(OSError):
            os.dup2(null, fd)
    os.close(null)
    return True
