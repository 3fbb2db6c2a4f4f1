"""A layout that changed nothing for a scrolling widget does not repaint its scrollbar.

After every layout of the screen Textual calls ``_size_updated`` on every widget it placed. A
``ScrollView`` (``DataTable``, ``OptionList``, ``Tree``…) compares the virtual size the compositor
passes — the room it was given — with its own, the size of its content; the two differ whenever
the content is bigger than the room, so every layout runs ``_scroll_update`` for each table, list
and tree on the screen: the scrollbars' visibility worked out again, the scroll offsets validated,
and the vertical scrollbar repainted whole. At 160×48 that was 0.5-3 ms per layout for five such
widgets plus 1-3 ms repainting the detections list's scrollbar (17 lines), in each of the 3-4
layouts a lookup makes (mounting and removing the loading indicator, the list's new content) and
each zoom into a box (``tests/benchmarks/bench_stall.py --explain``: "refresh(whole) ScrollBar by
_scroll_update <- _size_updated").

:func:`install` wraps ``ScrollView._size_updated``: when the widget's size, its content's size,
the room it was given, the container size and the styles that decide the scrollbars are all what
they were at its last update, the update is skipped (it would set the same values, and the
scrollbar's position and sizes are reactives that repaint it when they do change); it returns
what Textual's method would then. Every other case is Textual's own code.

Textual is pinned exactly (pyproject.toml); on another version this does nothing.
"""

from __future__ import annotations

from typing import Any

import textual
from textual.geometry import Size
from textual.scroll_view import ScrollView

TEXTUAL_VERSION = "8.2.8"  # the version whose ScrollView._size_updated this was written against
_ATTR = "_animetui_sizes"
_installed = False

TEXTUAL_SIZE_UPDATED = ScrollView._size_updated  # Textual's own (the tests compare with it)


def installed() -> bool:
    return _installed


def _state(widget: ScrollView, size: Size, virtual_size: Size, container_size: Size) -> tuple[Any, ...]:
    styles = widget.styles
    return (
        size,
        virtual_size,
        container_size,
        widget.virtual_size,
        widget._container_size,  # noqa: SLF001 - what the update sets
        styles.overflow_x,
        styles.overflow_y,
        styles.scrollbar_size_vertical,
        styles.scrollbar_size_horizontal,
        styles.scrollbar_gutter,
        widget.show_vertical_scrollbar,
        widget.show_horizontal_scrollbar,
    )


def _size_updated(self: ScrollView, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
    before = _state(self, size, virtual_size, container_size)
    if getattr(self, _ATTR, None) == before and self._size == size:  # noqa: SLF001
        return self._container_size != container_size  # noqa: SLF001 - as Textual's would return
    result = TEXTUAL_SIZE_UPDATED(self, size, virtual_size, container_size, layout)
    setattr(self, _ATTR, _state(self, size, virtual_size, container_size))
    return result


def install() -> None:
    global _installed
    if _installed or textual.__version__ != TEXTUAL_VERSION:
        return
    _installed = True
    _size_updated.__doc__ = TEXTUAL_SIZE_UPDATED.__doc__
    ScrollView._size_updated = _size_updated  # type: ignore[method-assign]
