"""New text-to-image job (AnimeAPI): prompt with a live n/1000 counter, orientation, NSFW, enhance.

Returns a :class:`animetui.models.GenerateRequest`, or None when cancelled. The prompt limit is
AnimeAPI's documented 1000 characters; the counter turns to the warning colour near it and to the
error colour past it, and submitting an empty or too long prompt says what to fix instead of
closing. NSFW starts from ``providers.animeapi.allow_nsfw`` (off by default — sent explicitly,
since the service's own default is on); enhance from ``providers.animeapi.enhance``.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Label, RadioButton, RadioSet, Static, TextArea

from animetui.models import GenerateRequest, Orientation

MAX_PROMPT = 1000  # AnimeAPI docs: "max 1000 characters"
COST_NOTE = "Each image costs $0.009, charged to your AnimeAPI balance"


class GenerateScreen(ModalScreen[GenerateRequest | None]):
    BINDINGS = [
        Binding("ctrl+s", "submit", "Generate", id="animetui.submit"),
        Binding("escape", "close", "Cancel", id="animetui.close"),
    ]

    def __init__(
        self,
        *,
        prompt: str = "",
        orientation: str = "portrait",
        allow_nsfw: bool = False,
        enhance: bool = True,
        balance_usd: float | None = None,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self._prompt = prompt
        self._orientation = orientation if orientation in {o.value for o in Orientation} else "portrait"
        self._nsfw = allow_nsfw
        self._enhance = enhance
        self._balance = balance_usd

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog") as dialog:
            dialog.border_title = "New text-to-image job · AnimeAPI"
            yield Label("Prompt", classes="field-label")
            yield TextArea(self._prompt, id="prompt", soft_wrap=True, tab_behavior="focus", placeholder="Describe the picture…")
            yield Static("", id="counter")
            with Horizontal(classes="field-row"):
                yield Label("Orientation", classes="field-label inline")
                with RadioSet(id="orientation", compact=True):
                    for option in Orientation:
                        yield RadioButton(option.value, value=option.value == self._orientation, id=f"o-{option.value}")
            with Horizontal(classes="field-row"):
                yield Checkbox("Allow NSFW", self._nsfw, id="nsfw", compact=True)
                yield Checkbox("Enhance prompt", self._enhance, id="enhance", compact=True)
            note = COST_NOTE
            if self._balance is not None:
                note += f" (balance ${self._balance:,.2f} as of the last image)"
            yield Static(Text(note + ".", style="italic"), id="cost-note")
            with Horizontal(classes="buttons"):
                yield Button("Generate (Ctrl+S)", variant="primary", id="submit", compact=True)
                yield Button("Cancel (Esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self._update_counter()
        self.query_one("#prompt", TextArea).focus()

    @property
    def prompt(self) -> str:
        return self.query_one("#prompt", TextArea).text

    @on(TextArea.Changed, "#prompt")
    def _changed(self) -> None:
        self._update_counter()

    def _update_counter(self) -> None:
        count = len(self.prompt.strip())
        theme = self.app.theme_variables
        style = ""
        if count > MAX_PROMPT:
            style = f"bold {theme.get('error', 'red')}"
        elif count > MAX_PROMPT * 0.9:
            style = theme.get("warning", "yellow")
        text = Text(f"{count}/{MAX_PROMPT}", style=style)
        if count > MAX_PROMPT:
            text.append(f"  {count - MAX_PROMPT} over the limit", style=style)
        self.query_one("#counter", Static).update(text)

    def _orientation_value(self) -> Orientation:
        pressed = self.query_one("#orientation", RadioSet).pressed_button
        if pressed is not None and pressed.id:
            return Orientation(pressed.id.removeprefix("o-"))
        return Orientation(self._orientation)

    def action_submit(self) -> None:
        prompt = self.prompt.strip()
        if not prompt:
            self.notify("The prompt is empty: describe the picture to generate.", severity="warning", title="Nothing to generate")
            return
        if len(prompt) > MAX_PROMPT:
            self.notify(
                f"The prompt is {len(prompt):,} characters, {len(prompt) - MAX_PROMPT:,} over AnimeAPI's limit of {MAX_PROMPT:,}.",
                severity="error",
                title="Prompt too long",
            )
            return
        self.dismiss(
            GenerateRequest(
                prompt=prompt,
                orientation=self._orientation_value(),
                allow_nsfw=self.query_one("#nsfw", Checkbox).value,
                enhance=self.query_one("#enhance", Checkbox).value,
            )
        )

    def action_close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#submit")
    def _submit_pressed(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_close()
