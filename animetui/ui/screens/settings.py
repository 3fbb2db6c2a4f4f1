"""Settings (``,`` or the palette): every config key, its value, where it came from; edit and save.

One row per key of :data:`animetui.config.SCHEMA` — value and source (``default``, ``file`` or
``env``) — with the highlighted key's explanation, allowed values and environment variable below
the table, and the config file's path on top.

* Enter (or ``e``) edits the highlighted key in a one-line field; Enter there saves, Esc cancels.
  A boolean is simply toggled and saved. The value goes through :meth:`Settings.set` (the
  schema's validation) and :meth:`Settings.save` (re-read under a lock, tomlkit, atomic, 0600, unknown keys in the file
  kept); a refused value is explained on the line under the field — never a traceback.
* ``d`` / Del resets the key to its default (removes it from the file).
* Secrets are masked (``ank_…9f3c``); ``r`` reveals them until pressed again or the screen
  closes. Editing a secret starts from an empty, masked field: the old value is never put on
  screen; an empty entry removes it.
* A value from the environment wins over the file: saving such a key says so.

The screen writes the file itself and then calls ``on_saved(name)`` so the app can apply the new
value to the running providers (see :mod:`animetui.ui.flows.accounts`).
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.coordinate import Coordinate
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label, Static

from animetui.config import SCHEMA, SCHEMA_BY_NAME, Key, Settings
from animetui.errors import ConfigError
from animetui.ui.format import display_path, shown
from animetui.ui.widgets.safe_input import SafeInput

SOURCE_TEXT = {"default": "default", "file": "file", "env": "env"}


def describe_key(key: Key) -> str:
    """The help line under the table: the doc, what is allowed, the environment variable."""
    parts = [key.doc]
    if key.choices and not all(choice in key.doc for choice in key.choices):
        parts.append("one of " + ", ".join(key.choices))
    elif key.type is bool:
        parts.append("true or false (Enter toggles)")
    if key.minimum is not None and key.maximum is not None:
        parts.append(f"{key.minimum:g} to {key.maximum:g}")
    if key.env:
        parts.append(f"environment: {key.env} (wins over the file)")
    if key.secret:
        parts.append("secret: masked, r reveals")
    return " · ".join(parts)


class SettingsScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "close", "Close", id="animetui.close"),
        Binding("r", "reveal", "Reveal secrets", id="animetui.settings-reveal"),
        Binding("e", "edit", "Edit", id="animetui.settings-edit"),
        Binding("d,delete", "reset", "Default", id="animetui.settings-reset"),
        Binding("u", "undo", "Undo", id="animetui.settings-undo"),
    ]

    def __init__(self, settings: Settings, *, demo: bool = False, on_saved: Callable[[str], None] | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.settings = settings
        self.demo = demo
        self.on_saved = on_saved
        self.revealed = False
        self.editing: str | None = None
        self._undo: tuple[str, object] | None = None  # (name, the value the file had) before the last d

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        with Vertical(id="settings-dialog", classes="dialog") as dialog:
            dialog.border_title = "Settings · Esc to close"
            yield Static(self._path_text(), id="settings-path")
            yield DataTable(id="settings-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="settings-doc")
            with Horizontal(id="settings-edit-row"):
                yield Label("", id="settings-edit-label")
                yield SafeInput(id="settings-input", compact=True)
            yield Static("", id="settings-message")
            yield Static(
                Text("Enter edit · d default · r reveal secrets · Esc close", style="italic"),
                id="settings-keys",
            )

    def _path_text(self) -> Text:
        text = Text("Config file: ", style="bold")
        text.append(display_path(self.settings.path))
        if not self.settings.path.exists():
            text.append("  (not created yet: the first change creates it, mode 0600)", style="italic")
        if self.demo:
            text.append("\nDemo mode: where no key is set, the simulators' demo keys are used.", style="italic")
        return text

    def on_mount(self) -> None:
        table = self.table
        table.add_column("Setting", key="name")
        table.add_column("Value", key="value")
        table.add_column("From", key="source")
        for key in SCHEMA:
            table.add_row(*self._cells(key.name), key=key.name)
        self.query_one("#settings-edit-row").display = False
        table.focus()
        self._show_doc()

    @property
    def table(self) -> DataTable:
        return self.query_one("#settings-table", DataTable)

    def _cells(self, name: str) -> tuple[Text, Text, Text]:
        source = self.settings.source(name)
        value = self.settings.display_value(name, reveal=self.revealed)
        key = SCHEMA_BY_NAME[name]
        value_style = "italic" if key.secret and not self.revealed else ""
        source_text = SOURCE_TEXT.get(source, source)
        if source == "env" and key.env:
            source_text = f"env {key.env}"
        return (
            Text(name),
            Text(shown(value) or '""', style=value_style),
            Text(source_text, style="dim" if source == "default" else "bold"),
        )

    def _refresh_row(self, name: str) -> None:
        _name, value, source = self._cells(name)
        self.table.update_cell(name, "value", value, update_width=True)
        self.table.update_cell(name, "source", source, update_width=True)

    def _refresh_all(self) -> None:
        for key in SCHEMA:
            self._refresh_row(key.name)

    @property
    def highlighted(self) -> str | None:
        table = self.table
        if table.row_count == 0:
            return None
        row_key, _ = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0))
        return str(row_key.value)

    @on(DataTable.RowHighlighted, "#settings-table")
    def _highlighted(self) -> None:
        self._show_doc()

    def _show_doc(self) -> None:
        name = self.highlighted
        doc = describe_key(SCHEMA_BY_NAME[name]) if name else ""
        self.query_one("#settings-doc", Static).update(Text(doc, style="italic"))

    def _say(self, message: str, *, error: bool = False) -> None:
        theme = self.app.theme_variables
        style = f"bold {theme.get('error', 'red')}" if error else theme.get("success", "green")
        if error:
            message = message.removeprefix("value: ")  # coerce()'s "where" adds nothing on this screen
        widget = self.query_one("#settings-message", Static)
        widget.update(Text(shown(message, line=False), style=style))
        widget.set_class(error, "-error")

    # ------------------------------------------------------------------ actions
    def action_reveal(self) -> None:
        self.revealed = not self.revealed
        self._refresh_all()
        self._say("Secrets shown — press r to hide them." if self.revealed else "Secrets hidden.")

    @on(DataTable.RowSelected, "#settings-table")
    def _selected(self) -> None:
        self.action_edit()

    def action_edit(self) -> None:
        name = self.highlighted
        if name is None:
            return
        key = SCHEMA_BY_NAME[name]
        if key.type is bool:
            self._save(name, not bool(self.settings[name]))
            return
        self.editing = name
        field = self.query_one("#settings-input", Input)
        field.password = key.secret
        if key.secret:
            field.value = ""
            field.placeholder = "type or paste the new value (hidden); empty removes it"
        else:
            field.value = self.settings.display_value(name)
            field.placeholder = ", ".join(key.choices) if key.choices else ""
        field.cursor_position = len(field.value)
        self.query_one("#settings-edit-label", Label).update(Text(f"{name} = ", style="bold"))
        self.query_one("#settings-edit-row").display = True
        self._say("Enter saves · Esc cancels")
        field.focus()
        row = self.table.cursor_row  # the field takes room from the table: keep the row in view
        self.call_after_refresh(lambda: self.table.move_cursor(row=row, scroll=True))

    @on(Input.Submitted, "#settings-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        name = self.editing
        if name is None:
            return
        key = SCHEMA_BY_NAME[name]
        value: object = event.value if key.secret else event.value.strip()
        if key.secret and not str(value).strip():
            if self._reset(name):
                self._stop_editing()
            return
        if self._save(name, str(value).strip() if key.secret else value):
            self._stop_editing()

    def _stop_editing(self) -> None:
        self.editing = None
        field = self.query_one("#settings-input", Input)
        field.value = ""  # a typed secret does not stay in the widget
        self.query_one("#settings-edit-row").display = False
        self.table.focus()

    def _save(self, name: str, value: object) -> bool:
        try:
            self.settings.set(name, value)
            path = self.settings.save()
        except ConfigError as exc:
            self._say(str(exc), error=True)
            return False
        self._refresh_row(name)
        shown = self.settings.display_value(name, reveal=False)
        message = f"Saved {name} = {shown} to {display_path(path)}."
        if self.settings.source(name) == "env":
            message += f" The environment variable {SCHEMA_BY_NAME[name].env} still overrides it."
        self._say(message)
        self._saved(name)
        return True

    def action_reset(self) -> None:
        name = self.highlighted
        if name is not None and self.editing is None:
            self._reset(name)

    def _reset(self, name: str) -> bool:
        from animetui.config import _get_path

        present, before = _get_path(self.settings.document, name)
        try:
            self.settings.unset(name)
            path = self.settings.save()
        except ConfigError as exc:
            self._say(str(exc), error=True)
            return False
        self._refresh_row(name)
        self._undo = (name, before) if present else None
        self.refresh_bindings()
        again = " u puts the old value back." if present else ""
        self._say(f"{name} is back to its default ({self.settings.display_value(name)}); saved to {display_path(path)}.{again}")
        self._saved(name)
        return True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "undo":
            return self._undo is not None and self.editing is None
        return True

    def action_undo(self) -> None:
        """Put back the value the last ``d`` removed from the file."""
        if self._undo is None or self.editing is not None:
            return
        name, before = self._undo
        self._undo = None
        if self._save(name, before):
            self._say(f"{name} is {self.settings.display_value(name, reveal=False)} again (saved).")
        self.refresh_bindings()

    def _saved(self, name: str) -> None:
        self.query_one("#settings-path", Static).update(self._path_text())
        if self.on_saved is not None:
            self.on_saved(name)

    def action_close(self) -> None:
        if self.editing is not None:
            self._stop_editing()
            self._say("Not changed.")
            return
        self.dismiss(None)
