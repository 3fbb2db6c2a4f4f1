"""whatanimeisthis API keys (``K`` or the palette): the signed-in user's keys, paged, and new ones.

* The list shows each key's title, its masked form (as the server gives it — the provider masks
  anything that looks whole) and when it was made; ``]`` / ``[`` page through it (10 a page).
* ``c`` asks for a title and creates a key. The plaintext comes back once: it is shown in
  :class:`NewKeyScreen`, which says so, offers ``s`` "save as my key" (sets
  ``providers.whatanime.api_key`` and writes the config file) and ``c`` copy, and forgets it when
  closed. Nothing else — list, notifications, logs — ever shows a key in full.

The screens talk to the provider passed in (anything with ``list_keys`` / ``create_key``), so the
tests drive them against the simulator.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Static

from animetui.ui.widgets.safe_input import SafeInput
from animetui.text import has_controls
from animetui.ui.format import one_line, shown

if TYPE_CHECKING:
    from animetui.models import ApiKey, ApiKeyPage

PAGE_SIZE = 10
#: ``save_key(plaintext)`` → None when saved, else the reason it was not
SaveKey = Callable[[str], "str | None"]


class ApiKeysScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "close", "Close", id="animetui.close"),
        Binding("c", "create", "New key", id="animetui.keys-create"),
        Binding("right_square_bracket", "page(1)", "Next page", id="animetui.keys-next"),
        Binding("left_square_bracket", "page(-1)", "Previous page", id="animetui.keys-prev"),
        Binding("ctrl+r", "reload", "Reload", id="animetui.keys-reload"),
    ]

    def __init__(self, provider: Any, *, email: str = "", save_key: SaveKey | None = None, page_size: int = PAGE_SIZE) -> None:
        super().__init__(classes="dialog-screen")
        self.provider = provider
        self.email = email
        self.save_key = save_key
        self.page_size = page_size
        self.page = 1
        self.key_page: ApiKeyPage | None = None
        self.creating = False
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="keys-dialog", classes="dialog") as dialog:
            dialog.border_title = "API keys · whatanimeisthis"
            line = Text("Signed in as ", style="bold")
            line.append(shown(self.email or "(unknown)"))
            yield Static(line, id="keys-account")
            yield DataTable(id="keys-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="keys-status")
            with Horizontal(id="keys-create-row"):
                yield Label(Text("New key title: ", style="bold"))
                yield SafeInput(id="key-title", placeholder="e.g. the machine it is for", max_length=100, compact=True)
            yield Static("", id="keys-message")
            yield Static(Text("c new key · ] next page · [ previous · Ctrl+R reload · Esc close", style="italic"), id="keys-help")

    def on_mount(self) -> None:
        table = self.query_one("#keys-table", DataTable)
        table.add_column("Title", key="title")
        table.add_column("Key", key="key")
        table.add_column("Created", key="created")
        self.query_one("#keys-create-row").display = False
        table.focus()
        self.load(1)

    @property
    def pages(self) -> int | None:
        page = self.key_page
        if page is None or page.total is None:
            return None
        return max(1, math.ceil(page.total / max(1, page.page_size)))

    def _say(self, message: str, *, error: bool = False) -> None:
        theme = self.app.theme_variables
        style = f"bold {theme.get('error', 'red')}" if error else "italic"
        self.query_one("#keys-message", Static).update(Text(shown(message, line=False), style=style))

    @work(exclusive=True, group="keys", exit_on_error=False)
    async def load(self, page: int) -> None:
        from animetui.errors import AnimetuiError

        table = self.query_one("#keys-table", DataTable)
        table.loading = True
        try:
            result = await self.provider.list_keys(page=page, page_size=self.page_size)
        except AnimetuiError as exc:
            self.error = str(exc)
            self._say(f"Could not list the keys: {exc}", error=True)
            return
        finally:
            table.loading = False
        self.error = None
        self.key_page, self.page = result, page
        table.clear()
        for key in result.keys:
            table.add_row(Text(one_line(key.title, 60)), Text(shown(key.masked)), Text(shown((key.created_at or "—")[:16].replace("T", " "))))
        status = Text()
        if result.total is not None:
            status.append(f"{result.total} key{'s' if result.total != 1 else ''} · page {page} of {self.pages}")
        else:
            status.append(f"page {page}")
        if not result.keys:
            status.append(" · no keys here; press c to create one")
        self.query_one("#keys-status", Static).update(status)

    def action_page(self, delta: int) -> None:
        target = self.page + delta
        pages = self.pages
        if target < 1 or (pages is not None and target > pages):
            self._say("No more pages that way.")
            return
        self.load(target)

    def action_reload(self) -> None:
        self.load(self.page)

    def action_create(self) -> None:
        self.query_one("#keys-create-row").display = True
        self._say("Enter creates the key · Esc cancels")
        self.query_one("#key-title", Input).focus()

    @on(Input.Submitted, "#key-title")
    def _title_entered(self, event: Input.Submitted) -> None:
        event.stop()
        title = event.value.strip()
        if not title:
            self._say("Give the new key a title (e.g. the machine it is for).", error=True)
            return
        if not self.creating:
            self.creating = True
            self._say("Creating the key…")
            self._create(title)

    @work(exclusive=True, group="keys-create", exit_on_error=False)
    async def _create(self, title: str) -> None:
        from animetui.errors import AnimetuiError

        try:
            key = await self.provider.create_key(title)
        except AnimetuiError as exc:
            self._say(f"No key created: {exc}", error=True)
            return
        finally:
            self.creating = False
        self.query_one("#key-title", Input).value = ""
        self.query_one("#keys-create-row").display = False
        self.query_one("#keys-table", DataTable).focus()
        self._say(f"Created “{one_line(key.title, 60)}” ({key.masked}).")
        def reload(_closed: None) -> None:
            self.load(self.page)

        self.app.push_screen(NewKeyScreen(key, save_key=self.save_key), reload)

    def action_close(self) -> None:
        row = self.query_one("#keys-create-row")
        if row.display:
            row.display = False
            self.query_one("#key-title", Input).value = ""
            self.query_one("#keys-table", DataTable).focus()
            self._say("")
            return
        self.dismiss(None)


_HOSTILE_KEY = "the key the server sent holds control or invisible characters (shown escaped above); it is not a usable key."


class NewKeyScreen(ModalScreen[None]):
    """The one time a new key is shown in full."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="animetui.close"),
        Binding("s", "save", "Save as my key", id="animetui.key-save"),
        Binding("c", "copy", "Copy", id="animetui.key-copy"),
    ]

    def __init__(self, key: ApiKey, *, save_key: SaveKey | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = key.title
        self.masked = key.masked
        self._plaintext: str | None = key.plaintext
        self.save_key = save_key
        self.saved = False

    def compose(self) -> ComposeResult:
        with Vertical(id="newkey-dialog", classes="dialog") as dialog:
            dialog.border_title = "New API key · shown only once"
            head = Text("This is the only time this key is shown. ", style="bold")
            head.append("whatanimeisthis will not show it again and animetui does not keep it unless you press s. "
                        "Copy it now or save it as your key.", style="")
            yield Static(head, id="newkey-note")
            yield Static(Text(one_line(self.title_text, 80), style="italic"), id="newkey-title")
            yield Static(Text(shown(self._plaintext or ""), style="bold"), id="newkey-value")
            yield Static("", id="newkey-message")
            with Horizontal(classes="buttons"):
                yield Button("Save as my key (s)", variant="primary", id="save", compact=True, disabled=self.save_key is None)
                yield Button("Copy (c)", id="copy", compact=True)
                yield Button("Close (Esc)", id="close", compact=True)

    def on_mount(self) -> None:
        self.query_one("#save" if self.save_key is not None else "#close", Button).focus()

    def _say(self, message: str, *, error: bool = False) -> None:
        theme = self.app.theme_variables
        style = f"bold {theme.get('error', 'red')}" if error else theme.get("success", "green")
        self.query_one("#newkey-message", Static).update(Text(shown(message, line=False), style=style))

    def action_save(self) -> None:
        if self.save_key is None or self._plaintext is None:
            return
        if has_controls(self._plaintext):
            self._say(f"Not saved: {_HOSTILE_KEY}", error=True)
            return
        problem = self.save_key(self._plaintext)
        if problem:
            self._say(f"Not saved: {problem}", error=True)
            return
        self.saved = True
        self._say(f"Saved as providers.whatanime.api_key ({self.masked}); scene searches use it when you are signed out.")

    def action_copy(self) -> None:
        if self._plaintext and has_controls(self._plaintext):
            self._say(f"Not copied: {_HOSTILE_KEY}", error=True)  # pasted into a shell, a newline or ESC could run a command
        elif self._plaintext:
            from animetui.ui.clipboard import clipboard_warning

            self.app.copy_to_clipboard(self._plaintext)
            warning = clipboard_warning()
            self._say("Copied to the clipboard (OSC 52)." + (f" But {warning}" if warning else ""))

    def action_close(self) -> None:
        self._plaintext = None
        self.dismiss(None)

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#copy")
    def _copy_pressed(self) -> None:
        self.action_copy()

    @on(Button.Pressed, "#close")
    def _close_pressed(self) -> None:
        self.action_close()
