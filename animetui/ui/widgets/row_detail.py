"""The highlighted row's full text, under a table whose cells are cut with an ellipsis.

Tables cut their long cells (titles, paths, prompts) to the column's width with ``…``; this bar
shows the highlighted row whole — wrapped over up to :attr:`RowDetail.MAX_LINES` lines, and only
what does not fit even there ends in ``…``. Contents are ``rich.text.Text`` made of safe strings
(``animetui.text.safe`` via ``ui.format.one_line``); the bar hides itself when it has nothing.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class RowDetail(Static):
    DEFAULT_CSS = """
    RowDetail { height: auto; max-height: 2; background: $panel; padding: 0 1; }
    RowDetail.-empty { display: none; }
    """
    MAX_LINES = 2

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("", id=id, classes=classes)
        self.detail: Text = Text()
        self.add_class("-empty")

    def show(self, text: Text | None) -> None:
        """Show ``text`` (``None`` or empty: hide the bar)."""
        text = text if text is not None else Text()
        if text == self.detail:
            return
        self.detail = text
        self.set_class(not text.plain, "-empty")
        self.refresh(layout=True)

    @property
    def plain(self) -> str:
        return self.detail.plain

    def render(self) -> Text:
        width = self.content_size.width
        text = self.detail.copy()
        if width <= 0 or not text.plain:
            return text
        lines = text.wrap(self.app.console, width, overflow="fold")
        if len(lines) <= self.MAX_LINES:
            return Text("\n").join(lines)
        kept = list(lines)[: self.MAX_LINES]
        last = kept[-1]
        last.truncate(max(1, width - 1))
        last.rstrip()
        last.append("…")
        return Text("\n").join(kept)
