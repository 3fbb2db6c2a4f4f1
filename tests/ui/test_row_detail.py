"""Issue 13: "show the full text of the highlighted row somewhere". Tables cut long cells with an
ellipsis; the bar under the table (Results, Rankings, History on a narrow screen) and the Jobs
detail give the highlighted row whole — title, path, prompt and the enhanced prompt."""

from __future__ import annotations

from rich.text import Text
from test_history_ui import open_history, seed_history
from test_prompts import LONG, _one_finished_job
from ui_helpers import highlight_file, settle, wait_for

from animetui.models import PROBABLY_WRONG
from animetui.ui.panes.jobs import JobsPane
from animetui.ui.widgets.row_detail import RowDetail


def cell_key(table):  # noqa: ANN001, ANN201
    return next(key for key in table.columns if key.value == "title")


def on_screen(widget) -> list[str]:  # noqa: ANN001
    """The widget's lines as drawn (padding stripped)."""
    return [strip.text.strip() for strip in widget.render_lines(widget.region.reset_offset) if strip.text.strip()]


def rendered(widget) -> str:  # noqa: ANN001
    return str(widget.render())


async def test_results_bar_gives_the_highlighted_match_whole(build_app, ui_settings):
    ui_settings.set("general.scene_provider", "all")
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await highlight_file(pilot, "beach")
        await pilot.press("s")
        await settle(pilot)
        pane = app.results_pane
        bar = app.query_one("#scene-detail", RowDetail)
        first = pane.shown[0]
        assert bar.display and first.title_in(pane.title_language) in bar.plain
        assert f"{first.confidence}" in bar.plain  # the cell says "likely"/"wrong?"; the bar the whole label
        pane.scene_table.focus()
        row = next(i for i, m in enumerate(pane.shown) if m.confidence == PROBABLY_WRONG)
        pane.scene_table.move_cursor(row=row)
        await settle(pilot)
        match = pane.shown[row]
        assert bar.plain.startswith(f"{row + 1}. {match.title_in(pane.title_language)}")
        assert "probably wrong — the episode may not be indexed" in bar.plain
        assert match.engine and ("trace.moe" in bar.plain or "whatanimeisthis" in bar.plain)
        # the table cell is cut to the pane; the bar's lines fit it (two at most, no sideways scroll)
        lines = rendered(bar).splitlines()
        assert 1 <= len(lines) <= RowDetail.MAX_LINES and all(len(line) <= bar.content_size.width for line in lines)


async def test_rankings_bar_gives_the_highlighted_title_whole(build_app):
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        from animetui.ui.panes.rankings import RankingsPane

        rankings = app.query_one(RankingsPane)
        table = rankings.query_one("#rankings-table")
        bar = rankings.query_one("#rank-detail", RowDetail)
        longest = max(range(len(rankings.rankings)), key=lambda i: len(rankings.rankings[i].title))
        item = rankings.rankings[longest]
        await pilot.press("3")
        table.move_cursor(row=longest)
        await settle(pilot)
        cell = table.get_row_at(longest)[2]
        assert isinstance(cell, Text) and table.columns[cell_key(table)].width < len(item.title)  # cut in the table
        assert bar.plain.startswith(f"#{item.rank} {item.title}") and "searches" in bar.plain
        assert item.title in " ".join(rendered(bar).splitlines())


async def test_jobs_detail_wraps_the_prompt_and_shows_the_enhanced_one(build_app, clock):
    app = build_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        job = await _one_finished_job(pilot, app, clock)
        await settle(pilot)
        jobs = app.query_one(JobsPane)
        widget = jobs.query_one("#job-detail")
        lines = on_screen(widget)  # as drawn: the prompt wraps, every other line fits
        assert len(lines) <= 7 and all(len(line) <= widget.content_size.width for line in lines), lines
        assert lines[0].startswith("text→image · succeeded")
        joined = " ".join(lines)
        assert LONG[: widget.content_size.width + 10] in joined  # more of it than one line
        assert any(line.startswith("enhanced: ") for line in lines) and "(v: read all)" in joined
        assert any(line.startswith("→ ") and line.endswith(".webp") for line in lines) and job.result_path
        labels = [str(c.label) for c in jobs.table.columns.values()]
        assert "Result" in labels  # 160×48: the result column is there


async def test_history_bar_on_a_narrow_screen(build_app, ui_settings):
    long_path = "/gone/" + "a-very-long-folder-name/" * 4 + "screenshot_00001.png"
    seed_history(ui_settings.data_dir / "history.sqlite3", 3, source_path=long_path)
    app = build_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = await open_history(pilot)
        bar = screen.query_one("#history-row", RowDetail)
        await wait_for(pilot, lambda: bool(bar.plain), what="the bar filled")
        assert bar.display and long_path in bar.plain and "Show 2" in bar.plain
        lines = rendered(bar).splitlines()
        assert len(lines) == 2 and long_path in "".join(lines)
