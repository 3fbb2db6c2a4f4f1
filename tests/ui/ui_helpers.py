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


async def settle(pilot, *, timeout: float = 15.0) -> None:
    """Wait until the app is idle: services up, workers done, pictures drawn."""
    from textual.worker import WorkerState

    from animetui.ui.widgets.image_view import ImageView

    app = pilot.app
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    quiet = 0
    while True:
        await pilot.pause()
        busy = [
            w
            for w in app.workers
            if w.group != "_loader" and w.state in (WorkerState.PENDING, WorkerState.RUNNING)
        ]
        drawing = [view for screen in app.screen_stack for view in screen.query(ImageView) if not view.settled]
        ready = app._services_ready.is_set()
        if not busy and not drawing and ready:
            quiet += 1
            if quiet >= 3:
                break
        else:
            quiet = 0
        if loop.time() > deadline:
            names = [f"{w.name}/{w.group}:{w.state.name}:cancelled={w.is_cancelled}" for w in busy]
            raise AssertionError(f"the app did not settle: workers {names}, pictures {len(drawing)}, ready {ready}")
        await asyncio.sleep(0.02)
    await pilot.pause()


async def wait_for(pilot, predicate: Callable[[], bool], *, timeout: float = 10.0, what: str = "condition") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


async def highlight_file(pilot, name: str, *, wait: bool = True) -> None:
    """Keyboard only: the jump box (/), the name, Enter."""
    await pilot.press("1", "slash", *name, "enter")
    if wait:
        await settle(pilot)
    else:
        await pilot.pause()
