"""``?``: every key, grouped by where it works, read from the one table in ``animetui.ui.bindings``."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from animetui.ui.bindings import help_rows

EXTRA = (
    ("Files pane", "Enter", "Open/close a folder; on an image: run both lookups"),
    ("Files pane", "↑ ↓ PgUp PgDn", "Move through the tree (the highlighted image is previewed)"),
    ("Everywhere", "Tab / Shift+Tab", "Move the focus between widgets"),
    ("Everywhere", "Ctrl+P", "Command palette: every action by name"),
    ("Everywhere", "Esc", "Restore a maximised pane; close a dialog"),
)


def help_text() -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(justify="right", style="bold", no_wrap=True)
    grid.add_column()
    for section, actions in help_rows():
        extras = [e for e in EXTRA if e[0] == section]
        if not actions and not extras:
            continue
        grid.add_row("", "")
        grid.add_row("", Text(section, style="bold underline"))
        for action in actions:
            grid.add_row(action.key_display, action.help)
        for _, keys, what in extras:
            grid.add_row(keys, what)
    return grid


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark", "close", "Close", id="animetui.close-help"),
    ]

    def __init__(self) -> None:
        super().__init__(classes="dialog-screen")

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog") as dialog:
            dialog.border_title = "Keys · Esc to close"
            with VerticalScroll(id="help-scroll"):
                yield Static(help_text(), id="help-body")

    def on_mount(self) -> None:
        self.query_one("#help-scroll").focus()

    def action_close(self) -> None:
        self.dismiss(None)
