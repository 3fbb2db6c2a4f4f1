"""Issue 13: the scene table lays its columns out by priority — the title is always on screen.

At 80×24 and 120×40 the Results pane is narrow; the similarity, confidence, episode, time span and
engine columns used to take the width and push the Title column past the pane's edge. Now the
least useful columns give way first (engine, span, confidence, episode) and a cut title ends in …
"""

from __future__ import annotations

import pytest
from ui_helpers import look_up

from animetui.ui.panes.results_tables import EP_WIDTH, MIN_TITLE, SCENE_DROP


def screen_lines(app) -> list[str]:  # noqa: ANN001
    strips = app.screen._compositor.render_strips()
    return ["".join(segment.text for segment in strip if not segment.control) for strip in strips]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_scene_titles_are_on_screen_with_an_ellipsis_where_cut(build_app, size):
    app = build_app()
    async with app.run_test(size=size) as pilot:
        pane = await look_up(pilot, "classroom", "s")
        await pilot.press("2")
        table = pane.scene_table
        assert table.row_count >= 3 and len(pane.shown) == table.row_count
        lines = screen_lines(app)
        assert any("Title" in line and "Sim" in line for line in lines), "the Title header is off-screen"
        title_width = table.columns[next(k for k in table.columns if k.value == "title")].width
        assert title_width >= MIN_TITLE
        visible_rows = min(table.row_count, table.scrollable_content_region.height - 1)
        for row in range(min(3, visible_rows)):
            title = pane.shown[row].title_in(pane.title_language)
            cut = title if len(title) <= title_width else title[: title_width - 1] + "…"
            assert any(cut in line for line in lines), f"row {row + 1}: {cut!r} not on screen"
        # what gave way, gave way in priority order, and its cells are still there
        assert table.dropped == SCENE_DROP[: len(table.dropped)]
        assert all(len(str(table.row_cells(i)["ep"])) <= EP_WIDTH for i in range(table.row_count))
        assert set(table.row_cells(0)) == {"n", "sim", "confidence", "ep", "span", "engine", "title"}


async def test_a_wide_pane_shows_every_column(build_app):
    app = build_app()
    async with app.run_test(size=(240, 50)) as pilot:
        pane = await look_up(pilot, "classroom", "s")
        assert pane.scene_table.dropped == ()
        assert [k.value for k in pane.scene_table.columns] == ["n", "sim", "confidence", "ep", "span", "engine", "title"]

