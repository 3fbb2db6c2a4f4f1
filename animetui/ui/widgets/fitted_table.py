"""A DataTable whose long text column takes exactly the room left, cut with an ellipsis.

Textual's DataTable sizes every column to its widest cell; the long title column then runs past
the pane's edge and is cut mid-word with no sign of it (``KONOSUBA -God's bles``), and ``End``
scrolls the table sideways, leaving fragments without their row numbers. Here the ``flex``
column gets the pane's width minus the other columns (re-worked out on resize and after rows are
added), so nothing scrolls sideways and a cell that does not fit ends in ``…`` (cells must be
``rich.text.Text`` with ``overflow="ellipsis"``; :func:`ellipsis_text` makes one).

The vertical scrollbar's gutter is always reserved (``scrollbar-gutter: stable``), so the fit is
the same whether or not the rows overflow at the moment it runs.

Uses DataTable internals to apply a new width (``_require_update_dimensions``, ``_clear_caches``),
as Textual 8.2.8 has no public call for it; textual is pinned exactly.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey


def ellipsis_text(text: str, style: str = "") -> Text:
    return Text(text, style=style, no_wrap=True, overflow="ellipsis")


class FittedTable(DataTable[Any]):
    #: the vertical scrollbar's columns are always kept (``stable``): the room left for the flex
    #: column must not depend on whether the rows overflow *yet* — a fit made before the scrollbar
    #: appeared (or after it went) came out a column off, depending on timing
    DEFAULT_CSS = """
    FittedTable { scrollbar-gutter: stable; }
    """

    def __init__(self, *args: Any, flex: str, min_flex: int = 6, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._flex = ColumnKey(flex)
        self._min_flex = min_flex
        self._fit_pending = False

    def add_row(self, *cells: Any, **kwargs: Any) -> Any:
        key = super().add_row(*cells, **kwargs)
        self._schedule_fit()
        return key

    def _schedule_fit(self) -> None:
        if not self._fit_pending:
            self._fit_pending = True
            self.call_after_refresh(self.fit)

    def on_resize(self) -> None:
        self.fit()

    def fit(self) -> None:
        """Give the flex column the width the others leave."""
        self._fit_pending = False
        column = self.columns.get(self._flex)
        room = self.scrollable_content_region.width
        if column is None or room <= 0:
            return
        others = sum(c.get_render_width(self) for key, c in self.columns.items() if key != self._flex)
        width = max(self._min_flex, room - others - 2 * self.cell_padding)
        if column.width == width and not column.auto_width:
            return
        column.auto_width = False
        column.width = width
        self._require_update_dimensions = True
        self._clear_caches()
        self.refresh(layout=True)
