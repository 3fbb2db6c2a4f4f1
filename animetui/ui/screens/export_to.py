"""Where to write an export (History ``e``, Batch ``e``): a folder box, prefilled with the last folder
used in this session or the downloads folder. Enter writes there (a missing folder is created),
Esc cancels. A path that is a file, or cannot be created, is said in the dialog; nothing is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from animetui.text import safe
from animetui.ui.widgets.safe_input import SafeInput


def resolve_folder(text: str, *, base: Path) -> Path | str:
    """The folder ``text`` names (``~`` expanded, relative to ``base``), created if missing; or why not."""
    raw = text.strip()
    if not raw:
        return "Type a folder to write the export to."
    folder = Path(raw).expanduser()
    if not folder.is_absolute():
        folder = base / folder
    if folder.exists() and not folder.is_dir():
        return f"{safe(folder)} is a file, not a folder."
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"Cannot create {safe(folder)}: {safe(exc.strerror or exc)}"
    return folder


class ExportToScreen(ModalScreen[Path | None]):
    BINDINGS = [
        Binding("escape", "close", "Cancel", id="animetui.close"),
        Binding("ctrl+s", "submit", "Export", id="animetui.submit"),
    ]

    def __init__(self, what: str, default: Path) -> None:
        super().__init__(classes="dialog-screen")
        self.what = what
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog", classes="dialog") as dialog:
            dialog.border_title = Text(f"Export {safe(self.what, limit=60)}")
            yield Static(Text("Folder for the JSON and CSV files (created if missing):"), id="export-label")
            yield SafeInput(str(self.default), id="export-folder", compact=True)
            yield Static("", id="export-error")
            with Horizontal(classes="buttons"):
                yield Button("Export (Enter)", variant="primary", id="export", compact=True)
                yield Button("Cancel (Esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        box = self.query_one("#export-folder", Input)
        box.focus()
        box.cursor_position = len(box.value)

    @on(Input.Submitted, "#export-folder")
    def _submitted(self) -> None:
        self.action_submit()

    def action_submit(self) -> None:
        base = self.default if self.default.is_dir() else Path.home()
        found = resolve_folder(self.query_one("#export-folder", Input).value, base=base)
        if isinstance(found, str):
            self.query_one("#export-error", Static).update(Text(found, style="bold red"))
            return
        setattr(self.app, "last_export_dir", found)
        self.dismiss(found)

    def action_close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#export")
    def _export(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


def ask_folder(screen: Any, what: str, default: Path, then: Any) -> None:
    """Ask where to export; ``then(folder)`` (the screen's export worker) when the user says where."""
    start = getattr(screen.app, "last_export_dir", None) or default

    def chosen(folder: Path | None) -> None:
        if folder is not None:
            then(folder)

    screen.app.push_screen(ExportToScreen(what, Path(start)), chosen)
