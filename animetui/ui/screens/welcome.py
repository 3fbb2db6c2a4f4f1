"""First run (no config file, not demo mode): what works as a guest, and the way to settings.

Shown once per start while no config file exists (the first saved setting creates it). Each
feature gets a line saying whether it works now and, if not, what it needs. Returns
``"settings"``, ``"signin"`` or None (continue).
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


def feature_rows(keys: dict[str, bool]) -> list[tuple[bool, str, str]]:
    """(works now, feature, how) for each feature, given which API keys are set."""
    scene_how = (
        "with your API key" if keys.get("whatanime") else "as a guest: 5 searches a day (sign in with L for 10 free a day)"
    )
    return [
        (True, "Character recognition (r) · AnimeTrace", "no key needed"),
        (True, "Scene search (s) · whatanimeisthis", scene_how),
        (True, "Rankings and recent searches (3)", "nothing needed"),
        (bool(keys.get("animeapi")), "Text-to-image (g) · AnimeAPI", "needs providers.animeapi.api_key (paid: $0.009 an image)"),
        (bool(keys.get("ailab")), "Photo-to-anime (a) · AILabTools", "needs providers.ailab.api_key (1 credit an image)"),
    ]


class WelcomeScreen(ModalScreen["str | None"]):
    BINDINGS = [
        Binding("escape", "answer(None)", "Continue", id="animetui.close"),
        Binding("s", "answer('settings')", "Settings", id="animetui.welcome-settings"),
        Binding("l", "answer('signin')", "Sign in", id="animetui.welcome-signin"),
    ]

    def __init__(self, keys: dict[str, bool], *, config_path: str) -> None:
        super().__init__(classes="dialog-screen")
        self.keys = keys
        self.config_path = config_path

    def compose(self) -> ComposeResult:
        with Vertical(id="welcome-dialog", classes="dialog") as dialog:
            dialog.border_title = "Welcome to animetui"
            yield Static(Text(f"No config file yet ({self.config_path}). Without any key, this is what works:"), id="welcome-intro")
            grid = Table.grid(padding=(0, 1))
            grid.add_column(no_wrap=True)
            grid.add_column(style="bold", no_wrap=True)
            grid.add_column()
            for works, feature, how in feature_rows(self.keys):
                grid.add_row(Text("✓", style="green") if works else Text("✗", style="red"), feature, Text(how, style="italic"))
            yield Static(grid, id="welcome-features")
            yield Static(
                Text("API keys go in Settings (, from anywhere); L signs in to whatanimeisthis. Nothing is charged without asking first."),
                id="welcome-outro",
            )
            with Horizontal(classes="buttons"):
                yield Button("Settings (s)", variant="primary", id="settings", compact=True)
                yield Button("Sign in (l)", id="signin", compact=True)
                yield Button("Continue (Esc)", id="continue", compact=True)

    def on_mount(self) -> None:
        self.query_one("#continue", Button).focus()

    def action_answer(self, answer: str | None) -> None:
        self.dismiss(answer)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss({"settings": "settings", "signin": "signin"}.get(event.button.id or ""))
