"""A job's prompt in full: what the user wrote and, when the service enhanced it, what it sent.

The Jobs pane shows one line of the prompt; ``v`` there opens this (scrollable; ``c`` copies the
enhanced prompt, or the prompt; Esc closes).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from animetui.text import safe


class PromptScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q", "close", "Close", id="animetui.close"),
        Binding("c", "copy", "Copy", id="animetui.prompt-copy"),
    ]

    def __init__(self, prompt: str, enhanced: str = "", *, title: str = "Prompt") -> None:
        super().__init__(classes="dialog-screen")
        self.prompt = prompt
        self.enhanced = enhanced
        self.title_text = title

    def body(self) -> Text:
        text = Text()
        text.append("Your prompt\n", style="bold underline")
        text.append(safe(self.prompt, line=False) or "(empty)")
        text.append("\n\n")
        text.append("Enhanced by the service (what was sent)\n", style="bold underline")
        if self.enhanced:
            text.append(safe(self.enhanced, line=False))
        else:
            text.append("(not enhanced, or the service has not answered yet)", style="italic")
        return text

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-dialog", classes="dialog") as dialog:
            dialog.border_title = Text(f"{safe(self.title_text, limit=80)} · c copy · Esc close")
            with VerticalScroll(id="prompt-scroll"):
                yield Static(self.body(), id="prompt-body")

    def on_mount(self) -> None:
        self.query_one("#prompt-scroll").focus()

    def action_copy(self) -> None:
        text = self.enhanced or self.prompt
        self.app.copy_to_clipboard(text)
        which = "enhanced prompt" if self.enhanced else "prompt"
        self.app.notify(f"Copied the {which}", title="Clipboard", timeout=3, markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
