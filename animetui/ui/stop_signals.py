"""SIGTERM/SIGHUP in the TUI: quit like Ctrl-C, never a kill mid-request (see :mod:`animetui.stopping`).

The signal gives the terminal back at once (the app exits now); the job runner is stopped after
that, outside Textual (:func:`stop_after_exit`, called by :func:`animetui.ui.app.run_tui`), with
its grace for a paid request still on the wire, so its answer reaches the journal and the
download resumes at the next start.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from animetui.ui.app import AnimeTUI


def install(app: "AnimeTUI") -> Callable[[], None] | None:
    """In a real terminal: route SIGTERM/SIGHUP to :func:`stopped`; returns the uninstaller."""
    if app.is_headless:
        return None
    from animetui import stopping

    return stopping.install(asyncio.get_running_loop(), lambda signum: stopped(app, signum))


def stopped(app: "AnimeTUI", signum: int) -> None:
    from animetui import stopping

    app.stop_signal = signum
    stopping.detach_if_hung_up()
    app.exit(return_code=stopping.exit_code(signum))


async def stop_after_exit(app: "AnimeTUI") -> None:
    """The terminal is ours again after a signal: now stop the jobs (with their grace) and say so."""
    from animetui import stopping
    from animetui.jobs import STOP_GRACE

    assert app.stop_signal is not None
    stopping.say(
        f"animetui: {stopping.name(app.stop_signal)} received, stopping; a paid request already sent "
        f"gets up to {STOP_GRACE:.0f} s to come back and be recorded"
    )
    if app.stop_signal == getattr(signal, "SIGHUP", None):  # the terminal is going away
        stopping.detach_if_hung_up(force=True)
    await app.close_services()
    stopping.say("animetui: stopped; unfinished jobs resume at the next start")
