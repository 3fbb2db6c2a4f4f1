"""The Jobs pane words every job through its kind: ``R`` on a failed job asks the kind's own
question with its own cost line — a registered third kind is never asked about "this photo"."""

from __future__ import annotations

import time

import pytest

from animetui.jobs import kinds
from animetui.jobs.cartoonize import CartoonizeKind
from animetui.models import Job, JobKind, JobState
from animetui.store import JobJournal
from animetui.ui.screens.confirm import ConfirmScreen
from ui_helpers import settle, wait_for

SIZE = (160, 48)


class RestyleKind(CartoonizeKind):
    """A third kind for the test: AILabTools' provider, its own words."""

    name = "restyle"
    title = "Restyle"
    label = "restyle"
    short = "rest"
    retry_title = "Restyle this picture again?"
    retry_yes = "Restyle"

    def cost_text(self, *, balance_usd: float | None, credits_left: float | None) -> str:
        return f"Restyling costs 2 credits ({credits_left:,.0f} left)." if credits_left is not None else "Restyling costs 2 credits."


@pytest.fixture
def restyle():
    kind = kinds.register(RestyleKind())
    yield kind
    kinds.unregister(kind.name)


def failed(job_id: str, kind: str, created: float) -> Job:
    return Job(id=job_id, kind=kind, provider="ailab", params={"source": "/pics/cat.png", "style": 1, "style_name": "Hosoda"},
               state=JobState.FAILED, created_at=created, updated_at=created, finished_at=created, error="boom")


async def test_retry_asks_the_kinds_question(build_app, ui_settings, restyle):
    now = time.time()
    journal = JobJournal(ui_settings.data_dir / "jobs.sqlite3")
    journal.insert(failed("aaaaaaaaaaaa", "restyle", now), owner=None)  # newest: the first row
    journal.insert(failed("bbbbbbbbbbbb", JobKind.CARTOONIZE, now - 60), owner=None)
    journal.close()
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("4")
        pane = app.query_one("#jobs")
        await wait_for(pilot, lambda: pane.selected is not None and pane.selected.id == "aaaaaaaaaaaa", what="the restyle job")
        detail = str(pane.query_one("#job-detail").render())
        assert detail.startswith("restyle · failed") and "photo→anime" not in detail
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the retry question")
        assert app.screen.title_text == "Restyle this picture again?" and app.screen.yes == "Restyle"
        assert app.screen.message.startswith("Restyling costs 2 credits") and "photo" not in app.screen.message
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("down")
        await wait_for(pilot, lambda: pane.selected is not None and pane.selected.id == "bbbbbbbbbbbb", what="the photo job")
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the retry question")
        assert app.screen.title_text == "Convert this photo again?"
        assert "1 AILabTools credit" in app.screen.message
        await pilot.press("n")
        await settle(pilot)
        assert len(app.runner.list()) == 2, "no new job without a yes"


async def test_retry_of_a_kind_this_animetui_does_not_know_says_so(build_app, ui_settings):
    journal = JobJournal(ui_settings.data_dir / "jobs.sqlite3")
    journal.insert(failed("cccccccccccc", "teleport", time.time()), owner=None)
    journal.close()
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("4")
        pane = app.query_one("#jobs")
        await wait_for(pilot, lambda: pane.selected is not None and pane.selected.id == "cccccccccccc", what="the job")
        assert str(pane.query_one("#job-detail").render()).startswith("teleport · failed\n")
        await pilot.press("R")
        await wait_for(pilot, lambda: any("cannot run “teleport” jobs" in n.message for n in app._notifications),
                       what="the refusal")
        assert not isinstance(app.screen, ConfirmScreen) and len(app.runner.list()) == 1
