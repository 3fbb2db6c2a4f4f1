"""Helpers shared by the TUI tests (imported by name: tests/ui is on sys.path under pytest)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from animetui.net import RetryPolicy
from animetui.simulator.base import SimClock

T0 = 1_767_225_600.0  # 2026-01-01 00:00:00 UTC
FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, max_retry_after=2.0)


class FrozenClock(SimClock):
    """Simulated time that only moves when a test says so."""

    def __init__(self, start: float = T0) -> None:
        super().__init__()
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds


#: upper bound on one settle/wait: an event that never comes fails the test, a slow machine never
#: does (load 15 on 2 cores makes a 0.3 s start-up take several seconds)
PATIENCE = 90.0


def _unfinished(app) -> list[str]:
    """What the app still has to do, as explicit state (empty: nothing).

    Each item is something the snapshot or the assertion would otherwise race with: a worker
    (a lookup, a picture decode, a directory listing thread), a directory tree whose load queue is
    not done (Textual's ``_loader`` worker never ends, so its queue is what says a folder is
    listed), a picture view whose newest request is not drawn, a message still queued for the app
    or any widget on any screen in the stack (a modal shows the screen below it), a
    ``call_after_refresh`` callback a screen has not run yet (FittedTable fits its columns in one),
    and the current screen with a layout or repaint still to do.
    """
    from textual.widgets import DirectoryTree
    from textual.worker import WorkerState

    from animetui.ui.pictures.view import ImageView

    left: list[str] = []
    if not app._services_ready.is_set():
        left.append("start-up")
    for worker in app.workers:
        if worker.group != "_loader" and worker.state in (WorkerState.PENDING, WorkerState.RUNNING):
            left.append(f"worker {worker.name}/{worker.group}:{worker.state.name}")
    if not app._message_queue.empty():
        left.append(f"{app._message_queue.qsize()} app messages")
    screen = app.screen
    if screen._layout_required or screen._repaint_required or screen._recompose_required:
        left.append(f"{type(screen).__name__} layout")  # only the current screen lays out
    for screen in app.screen_stack:
        if screen._callbacks:  # call_after_refresh callbacks not run yet (a table's column fit)
            left.append(f"{len(screen._callbacks)} after-refresh callbacks on {type(screen).__name__}")
        for node in screen.walk_children(with_self=True):
            if not node._message_queue.empty():
                left.append(f"messages for {type(node).__name__}#{node.id}")
            if isinstance(node, DirectoryTree) and node._load_queue._unfinished_tasks:
                left.append(f"tree #{node.id} loading")
            if isinstance(node, ImageView) and not node.settled:
                left.append(f"picture #{node.id}")
    return left


async def settle(pilot, *, timeout: float = PATIENCE) -> None:
    """Wait until the app has nothing left to do (see ``_unfinished``), seen twice in a row.

    Twice, with a full pause between: one handled message can start the next piece of work (a
    highlight starts a preview decode, a decode's result mounts a picture, a resize redraws it).
    """
    app = pilot.app
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    quiet = 0
    while quiet < 2:
        await pilot.pause()
        left = _unfinished(app)
        quiet = 0 if left else quiet + 1
        if left and loop.time() > deadline:
            raise AssertionError(f"the app did not settle in {timeout:.0f} s: {left}")
        if left:
            await asyncio.sleep(0.01)  # let threads and the app's task run; the loop re-checks state
    await pilot.pause()


async def wait_for(pilot, predicate: Callable[[], bool], *, timeout: float = PATIENCE, what: str = "condition") -> None:
    """Wait until ``predicate()`` holds (checked after every pause); ``timeout`` is only an upper bound."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await pilot.pause(0.02)


async def highlight_file(pilot, name: str, *, wait: bool = True) -> None:
    """Keyboard only: the jump box (/), the name, Enter; returns once the Files pane has that source.

    Waits on the pane's own state (its source is the file, the jump box closed), not on a pause:
    typing reaches the tree through several messages (Changed, the cursor move, NodeHighlighted),
    and a key pressed next could overtake them. ``wait`` also settles (the preview drawn).
    """
    await pilot.press("1", "slash", *name, "enter")
    app = pilot.app
    needle = name.casefold()

    def highlighted() -> bool:
        files = app.query_one("#files")
        source = files.source
        return (
            source is not None
            and needle in source.label.casefold()
            and files.query_one("#jump").has_class("-hidden")
            and app.focused is files.tree
        )

    await wait_for(pilot, highlighted, what=f"{name!r} highlighted in Files")
    if wait:
        await settle(pilot)


async def look_up(pilot, name: str, key: str):
    """Highlight picture ``name`` in Files, press the lookup ``key`` (``r`` characters, ``s`` scene,
    ``b`` both), wait until the app has settled and return the Results pane."""
    from animetui.ui.panes.results import ResultsPane

    await highlight_file(pilot, name)
    await pilot.press(key)
    await settle(pilot)
    return pilot.app.query_one(ResultsPane)


async def finish_jobs(pilot, clock: FrozenClock, count: int = 1) -> list:
    """Wait for ``count`` jobs in the Jobs pane, then move the simulated clock on (2 s a step) until
    every one has ended; returns them (their states are for the test to check)."""
    from animetui.ui.panes.jobs import JobsPane

    jobs = pilot.app.query_one(JobsPane)
    await wait_for(pilot, lambda: len(jobs.jobs) == count, what=f"{count} job(s)")
    for _ in range(60):
        clock.advance(2)
        await pilot.pause(0.1)
        if all(j.state.terminal for j in jobs.jobs.values()):
            break
    return list(jobs.jobs.values())


async def open_screen(pilot, key: str, screen_type: type) -> None:
    """Press ``key`` and wait until ``screen_type`` is the active screen with its focus placed.

    Typing right after a ``pilot.pause()`` can reach the screen below while the dialog is still
    mounting (a prompt's "a cat" would press the app's ``a``): wait on the dialog instead.
    """
    app = pilot.app
    await pilot.press(key)

    def ready() -> bool:
        screen = app.screen
        return isinstance(screen, screen_type) and screen.is_mounted and (screen.focused is not None or not screen.focus_chain)

    await wait_for(pilot, ready, what=f"the {screen_type.__name__}")
