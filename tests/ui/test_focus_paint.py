"""What a focus move, the jump box and the Files tree repaint: lines reused where nothing changed,
and what is reused is what a fresh render draws (tests/benchmarks/bench_stall.py measures the cost)."""

from __future__ import annotations

from ui_helpers import settle, wait_for


def _fresh(widget) -> list[list[tuple]]:  # noqa: ANN001
    """The widget's lines drawn from nothing (a new styles cache), as comparable segments."""
    from textual._styles_cache import StylesCache
    from textual.geometry import Region

    region = Region(0, 0, *widget.region.size)  # the whole widget, border and all
    return [list(strip) for strip in StylesCache().render_widget(widget, region)]


def _shown(widget) -> list[list[tuple]]:  # noqa: ANN001
    from textual.geometry import Region

    region = Region(0, 0, *widget.region.size)  # the whole widget, border and all
    return [list(strip) for strip in widget.render_lines(region)]


async def test_a_pane_reuses_its_lines_across_focus_moves_and_they_stay_right(build_app):
    """A focus move changes a pane's border colour only: the lines drawn the last time the pane had
    (or had not) the focus are shown again, and they are what a fresh render draws; a theme change
    or a new title draws them again."""
    from animetui.ui.panes.base import Pane

    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        panes = [app.query_one("#files", Pane), app.query_one("#results", Pane)]
        drawn = 0

        def counting(pane: Pane):  # noqa: ANN202
            render_widget = pane._styles_cache.render_widget

            def counted(widget, crop):  # noqa: ANN001, ANN202
                nonlocal drawn
                drawn += 1
                return render_widget(widget, crop)

            return counted

        for round_ in range(3):
            if round_ == 2:  # both states seen: nothing left to draw
                drawn = 0
                for pane in panes:
                    pane._styles_cache.render_widget = counting(pane)  # type: ignore[method-assign]
            for key in ("2", "1"):
                await pilot.press(key)
                await settle(pilot)
                for pane in panes:
                    assert _shown(pane) == _fresh(pane), (round_, key, pane.id)
        assert drawn == 0, f"the panes drew their lines again {drawn}× for focus moves they had seen"
        for pane in panes:
            del pane._styles_cache.render_widget

        app.theme = "textual-light"
        await settle(pilot)
        for pane in panes:
            assert _shown(pane) == _fresh(pane), pane.id
        await pilot.press("2")
        await settle(pilot)
        panes[0].border_title = "1 Somewhere else"
        await settle(pilot)
        for pane in panes:
            assert _shown(pane) == _fresh(pane), pane.id
        assert any("Somewhere else" in "".join(segment.text for segment in line) for line in _shown(panes[0]))
        await pilot.press("1")
        await settle(pilot)
        panes[1].styles.border_title_style = "italic"  # a style change with the same colours and title
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        for pane in panes:
            assert _shown(pane) == _fresh(pane), pane.id
