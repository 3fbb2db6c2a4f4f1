"""animetui.ui.scroll_sizes: a layout that changed nothing leaves a scrolling widget's scrollbar alone."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.scroll_view import ScrollView
from textual.widgets import OptionList

from animetui.ui import scroll_sizes


class _ListApp(App[None]):
    CSS = "OptionList { height: 6; }"

    def compose(self) -> ComposeResult:
        yield OptionList(id="list")


def test_installed_on_the_pinned_textual():
    import textual

    assert textual.__version__ == scroll_sizes.TEXTUAL_VERSION, "Textual changed: check scroll_sizes against ScrollView"
    scroll_sizes.install()
    assert scroll_sizes.installed()
    assert ScrollView._size_updated is scroll_sizes._size_updated  # noqa: SLF001


async def test_scrollbar_follows_the_content_and_a_needless_layout_skips_it():
    scroll_sizes.install()
    app = _ListApp()
    async with app.run_test(size=(40, 12)) as pilot:
        options = app.query_one("#list", OptionList)
        options.add_options([f"option {n}" for n in range(30)])
        await pilot.pause()
        assert options.show_vertical_scrollbar
        scrollbar = options.vertical_scrollbar
        assert scrollbar.window_virtual_size == 30 and scrollbar.window_size == 4  # 6 rows minus the border

        repaints = []
        original = type(scrollbar).refresh

        def counting(widget, *args, **kwargs):  # noqa: ANN001, ANN202
            if widget is scrollbar:
                repaints.append(args)
            return original(widget, *args, **kwargs)

        type(scrollbar).refresh = counting  # type: ignore[method-assign]
        try:
            app.screen.refresh(layout=True)  # a layout that changes nothing for the list
            await pilot.pause()
            assert repaints == []
        finally:
            type(scrollbar).refresh = original  # type: ignore[method-assign]

        options.clear_options()
        options.add_options(["one", "two"])
        await pilot.pause()
        await pilot.pause()
        assert not options.show_vertical_scrollbar  # the content fits again: the scrollbar goes

        options.add_options([f"more {n}" for n in range(20)])
        await pilot.pause()
        await pilot.pause()
        assert options.show_vertical_scrollbar and options.vertical_scrollbar.window_virtual_size == 22
        options.scroll_end(animate=False)
        await pilot.pause()
        assert options.scroll_y == options.max_scroll_y > 0

        await pilot.resize_terminal(40, 30)
        app.query_one("#list").styles.height = 30
        await pilot.pause()
        await pilot.pause()
        assert not options.show_vertical_scrollbar and options.scroll_y == 0  # room for all: back to the top
