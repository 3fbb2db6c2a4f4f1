"""New photo-to-anime job (AILabTools): the chosen image and one of the nine styles, by name.

Returns the style index (0–8, the service's ``index`` field), or None when cancelled. The list
starts on ``providers.ailab.style``. The service's own limits (JPEG/PNG/BMP/WEBP, ≤ 10 MB,
256×256 … 5760×3240) are checked by the provider when the job is submitted; the dialog states
them so the refusal is no surprise.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, OptionList, Static
from textual.widgets.option_list import Option

from animetui.models import CARTOON_STYLES
from animetui.ui.format import display_path


class CartoonizeScreen(ModalScreen[int | None]):
    BINDINGS = [
        Binding("ctrl+s", "submit", "Convert", id="animetui.submit"),
        Binding("escape", "close", "Cancel", id="animetui.close"),
    ]

    def __init__(self, source: Path, *, style: int = 0) -> None:
        super().__init__(classes="dialog-screen")
        self.source = source
        self.style = style if 0 <= style < len(CARTOON_STYLES) else 0

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog") as dialog:
            dialog.border_title = "New photo-to-anime job · AILabTools"
            line = Text("Image: ", style="bold")
            line.append(display_path(self.source))
            yield Static(line, id="cartoon-source")
            yield Static(
                Text("JPEG, PNG, BMP or WEBP · up to 10 MB · 256×256 to 5760×3240 px · costs 1 AILabTools credit", style="italic"),
                id="cartoon-limits",
            )
            yield Label("Style", classes="field-label")
            yield OptionList(
                *(Option(Text(f"{index}  {name}"), id=f"style-{index}") for index, name in enumerate(CARTOON_STYLES)),
                id="styles",
            )
            with Horizontal(classes="buttons"):
                yield Button("Convert (Enter)", variant="primary", id="submit", compact=True)
                yield Button("Cancel (Esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        styles = self.query_one("#styles", OptionList)
        styles.highlighted = self.style
        styles.focus()

    def action_submit(self) -> None:
        highlighted = self.query_one("#styles", OptionList).highlighted
        self.dismiss(self.style if highlighted is None else highlighted)

    def action_close(self) -> None:
        self.dismiss(None)

    @on(OptionList.OptionSelected, "#styles")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option_index)

    @on(Button.Pressed, "#submit")
    def _submit_pressed(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_close()
