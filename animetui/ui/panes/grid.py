"""The main screen's pane grid, laid out from the pane registry (:mod:`animetui.ui.panes.registry`).

Narrow (< :data:`WIDE` columns): the ``main`` panes share the top row (3/5 of the height), the
``side`` panes the row below; the columns take the ``main`` panes' widths (Files | Results is
2:3). Wide: each ``main`` pane is a full-height column and the ``side`` panes are stacked in one
more column. A hidden pane gives its room to its row/column neighbours; the last one stays.
"""

from __future__ import annotations

from textual.containers import Container
from textual.widget import Widget

from animetui.ui.panes.registry import PANES, PaneSpec

WIDE = 120  # columns from which the panes sit in columns side by side
SIDE_COLUMN = "2fr"  # the wide layout's column of stacked side panes
NARROW_ROWS = ("3fr", "2fr")  # main row, side row

Spans = dict[str, tuple[int, int]]  # pane name -> (rows, columns) it spans


def layout_for(width: int, hidden: set[str], specs: tuple[PaneSpec, ...] = PANES) -> tuple[tuple[int, int], str, str, Spans]:
    """(grid size as (columns, rows), grid-columns, grid-rows, spans) of the visible panes."""
    visible = [spec for spec in specs if spec.name not in hidden]
    primary = [spec for spec in visible if spec.group == "main"]
    secondary = [spec for spec in visible if spec.group == "side"]
    spans: Spans = {spec.name: (1, 1) for spec in visible}
    if width >= WIDE:
        if primary and secondary:
            columns = [f"{spec.width}fr" for spec in primary] + [SIDE_COLUMN]
            rows = len(secondary)
            for spec in primary:
                spans[spec.name] = (rows, 1)
        else:
            columns = [f"{spec.width}fr" for spec in primary or secondary]
            rows = 1
        return (len(columns), rows), " ".join(columns), " ".join(["1fr"] * rows), spans
    lines = [line for line in (primary, secondary) if line]
    count = max((len(line) for line in lines), default=1)
    for line in lines:  # a shorter row's last pane takes the columns left over
        if len(line) < count:
            spans[line[-1].name] = (1, count - len(line) + 1)
    shares = [f"{spec.width}fr" for spec in specs if spec.group == "main"]
    grid_columns = " ".join((shares + ["1fr"] * count)[:count]) if count > 1 else "1fr"
    grid_rows = " ".join(NARROW_ROWS) if len(lines) == 2 else "1fr"
    return (count, len(lines)), grid_columns, grid_rows, spans


class PaneGrid(Container):
    """The panes of :data:`~animetui.ui.panes.registry.PANES`, laid out by :func:`layout_for`."""

    def __init__(self, *children: Widget, id: str | None = None, width: int = 0) -> None:
        super().__init__(*children, id=id)
        self.hidden: set[str] = set()
        self.current_layout: tuple[object, ...] | None = None
        if width:  # styles set before mounting cost no extra layout pass
            self.relayout(width, panes={pane.id: pane for pane in children if pane.id})

    def on_resize(self) -> None:
        self.relayout()

    def toggle(self, name: str) -> bool:
        """Hide or show pane ``name``; returns True if it is now shown. The last pane stays."""
        if name in self.hidden:
            self.hidden.discard(name)
        elif len(self.hidden) < len(PANES) - 1:
            self.hidden.add(name)
        self.relayout()
        return name not in self.hidden

    def show(self, name: str) -> None:
        if name in self.hidden:
            self.toggle(name)

    def relayout(self, width: int | None = None, *, force: bool = False, panes: dict[str, Widget] | None = None) -> None:
        width = self.size.width if width is None else width
        names = {spec.name for spec in PANES}
        if panes is None:
            panes = {child.id: child for child in self.children if child.id in names}
        size, grid_columns, grid_rows, spans = layout_for(width, self.hidden)
        layout = (size, grid_columns, grid_rows, tuple(sorted(spans.items())))
        if not force and layout == self.current_layout and all(p.display == (n in spans) for n, p in panes.items()):
            return
        self.current_layout = layout
        styles = self.styles
        styles.grid_size_columns, styles.grid_size_rows = size
        styles.grid_columns = grid_columns
        styles.grid_rows = grid_rows
        for name, pane in panes.items():
            pane.display = name in spans
            rows_span, columns_span = spans.get(name, (1, 1))
            pane.styles.row_span = rows_span
            pane.styles.column_span = columns_span

    def place(self, pane: Widget, width: int | None = None) -> None:
        """Give a pane about to be mounted its display and spans in the current layout. The other
        panes and the grid keep their styles: setting them again repainted the whole grid."""
        *_, spans = layout_for(self.size.width if width is None else width, self.hidden)
        pane.display = pane.id in spans
        pane.styles.row_span, pane.styles.column_span = spans.get(pane.id or "", (1, 1))
