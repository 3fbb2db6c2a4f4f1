"""``R`` in the Jobs pane: only a failed, expired or cancelled job is started again, and always
through the same cost question as a new job (``general.confirm_paid`` on); a succeeded one is
never re-run (it was paid for and saved: running it again pays again).

Driven through the TUI (Textual's pilot) over the in-process simulators; what reaches the paid
endpoint is counted on the simulator's own request log.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from animetui.errors import BadInput
from animetui.jobs import JobRunner
from animetui.models import GenerateRequest, JobState
from animetui.net import RetryPolicy
from animetui.providers import Providers
from animetui.simulator import DEMO_KEYS, SimulatorHub
from animetui.store import JobJournal
from animetui.ui.panes.jobs import JobsPane
from animetui.ui.screens.confirm import ConfirmScreen

FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, max_retry_after=2.0)


def generates(hub: SimulatorHub) -> int:
    return sum(1 for r in hub.requests_to("animeapi") if r.path == "/api/generate")


async def until(pilot, predicate, what: str, timeout: float = 90.0) -> None:  # an upper bound only
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


@pytest.fixture
async def world(settings, hub, tmp_path):
    """A runner with one failed and one succeeded generation (newest first: the succeeded one)."""
    settings.set("providers.animeapi.api_key", DEMO_KEYS["animeapi"])
    settings.set("providers.animeapi.requests_per_minute", 10)  # the documented maximum
    settings.set("general.confirm_paid", True)
    providers = Providers(settings, hub=hub, retry=FAST)
    journal = JobJournal(settings.data_dir / "jobs.sqlite3")
    runner = JobRunner(providers, journal, downloads_dir=tmp_path / "downloads")
    hub.services["animeapi"].fail_next()
    failed = await runner.submit_generate(GenerateRequest("a fox that failed"))
    (failed,) = await asyncio.wait_for(runner.wait([failed.id]), 10)
    done = await runner.submit_generate(GenerateRequest("a fox that worked"))
    (done,) = await asyncio.wait_for(runner.wait([done.id]), 10)
    assert failed.state is JobState.FAILED and done.state is JobState.SUCCEEDED
    try:
        yield settings, hub, providers, runner, failed, done
    finally:
        await runner.stop(grace=0)
        journal.close()
        await providers.aclose()


def build(settings, providers, runner, tmp_path):
    from animetui.ui.app import make_app

    return make_app(settings, demo=True, start_path=tmp_path, providers=providers, runner=runner, renderer="none")


async def test_R_on_a_succeeded_job_runs_nothing_and_pays_nothing(world, tmp_path):
    settings, hub, providers, runner, _failed, done = world
    before = generates(hub)
    app = build(settings, providers, runner, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.panes_ready, "the panes")
        jobs = app.query_one(JobsPane)
        await until(pilot, lambda: len(jobs.jobs) == 2, "the jobs in the pane")
        await pilot.press("4")
        await until(pilot, lambda: jobs.selected is not None and jobs.selected.id == done.id, "the succeeded job highlighted")
        await pilot.press("R")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        await pilot.pause(0.1)
        assert len(runner.list()) == 2, "a succeeded job was started again"
        assert any("succeeded" in str(n.message) for n in app._notifications)
    assert generates(hub) == before


async def test_R_on_a_failed_job_asks_the_cost_question_first(world, tmp_path):
    settings, hub, providers, runner, failed, _done = world
    before = generates(hub)
    app = build(settings, providers, runner, tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.panes_ready, "the panes")
        jobs = app.query_one(JobsPane)
        await until(pilot, lambda: len(jobs.jobs) == 2, "the jobs in the pane")
        await pilot.press("4", "down")
        await until(pilot, lambda: jobs.selected is not None and jobs.selected.id == failed.id, "the failed job highlighted")

        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the cost question")
        assert "costs $" in app.screen.message  # the same words as for a new image
        await pilot.press("escape")  # no: nothing is sent
        await until(pilot, lambda: not isinstance(app.screen, ConfirmScreen), "the question closed")
        await pilot.pause(0.1)
        assert len(runner.list()) == 2 and generates(hub) == before

        await pilot.press("R")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the cost question again")
        await pilot.press("y")
        await until(pilot, lambda: len(runner.list()) == 3, "the new job")
        new = next(j for j in runner.list() if j.id not in (failed.id, _done.id))
        (new,) = await asyncio.wait_for(runner.wait([new.id]), 10)
        assert new.state is JobState.SUCCEEDED and new.params["prompt"] == "a fox that failed"
    assert generates(hub) == before + 1


async def test_the_runner_refuses_to_retry_a_succeeded_job(world):
    _settings, hub, _providers, runner, _failed, done = world
    before = generates(hub)
    with pytest.raises(BadInput, match="succeeded"):
        await runner.retry(done.id)
    assert generates(hub) == before and Path(done.result_path).is_file()
