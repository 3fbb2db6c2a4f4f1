"""A yes/no question (quitting while jobs run). ``y``/Enter answers yes, ``n``/Esc no."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from animetui.text import safe


class ConfirmScreen(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="animetui.yes"),
        Binding("n,escape", "answer(False)", "No", id="animetui.no"),
    ]

    def __init__(self, title: str, message: str, *, yes: str = "Yes", no: str = "No") -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.message = message
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog", classes="dialog") as dialog:
            dialog.border_title = Text(safe(self.title_text, limit=120))
            yield Static(Text(safe(self.message, line=False)), id="confirm-message")  # may quote a prompt or a file name
            with Horizontal(classes="buttons"):
                yield Button(f"{self.yes} (y)", variant="primary", id="yes", compact=True)
                yield Button(f"{self.no} (n)", id="no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    @on(Button.Pressed, "#yes")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def _no(self) -> None:
        self.dismiss(False)


def quit_message(running: int) -> str:
    if running == 1:
        head = "1 job is still running. It is saved in the job journal and resumes"
    else:
        head = f"{running} jobs are still running. They are saved in the job journal and resume"
    return f"{head} the next time you start animetui (a paid request already sent is waited for briefly first)."
