"""animetui.ui.partial_paint: the same bytes to the terminal as Textual's partial repaint, for any dirty regions."""

from __future__ import annotations

import random

import pytest
from ui_helpers import highlight_file, settle, wait_for

from animetui.ui import partial_paint


def test_installed_on_the_pinned_textual():
    import textual

    assert textual.__version__ == partial_paint.TEXTUAL_VERSION, "Textual changed: check partial_paint against its compositor"
    assert partial_paint.install() and partial_paint.installed()


@pytest.mark.parametrize("size", [(160, 48), (80, 24)])
async def test_partial_repaint_writes_what_textual_would(build_app, size):
    from textual._compositor import Compositor
    from textual.geometry import Region

    assert partial_paint.installed() or partial_paint.install()
    ours = Compositor.render_partial_update
    theirs = partial_paint.TEXTUAL_RENDER_PARTIAL_UPDATE
    assert ours is partial_paint.render_partial_update and theirs is not ours
    app = build_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await highlight_file(pilot, "beach")
        await pilot.press("r")
        await wait_for(pilot, lambda: app.query_one("#detections").option_count > 0, what="detections")
        await settle(pilot)
        compositor = app.screen._compositor  # noqa: SLF001 - the object under test
        console = app.console
        width, height = size
        rng = random.Random(16)
        cases = [
            [Region(0, 0, width, height)],
            [Region(0, 0, 1, height), Region(width - 1, 0, 1, height), Region(0, height - 1, width, 1)],
        ]
        for _ in range(60):
            regions = []
            for _ in range(rng.randint(1, 6)):
                x, y = rng.randrange(width), rng.randrange(height)
                regions.append(Region(x, y, rng.randint(1, width - x), rng.randint(1, height - y)))
            cases.append(regions)
        for regions in cases:
            compositor._dirty_regions = set(regions)  # noqa: SLF001
            expected = theirs(compositor)
            compositor._dirty_regions = set(regions)  # noqa: SLF001
            got = ours(compositor)
            assert (got is None) == (expected is None)
            if got is not None:
                assert got.render_segments(console) == expected.render_segments(console), f"differs for {regions}"
        compositor._dirty_regions = set()  # noqa: SLF001
        assert ours(compositor) is None


async def test_a_layout_is_not_worked_out_twice(build_app):
    """After a reflow the full map counts as current (the same map a rebuild would give): a scroll
    had marked it stale, and the first widget asking for its region arranged the screen again."""
    from textual._compositor import Compositor

    assert partial_paint.installed() or partial_paint.install()
    assert Compositor.reflow is partial_paint.reflow
    app = build_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "up")  # scrolling the tree: reflow_visible marks the full map stale
        await settle(pilot)
        compositor = app.screen._compositor  # noqa: SLF001 - the object under test
        compositor._full_map_invalidated = True  # noqa: SLF001 - as a scroll leaves it
        await highlight_file(pilot, "beach")  # the jump box opens and closes: two layouts
        await settle(pilot)
        compositor.reflow(app.screen, compositor.size)
        assert not compositor._full_map_invalidated  # noqa: SLF001
        kept = compositor.full_map
        fresh, _widgets = compositor._arrange_root(app.screen, compositor.size, visible_only=False)  # noqa: SLF001
        assert kept == fresh
