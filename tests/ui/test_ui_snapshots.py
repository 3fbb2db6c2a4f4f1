"""Snapshot tests: every pane, dialog and error state at 80×24 and 160×48.

Deterministic by construction (see conftest): frozen clock, job ids from a counter, UTC, fixed
``~/Pictures`` paths, half-cell pictures, no animations, no blinking cursor, and every worker and
picture settled before the shot. Update with ``pytest tests/ui --snapshot-update`` and look at
``snapshot_report.html`` when one fails.
"""

from __future__ import annotations

import time

import pytest
from animetui.ui.screens.generate import GenerateScreen
from ui_helpers import highlight_file, look_up, open_screen, settle, wait_for

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]


class _Counter:
    """Stands in for ``secrets`` inside animetui.jobs: job ids 000000000001, 000000000002, …"""

    def __init__(self) -> None:
        self.count = 0

    def token_hex(self, nbytes: int = 16) -> str:
        self.count += 1
        return f"{self.count:0{nbytes * 2}x}"


@pytest.fixture(autouse=True)
def deterministic(monkeypatch):
    import animetui.jobs.runner

    monkeypatch.setattr(animetui.jobs.runner, "secrets", _Counter())
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize("size", SIZES)
def test_start(snap_compare, build_app, size):
    async def run_before(pilot):
        await settle(pilot)

    assert snap_compare(build_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_both_lookups_second_detection(snap_compare, build_app, size):
    async def run_before(pilot):
        await settle(pilot)
        await look_up(pilot, "beach", "b")
        pilot.app.query_one("#detections").focus()
        await pilot.press("down")
        await settle(pilot)

    assert snap_compare(build_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_results_maximised_with_picture(snap_compare, build_app, size):
    async def run_before(pilot):
        await settle(pilot)
        await look_up(pilot, "festival", "b")
        pilot.app.query_one("#detections").focus()
        await pilot.press("down", "z")
        await settle(pilot)

    assert snap_compare(build_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_zoomed_box(snap_compare, build_app, size):
    async def run_before(pilot):
        await settle(pilot)
        await look_up(pilot, "beach", "r")
        pilot.app.query_one("#detections").focus()
        await pilot.press("z", "i")
        await settle(pilot)

    assert snap_compare(build_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_no_characters_found(snap_compare, build_app, size):
    async def run_before(pilot):
        await settle(pilot)
        await look_up(pilot, "flat", "b")

    assert snap_compare(build_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_files_maximised_with_preview(snap_compare, build_app, size):
    async def run_before(pilot):
        await settle(pilot)
        await highlight_file(pilot, "portrait")
        await pilot.press("z")
        await settle(pilot)

    assert snap_compare(build_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_jump_box(snap_compare, build_app, size):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("1", "slash", "n", "i")
        await settle(pilot)

    assert snap_compare(build_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_rankings_monthly_top_50(snap_compare, build_app, size):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("3", "p", "l")
        await settle(pilot)

    assert snap_compare(build_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_recent_searches_second_page(snap_compare, build_app, size):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("3", "t")
        await settle(pilot)
        await pilot.press("ctrl+end")
        await settle(pilot)

    assert snap_compare(build_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_jobs_finished(snap_compare, build_app, clock, size):
    async def run_before(pilot):
        from animetui.models import JobState
        from animetui.ui.panes.jobs import JobsPane

        await settle(pilot)
        await open_screen(pilot, "g", GenerateScreen)
        await pilot.press(*"two cats on a rooftop, watercolour")
        await pilot.press("ctrl+s", "y")  # y: the cost question
        await highlight_file(pilot, "portrait")
        await pilot.press("a", "enter", "y")
        jobs = pilot.app.query_one(JobsPane)
        await wait_for(
            pilot,
            lambda: len(jobs.jobs) == 2 and any(j.state is JobState.RUNNING for j in jobs.jobs.values()),
            what="both jobs",
        )
        clock.advance(30)
        await wait_for(pilot, lambda: all(j.state.terminal for j in jobs.jobs.values()), what="the jobs to end")
        await pilot.press("4")
        pilot.app.clear_notifications()
        await settle(pilot)

    assert snap_compare(build_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_generate_dialog(snap_compare, build_app, size):
    async def run_before(pilot):
        await settle(pilot)
        await open_screen(pilot, "g", GenerateScreen)
        await pilot.press(*"a girl reading under a cherry tree, soft light")
        await pilot.press("tab", "tab", "right")
        await settle(pilot)

    assert snap_compare(build_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_generate_dialog_prompt_too_long(snap_compare, build_app, size):
    async def run_before(pilot):
        await settle(pilot)
        await open_screen(pilot, "g", GenerateScreen)
        pilot.app.screen.query_one("#prompt").text = "sakura " * 150
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)

    assert snap_compare(build_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_cartoonize_dialog(snap_compare, build_app, size):
    async def run_before(pilot):
        await settle(pilot)
        await highlight_file(pilot, "portrait")
        await pilot.press("a")
        await settle(pilot)

    assert snap_compare(build_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare, build_app, size):
    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    assert snap_compare(build_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_quit_while_a_job_runs(snap_compare, build_app, size):
    async def run_before(pilot):
        from animetui.models import JobState
        from animetui.ui.panes.jobs import JobsPane

        await settle(pilot)
        await highlight_file(pilot, "portrait")
        await pilot.press("a", "enter", "y")  # y: the cost question
        jobs = pilot.app.query_one(JobsPane)
        await wait_for(pilot, lambda: any(j.state is JobState.RUNNING for j in jobs.jobs.values()), what="a running job")
        pilot.app.clear_notifications()
        await pilot.press("q")
        await settle(pilot)

    assert snap_compare(build_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_lookup_errors(snap_compare, build_app, ui_hub, size):
    ui_hub.inject("whatanime", "rate_limit", times=None, retry_after=120, path="/api/anime/search")
    ui_hub.inject("animetrace", "busy", times=None, path="/v1/search")

    async def run_before(pilot):
        await settle(pilot)
        await look_up(pilot, "beach", "b")

    assert snap_compare(build_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_rankings_error(snap_compare, build_app, ui_hub, size):
    ui_hub.inject("whatanime", "server_error", times=None, path="/api/anime/rankings")

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)

    assert snap_compare(build_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_hostile_server_strings(snap_compare, build_app, ui_hub, size):
    ui_hub.inject("whatanime", "hostile", times=None)
    ui_hub.inject("animetrace", "hostile", times=None)

    async def run_before(pilot):
        await settle(pilot)
        await look_up(pilot, "festival", "b")

    assert snap_compare(build_app(), terminal_size=size, run_before=run_before)
