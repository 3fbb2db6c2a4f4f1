"""A layout no longer redraws the scrollbar of every scrolling list whose size did not change.

After each layout Textual tells every widget its size (``_size_updated``). ``ScrollView`` (the
base of ``DataTable``, ``Tree``, ``OptionList``) compares the virtual size it is given with its
own, but the compositor gives a scroll view its viewport there, not its content's size: the two
differ whenever there is something to scroll, so every layout updated and repainted each shown
scrollbar — the rankings table's 17-line scrollbar (~2 ms at 160x48 on a slow core) when the
Files jump box opens or closes, and the other tables' when a lookup starts
(``tests/benchmarks/bench_stall.py --explain``: ``refresh(whole) ScrollBar by _scroll_update <-
scroll_view.py:_size_updated``, ~60 per session).

:func:`install` skips that update when nothing it depends on changed since the last one: the
size, the container size, the real virtual size, the gutter, the overflow and scrollbar styles
and which scrollbars show. Anything else goes to Textual's own code, which then runs exactly as
before. Textual is pinned exactly (pyproject.toml); on another version this does nothing.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.scroll_view import ScrollView

from animetui.ui.partial_paint import textual_version

TEXTUAL_VERSION = "8.2.8"  # the version whose ScrollView._size_updated this was written against

_installed = False
TEXTUAL_SIZE_UPDATED = ScrollView._size_updated


def _state(view: ScrollView, size: Size, container_size: Size) -> tuple[object, ...]:
    """Everything ``ScrollView._size_updated`` (and the ``_scroll_update`` it runs) depends on."""
    styles = view.styles
    return (
        size,
        container_size,
        view._size,  # noqa: SLF001 - what Textual compares the new size with
        view._container_size,  # noqa: SLF001
        view.virtual_size,
        styles.gutter,
        styles.overflow_x,
        styles.overflow_y,
        styles.scrollbar_size_vertical,
        styles.scrollbar_size_horizontal,
        styles.scrollbar_gutter,
        view.show_vertical_scrollbar,
        view.show_horizontal_scrollbar,
    )


def _size_updated(self: ScrollView, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
    """``ScrollView._size_updated``, without the scrollbar update when nothing changed since the last one."""
    if getattr(self, "_animetui_sized", None) == _state(self, size, container_size):
        return self._container_size != container_size  # noqa: SLF001 - what Textual returns when the size is unchanged
    result = TEXTUAL_SIZE_UPDATED(self, size, virtual_size, container_size, layout)
    self._animetui_sized = _state(self, size, container_size)  # type: ignore[attr-defined]
    return result


def installed() -> bool:
    return _installed


def install() -> bool:
    """Use :func:`_size_updated` for every scroll view (once; only on the Textual it was written for)."""
    global _installed
    if _installed:
        return True
    if textual_version() != TEXTUAL_VERSION:  # not textual.__version__: see textual_version
        return False
    ScrollView._size_updated = _size_updated  # type: ignore[method-assign]
    _installed = True
    return True
