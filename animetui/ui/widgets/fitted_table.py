"""A DataTable whose long text column takes exactly the room left, cut with an ellipsis.

Textual's DataTable sizes every column to its widest cell; the long title column then runs past
the pane's edge and is cut mid-word with no sign of it (``KONOSUBA -God's bles``), and ``End``
scrolls the table sideways, leaving fragments without their row numbers. Here the ``flex``
column gets the pane's width minus the other columns (re-worked out on resize and after rows are
added), so nothing scrolls sideways and a cell that does not fit ends in ``…`` (cells must be
``rich.text.Text`` with ``overflow="ellipsis"``; :func:`ellipsis_text` makes one).

Columns by priority (``drop``): when the flex column would get less than ``min_flex`` cells, the
columns named in ``drop`` give way in that order (the least useful first) until it fits, and come
back when the pane widens. The table keeps every row's cells, so a dropped column's cells are
still there (:meth:`row_cells`) and return with it; the line under a table shows the row in full.

The vertical scrollbar's gutter is always reserved (``scrollbar-gutter: stable``), so the fit is
the same whether or not the rows overflow at the moment it runs.

Uses DataTable internals to apply a new width (``_require_update_dimensions``, ``_clear_caches``),
as Textual 8.2.8 has no public call for it; textual is pinned exactly.
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.widget import Widget
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from animetui.ui.widgets.loading import LineLoadingIndicator
from animetui.ui.widgets.restyle import RestyleMemo


def ellipsis_text(text: str, style: str = "") -> Text:
    return Text(text, style=style, no_wrap=True, overflow="ellipsis")


class FittedTable(RestyleMemo, DataTable[Any]):
    #: the vertical scrollbar's columns are always kept (``stable``): the room left for the flex
    #: column must not depend on whether the rows overflow *yet* — a fit made before the scrollbar
    #: appeared (or after it went) came out a column off, depending on timing
    DEFAULT_CSS = """
    FittedTable { scrollbar-gutter: stable; }
    """

    def __init__(self, *args: Any, flex: str, min_flex: int = 6, drop: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._flex = ColumnKey(flex)
        self._min_flex = min_flex
        self._fit_pending = False
        #: the columns that give way, least useful first (empty: every column always shows)
        self._drop = drop
        #: every column as added (key, label, fixed width or None) and every row's cells by column
        self._specs: list[tuple[str, Any, int | None]] = []
        self._rows: list[tuple[str | None, dict[str, Any]]] = []
        self._dropped: tuple[str, ...] = ()

    def get_loading_widget(self) -> Widget:
        return LineLoadingIndicator()  # animates by repainting one line, not the table's height

    # ------------------------------------------------------------------ what the table holds
    def add_column(self, label: Any, *, width: int | None = None, key: str | None = None, default: Any = None) -> ColumnKey:
        self._specs.append((key or str(label), label, width))
        return super().add_column(label, width=width, key=key, default=default)

    def add_row(self, *cells: Any, **kwargs: Any) -> Any:
        if self._drop:
            shown = [spec[0] for spec in self._specs if spec[0] not in self._dropped]
            if len(cells) == len(self._specs):  # all the cells: keep them, add the shown ones
                by_key = {spec[0]: cell for spec, cell in zip(self._specs, cells)}
                self._rows.append((kwargs.get("key"), by_key))
                cells = tuple(by_key[k] for k in shown)
        key = super().add_row(*cells, **kwargs)
        self._schedule_fit()
        return key

    def clear(self, columns: bool = False) -> "FittedTable":
        self._rows.clear()
        if columns:
            self._specs.clear()
            self._dropped = ()
        super().clear(columns=columns)
        return self

    def row_cells(self, row: int) -> dict[str, Any]:
        """Row ``row``'s cells by column key, the dropped columns' included."""
        if self._drop:
            return dict(self._rows[row][1])
        return dict(zip((str(k.value) for k in self.columns), self.get_row_at(row)))

    @property
    def dropped(self) -> tuple[str, ...]:
        """The columns given way at the current width."""
        return self._dropped

    # ------------------------------------------------------------------ the fit
    def _schedule_fit(self) -> None:
        if not self._fit_pending:
            self._fit_pending = True
            self.call_after_refresh(self.fit)

    def on_resize(self) -> None:
        self.fit()

    def _natural_width(self, key: str, label: Any, width: int | None) -> int:
        """A column's width with padding, worked out from its cells (as DataTable does)."""
        if width is not None:
            return width + 2 * self.cell_padding
        widest = _cell_width(label)
        for _row_key, cells in self._rows:
            widest = max(widest, _cell_width(cells.get(key, "")))
        return widest + 2 * self.cell_padding

    def _choose_dropped(self, room: int) -> tuple[str, ...]:
        flex = str(self._flex.value)
        widths = {key: self._natural_width(key, label, width) for key, label, width in self._specs if key != flex}
        dropped: list[str] = []
        others = sum(widths.values())
        for key in self._drop:
            if room - others - 2 * self.cell_padding >= self._min_flex:
                break
            if key in widths:
                dropped.append(key)
                others -= widths[key]
        return tuple(dropped)

    def _rebuild(self, dropped: tuple[str, ...]) -> None:
        """Show the columns not in ``dropped`` (the cursor stays on its row)."""
        row, rows, specs = self.cursor_row, list(self._rows), list(self._specs)
        DataTable.clear(self, columns=True)
        self._dropped = dropped
        shown = [spec for spec in specs if spec[0] not in dropped]
        for key, label, width in shown:
            DataTable.add_column(self, label, width=width, key=key)
        for row_key, cells in rows:
            DataTable.add_row(self, *(cells.get(key, "") for key, _label, _width in shown), key=row_key)
        if rows:
            self.move_cursor(row=min(max(row, 0), len(rows) - 1), animate=False)

    def fit(self) -> None:
        """Drop the columns that must give way, then give the flex column the width the others leave."""
        self._fit_pending = False
        room = self.scrollable_content_region.width
        if room <= 0:
            return
        if self._drop:
            dropped = self._choose_dropped(room)
            if dropped != self._dropped:
                self._rebuild(dropped)
                self._schedule_fit()  # the new columns' widths are measured as the rows are drawn
                return
        column = self.columns.get(self._flex)
        if column is None:
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


def _cell_width(cell: Any) -> int:
    if isinstance(cell, Text):
        return max((cell_len(line) for line in cell.plain.splitlines()), default=0)
    return cell_len(str(cell))
