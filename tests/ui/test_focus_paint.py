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


async def test_a_layout_leaves_the_scrollbars_of_unchanged_lists_alone(build_app):
    """The jump box opening and closing lays the screen out; the rankings table's size does not
    change, so its scrollbar is not drawn again (Textual updated every shown scrollbar on every
    layout); a real change of size still updates it (``animetui.ui.scroll_sizes``)."""
    from animetui.ui import scroll_sizes

    assert scroll_sizes.installed()
    app = build_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        table = app.query_one("#rankings-table")
        await wait_for(pilot, lambda: table.row_count > 0 and table.show_vertical_scrollbar, what="the rankings listed")
        await settle(pilot)
        scrollbar = table.vertical_scrollbar
        refreshes = 0
        real = scrollbar.refresh

        def counted(*regions, **kwargs):  # noqa: ANN002, ANN003, ANN202
            nonlocal refreshes
            refreshes += 1
            return real(*regions, **kwargs)

        scrollbar.refresh = counted  # type: ignore[method-assign]
        await pilot.press("1", "slash")
        await wait_for(pilot, lambda: app.focused is not None and app.focused.id == "jump", what="the jump box open")
        await settle(pilot)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.focused is not None and app.focused.id == "tree", what="the jump box closed")
        await settle(pilot)
        assert refreshes == 0, f"the rankings scrollbar was drawn again {refreshes}× by layouts that left the table alone"
        del scrollbar.refresh

        def right() -> bool:
            return (scrollbar.window_size, scrollbar.window_virtual_size) == (
                table.container_size.height - table.scrollbar_size_horizontal,
                table.virtual_size.height,
            )

        assert right()
        before = scrollbar.window_size
        await pilot.resize_terminal(160, 40)
        await settle(pilot)
        assert scrollbar.window_size != before and right(), "a new size still reaches the scrollbar"


async def test_the_tree_restyled_for_a_focus_state_it_had_before_is_styled_as_textual_would(build_app):
    """ImageTree reuses the styles found the last time it had (or had not) the focus: they, and the
    lines drawn with them, are what Textual's own restyle gives; a theme change is seen."""
    from animetui.ui.widgets.image_tree import ImageTree

    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        tree = app.query_one(ImageTree)

        def styles() -> tuple:
            components = {name: (tree.get_component_rich_style(name), tree.get_component_rich_style(name, partial=True))
                          for name in sorted(tree._component_styles)}
            return dict(tree.styles.base._rules), components, tree.rich_style

        def textual_restyle() -> tuple:
            app.stylesheet.update_nodes([tree], animate=False)  # what Widget.watch_has_focus would do
            return styles()

        restyles = 0
        real = app.stylesheet.update_nodes

        def counted(nodes, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            nonlocal restyles
            nodes = list(nodes)
            restyles += tree in nodes
            return real(nodes, *args, **kwargs)

        for theme in (None, "textual-light"):
            if theme:
                app.theme = theme
                await settle(pilot)
            for round_ in range(3):
                if round_ == 2 and theme is None:
                    app.stylesheet.update_nodes = counted  # type: ignore[method-assign]
                for key in ("2", "1"):
                    await pilot.press(key)
                    await settle(pilot)
                    seen, lines = styles(), _shown(tree)
                    assert lines == _fresh(tree), (theme, round_, key)
                    app.stylesheet.update_nodes = real  # type: ignore[method-assign]
                    assert seen == textual_restyle(), (theme, round_, key)
                    if round_ == 2 and theme is None:
                        app.stylesheet.update_nodes = counted  # type: ignore[method-assign]
            app.stylesheet.update_nodes = real  # type: ignore[method-assign]
        assert restyles == 0, f"the tree went through the stylesheet {restyles}× for focus states it had seen"


async def test_the_jump_box_shown_and_hidden_again_is_styled_as_textual_would(build_app):
    """The jump box (a SafeInput) is restyled when it is shown, focused, blurred and hidden; for
    states it had before the styles found then are reused, and they are Textual's."""
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        jump = app.query_one("#jump")
        await pilot.press("1")
        await settle(pilot)

        def styles() -> tuple:
            components = {name: jump.get_component_rich_style(name) for name in sorted(jump._component_styles)}
            return dict(jump.styles.base._rules), components, jump.rich_style

        restyles = 0
        real = app.stylesheet.update_nodes

        def counted(nodes, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            nonlocal restyles
            nodes = list(nodes)
            restyles += jump in nodes
            return real(nodes, *args, **kwargs)

        for round_ in range(3):
            if round_ == 2:
                restyles = 0
                app.stylesheet.update_nodes = counted  # type: ignore[method-assign]
            await pilot.press("slash", "z", "q")  # no match: the -no-match class too
            await wait_for(pilot, lambda: app.focused is jump and jump.has_class("-no-match"), what="the jump box open")
            await settle(pilot)
            shown = styles()
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.focused is not jump and jump.has_class("-hidden"), what="the jump box closed")
            await settle(pilot)
            hidden = styles()
            app.stylesheet.update_nodes = real  # type: ignore[method-assign]
            assert hidden == (real([jump], animate=False), styles())[1], round_
            jump.remove_class("-hidden")
            jump.focus()
            await settle(pilot)
            jump.set_class(True, "-no-match")
            await settle(pilot)
            assert shown == (real([jump], animate=False), styles())[1], round_
            jump.blur()
            jump.set_class(False, "-no-match")
            jump.add_class("-hidden")
            app.query_one("#tree").focus()
            await settle(pilot)
            if round_ == 2:
                app.stylesheet.update_nodes = counted  # type: ignore[method-assign]
        app.stylesheet.update_nodes = real  # type: ignore[method-assign]
        assert restyles == 0, f"the jump box went through the stylesheet {restyles}× for states it had seen"
