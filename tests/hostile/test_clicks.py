"""Money: a click only previews; Enter or a double-click looks up; x cancels a running lookup.

Before: Tree's click selected the line, and selecting an image runs both lookups (scene search
spends a whatanimeisthis search), so one stray click spent credits. And ``x`` — the Results
footer's Cancel — did nothing while both lookups were loading: a loading section cannot take the
focus, so the focus stayed in Files, where ``x`` was not bound.
"""

from __future__ import annotations

from .tui_support import *  # noqa: F403 - the TUI fixtures (build_app …) and helpers
from .tui_support import settle, wait_for

SEARCHES = ("/api/anime/search", "/v1/search")  # whatanimeisthis scene search, AnimeTrace recognition


def searches(hub) -> list[str]:  # noqa: ANN001
    return [r.path for r in hub.log if r.method == "POST" and r.path in SEARCHES]


def line_of(tree, name: str) -> int:  # noqa: ANN001
    for line in range(tree.last_line + 1):
        node = tree.get_node_at_line(line)
        if node is not None and node.data is not None and node.data.path.name == name:
            return line
    raise AssertionError(f"{name} is not in the tree")


async def test_a_click_on_an_image_previews_it_and_spends_nothing(build_app, ui_hub):
    from animetui.ui.panes.files import FilesPane
    from animetui.ui.panes.results import ResultsPane
    from animetui.ui.widgets.image_tree import ImageTree

    app = build_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        tree = app.query_one(ImageTree)
        files = app.query_one(FilesPane)
        results = app.query_one(ResultsPane)
        await wait_for(pilot, lambda: len(tree.root.children) == 8, what="the pictures listed")
        before = searches(ui_hub)
        line = line_of(tree, "portrait.jpg")
        assert await pilot.click(ImageTree, offset=(8, line - int(tree.scroll_y)))
        await settle(pilot)
        assert tree.highlighted_path is not None and tree.highlighted_path.name == "portrait.jpg"
        assert files.source is not None and files.source.path.name == "portrait.jpg"
        assert files.preview.caption_text.startswith("portrait.jpg")  # previewed
        assert results.source is None and not results.running  # no lookup
        assert searches(ui_hub) == before  # nothing sent, nothing spent

        # a second single click elsewhere, then back: still only highlights
        assert await pilot.click(ImageTree, offset=(8, line_of(tree, "classroom.png") - int(tree.scroll_y)))
        await settle(pilot)
        assert files.source.path.name == "classroom.png" and results.source is None
        assert searches(ui_hub) == before


async def test_a_double_click_runs_what_enter_runs(build_app, ui_hub):
    from animetui.ui.panes.results import ResultsPane
    from animetui.ui.widgets.image_tree import ImageTree

    app = build_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        tree = app.query_one(ImageTree)
        results = app.query_one(ResultsPane)
        await wait_for(pilot, lambda: len(tree.root.children) == 8, what="the pictures listed")
        before = searches(ui_hub)
        assert await pilot.double_click(ImageTree, offset=(8, line_of(tree, "beach_duo.png") - int(tree.scroll_y)))
        await settle(pilot)
        assert results.source is not None and results.source.path.name == "beach_duo.png"
        assert sorted(searches(ui_hub)[len(before):]) == sorted(SEARCHES)  # both lookups, once each


async def test_a_click_on_a_folder_still_opens_it(build_app, ui_hub, pictures):
    from animetui.ui.widgets.image_tree import ImageTree

    sub = pictures / "more"
    sub.mkdir()
    (sub / "x.png").write_bytes((pictures / "flat_sky.png").read_bytes())
    app = build_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        tree = app.query_one(ImageTree)
        await wait_for(pilot, lambda: len(tree.root.children) == 9, what="the folder listed")
        folder = next(n for n in tree.root.children if n.data.path.name == "more")
        assert await pilot.click(ImageTree, offset=(8, line_of(tree, "more") - int(tree.scroll_y)))
        await wait_for(pilot, lambda: folder.is_expanded and len(folder.children) == 1, what="the folder opened")
        assert searches(ui_hub) == []


async def _both_lookups_hanging(app, pilot, hub):  # noqa: ANN001, ANN202
    from animetui.ui.panes.results import ResultsPane

    for service, path in (("whatanime", SEARCHES[0]), ("animetrace", SEARCHES[1])):
        hub.inject(service, "latency", seconds=60, times=None, path=path)  # cancelled long before
    await pilot.press("1", "slash", *"beach", "enter")
    await settle(pilot)
    await pilot.press("enter")  # Enter on the image: both lookups
    results = app.query_one(ResultsPane)
    await wait_for(pilot, lambda: results.running == {"scene", "characters"}, what="both lookups running")
    return results


async def test_x_cancels_a_running_lookup_from_files(build_app, ui_hub):
    app = build_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        results = await _both_lookups_hanging(app, pilot, ui_hub)
        assert app.focused is not None and app.focused.id == "tree"
        await pilot.press("x")
        await wait_for(pilot, lambda: not results.running, what="the lookup cancelled")
        assert results.errors == {"scene": "cancelled", "characters": "cancelled"}
        assert not [w for w in results.workers if w.group == "lookup" and not w.state.name in ("CANCELLED", "SUCCESS", "ERROR")]


async def test_x_cancels_a_running_lookup_after_going_to_results(build_app, ui_hub):
    app = build_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        results = await _both_lookups_hanging(app, pilot, ui_hub)
        await pilot.press("2")  # Results, where the footer shows "x Cancel"
        await pilot.pause()
        await pilot.press("x")
        await wait_for(pilot, lambda: not results.running, what="the lookup cancelled")
        assert results.errors == {"scene": "cancelled", "characters": "cancelled"}
