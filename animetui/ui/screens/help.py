"""``?``: every key, grouped by where it works, read from the one table in ``animetui.ui.bindings``.

Type to filter (by key, what it does, or where): the box at the top has the focus; ↑ ↓ PgUp PgDn
scroll the list; Esc clears the filter, then closes.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from animetui.text import safe
from animetui.ui.bindings import help_rows
from animetui.ui.widgets.safe_input import SafeInput

EXTRA = (
    ("Files pane", "Enter", "Open/close a folder; on an image: run both lookups"),
    ("Files pane", "↑ ↓ PgUp PgDn", "Move through the tree (the highlighted image is previewed)"),
    ("Everywhere", "Tab / Shift+Tab", "Move the focus between widgets"),
    ("Everywhere", "Ctrl+P", "Command palette: every action by name"),
    ("Everywhere", "Esc", "Restore a maximised pane; close a dialog"),
)


def _matches(query: str, *texts: str) -> bool:
    words = query.lower().split()
    haystack = " ".join(texts).lower()
    return all(word in haystack for word in words)


def help_text(query: str = "") -> Table:
    """The key list; with ``query``, only the rows whose key, text or section hold every word of it."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(justify="right", style="bold", no_wrap=True)
    grid.add_column()
    for section, actions in help_rows():
        rows = [(a.key_display, a.help) for a in actions if _matches(query, a.key_display, a.help, a.title, a.id, section)]
        rows += [(keys, what) for sec, keys, what in EXTRA if sec == section and _matches(query, keys, what, section)]
        if not rows:
            continue
        grid.add_row("", "")
        grid.add_row("", Text(section, style="bold underline"))
        for keys, what in rows:
            grid.add_row(keys, what)
    if not grid.rows:
        grid.add_row("", Text(f"No key matches {safe(query, limit=60)!r}.", style="italic"))
    return grid


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "close", "Close", id="animetui.close-help"),
        Binding("question_mark", "close", "Close", show=False, id="animetui.close-help.1"),
        Binding("up", "scroll(-1)", show=False),
        Binding("down", "scroll(1)", show=False),
        Binding("pageup", "scroll(-10)", show=False),
        Binding("pagedown", "scroll(10)", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen")

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog") as dialog:
            dialog.border_title = "Keys · type to filter · Esc to close"
            yield SafeInput(placeholder="Filter: a key, a word (e.g. copy, jobs, ctrl)", id="help-filter", compact=True)
            with VerticalScroll(id="help-scroll", can_focus=False):
                yield Static(help_text(), id="help-body")

    def on_mount(self) -> None:
        self.query_one("#help-filter", Input).focus()

    @on(Input.Changed, "#help-filter")
    def _filter(self, event: Input.Changed) -> None:
        self.query_one("#help-body", Static).update(help_text(event.value))
        self.query_one("#help-scroll", VerticalScroll).scroll_home(animate=False)

    def action_scroll(self, lines: int) -> None:
        scroll = self.query_one("#help-scroll", VerticalScroll)
        scroll.scroll_relative(y=lines, animate=False)

    def action_close(self) -> None:
        box = self.query_one("#help-filter", Input)
        if box.value:
            box.value = ""
            return
        self.dismiss(None)
