"""animetui.ui.widgets.loading: the loading indicator repaints the line its dots are on, and only that."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Static

from animetui.ui.widgets.detection_list import DetectionList
from animetui.ui.widgets.fitted_table import FittedTable
from animetui.ui.widgets.loading import LineLoadingIndicator


class _Covered(App[None]):
    CSS = "#covered { height: 1fr; }"

    def compose(self) -> ComposeResult:
        yield Static("above")
        yield DetectionList(id="covered")


@pytest.mark.parametrize("animation", ["full", "none"])
async def test_the_dots_are_on_the_line_it_repaints(animation):
    app = _Covered()
    async with app.run_test(size=(40, 24)) as pilot:
        app.animation_level = animation  # type: ignore[assignment]
        covered = app.query_one("#covered", DetectionList)
        covered.loading = True
        await pilot.pause()
        await pilot.pause()
        heights: set[int] = set()
        for height in (1, 2, 3, 4, 5, 8, 18, 21):
            covered.styles.height = height
            await pilot.pause()
            await pilot.pause()
            indicator = covered._cover_widget  # noqa: SLF001 - what `loading` put over the list
            assert isinstance(indicator, LineLoadingIndicator)
            heights.add(indicator.content_size.height)
            lines = [strip.text for strip in indicator.render_lines(indicator.size.region)]
            drawn = [y for y, text in enumerate(lines) if text.strip()]
            assert drawn == [indicator.dots_row()], (height, lines)  # the middle line, for even heights too

            dirty = []
            original = type(indicator).refresh

            def record(widget, *regions, **kwargs):  # noqa: ANN001, ANN202
                dirty.extend(regions)
                return original(widget, *regions, **kwargs)

            type(indicator).refresh = record  # type: ignore[method-assign]
            try:
                indicator.automatic_refresh()
            finally:
                type(indicator).refresh = original  # type: ignore[method-assign]
            assert [(r.y, r.height, r.width) for r in dirty] == [(indicator.dots_row(), 1, indicator.content_size.width)]
        assert len(heights) >= 6


def test_our_tables_and_lists_use_it():
    assert isinstance(DetectionList().get_loading_widget(), LineLoadingIndicator)
    assert isinstance(FittedTable(flex="title").get_loading_widget(), LineLoadingIndicator)
