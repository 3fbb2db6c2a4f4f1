"""Snapshot tests for the history screen and batches, at 80×24 and 160×48.

Deterministic: history rows seeded with fixed times (TZ=UTC) and paths that no longer exist (so
the stored thumbnail is shown), batches timed by a stepping clock (each reading 1.5 s after the
last; the runner reads it once at the start and once per report), half-cell pictures, every
worker settled. Update with ``pytest tests/ui -n 0 --snapshot-update -k history_snapshots``.
"""

from __future__ import annotations

import time

import pytest
from test_history_ui import hook_sessions, seed_history
from animetui.ui.screens.batch import BatchStartScreen
from ui_helpers import highlight_file, settle, wait_for, open_screen

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]


class SteppingClock:
    def __init__(self, step: float = 1.5) -> None:
        self.now = 0.0
        self.step = step

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@pytest.fixture(autouse=True)
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def seeded(ui_settings, pictures):
    from animetui.history import make_thumbnail

    thumb = make_thumbnail((pictures / "beach_duo.png").read_bytes())
    seed_history(ui_settings.data_dir / "history.sqlite3", 240, thumbnail=thumb)


@pytest.mark.parametrize("size", SIZES)
def test_history_view(snap_compare, build_app, seeded, size):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        await pilot.press("down", "space")
        await settle(pilot)

    assert snap_compare(build_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_history_filtered(snap_compare, build_app, seeded, size):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        await pilot.press("slash", *"frieren", "enter")
        await settle(pilot)

    assert snap_compare(build_app(), terminal_size=size, run_before=run_before)


async def _start_batch(pilot, names: list[str], choice: int) -> None:
    pilot.app.main_screen.flows.batch.clock = SteppingClock()
    for name in names:
        await highlight_file(pilot, name)
        await pilot.press("m")
    await open_screen(pilot, "B", BatchStartScreen)
    await pilot.press(*["down"] * choice, "enter")


@pytest.mark.parametrize("size", SIZES)
def test_batch_in_progress_paused(snap_compare, build_app, monkeypatch, size):
    def pause_after_two(session) -> None:
        if session.progress is not None and session.progress.done == 2 and session.state == "running":
            session.listeners.remove(pause_after_two)
            session.pause()

    hook_sessions(monkeypatch, pause_after_two)
    # one lookup at a time: with two in flight the third could finish after the pause (2 or 3 done)
    import dataclasses

    from animetui.providers.specs import spec as real_spec

    monkeypatch.setattr("animetui.batch.spec", lambda name: dataclasses.replace(real_spec(name), batch_concurrency=1))

    async def run_before(pilot):
        await settle(pilot)
        await _start_batch(pilot, ["beach", "classroom", "festival", "portrait", "rooftop"], choice=1)
        await wait_for(pilot, lambda: pilot.app.main_screen.flows.batch.session is not None and pilot.app.main_screen.flows.batch.session.state == "paused", what="the pause")
        # the screen shows it (its listener redraws the progress line), not 0.1 s later by luck
        await wait_for(pilot, lambda: "paused" in str(pilot.app.screen.query_one("#batch-progress").render()), what="the paused line")
        await pilot.pause()

    assert snap_compare(build_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_batch_summary(snap_compare, build_app, size):
    async def run_before(pilot):
        await settle(pilot)
        await _start_batch(pilot, ["beach", "classroom", "festival"], choice=0)
        await settle(pilot)
        pilot.app.clear_notifications()
        await settle(pilot)

    assert snap_compare(build_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_history_opened_offline(snap_compare, build_app, seeded, size):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        await pilot.press("down", "down", "enter")
        await settle(pilot)

    assert snap_compare(build_app(), terminal_size=size, run_before=run_before)
