"""Prompts reusable (issue 13): the Generate dialog offers the recent prompts; a job's enhanced
prompt is readable in full (Jobs: v)."""

from __future__ import annotations

from types import SimpleNamespace

from rich.console import Console
from ui_helpers import finish_jobs, settle, wait_for

from animetui.models import JobKind, JobState
from animetui.ui.screens.generate import GenerateScreen, recent_prompts
from animetui.ui.screens.prompt import PromptScreen

LONG = "a lighthouse at dusk, " + ", ".join(f"detail number {n}" for n in range(40))


def test_recent_prompts_newest_first_each_once_generate_only():
    def job(prompt, at, kind=JobKind.GENERATE):
        return SimpleNamespace(kind=kind, created_at=at, params={"prompt": prompt, "source": "x.png"})

    jobs = [job("cat", 1), job("dog", 3), job("cat", 5), job("", 6), job("photo", 7, JobKind.CARTOONIZE)]
    assert recent_prompts(jobs) == ["cat", "dog"]
    assert recent_prompts([job(f"p{n}", n) for n in range(30)], limit=3) == ["p29", "p28", "p27"]


async def _one_finished_job(pilot, app, clock):
    await pilot.press("g")
    await wait_for(pilot, lambda: isinstance(app.screen, GenerateScreen), what="the dialog")
    app.screen.query_one("#prompt").text = LONG
    await pilot.press("ctrl+s", "y")
    await settle(pilot)
    (job,) = await finish_jobs(pilot, clock)
    assert job.state is JobState.SUCCEEDED
    return job


async def test_generate_offers_the_recent_prompts(build_app, clock):
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, GenerateScreen), what="the dialog")
        assert not app.screen.query("#recent-prompts"), "no jobs yet: nothing to offer"
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, GenerateScreen), what="closed")
        await _one_finished_job(pilot, app, clock)

        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, GenerateScreen), what="the dialog")
        from textual.widgets import Select, TextArea

        select = app.screen.query_one("#recent-prompts", Select)
        assert app.screen.query_one("#prompt", TextArea).text == ""
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: select.expanded, what="the list open")
        from textual.widgets._select import SelectOverlay

        await wait_for(pilot, lambda: isinstance(app.focused, SelectOverlay), what="the list focused")
        await pilot.press("enter")  # Ctrl+R highlights the newest prompt
        await wait_for(pilot, lambda: app.screen.query_one("#prompt", TextArea).text == LONG, what="the prompt filled in")


async def test_a_jobs_enhanced_prompt_reads_in_full(build_app, clock):
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        job = await _one_finished_job(pilot, app, clock)
        enhanced = job.params.get("enhanced_prompt", "")
        assert len(enhanced) > 300
        await pilot.press("4", "v")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen), what="the prompt")
        console = Console(width=90, record=True)
        console.print(app.screen.query_one("#prompt-body").content)
        shown = " ".join(console.export_text().split())
        assert " ".join(LONG.split()) in shown and " ".join(enhanced.split()) in shown
        await pilot.press("c")
        assert app.clipboard == enhanced
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, PromptScreen), what="closed")
