"""New text-to-image job (AnimeAPI): prompt with a live n/1000 counter, orientation, NSFW, enhance.

Returns a :class:`animetui.models.GenerateRequest`, or None when cancelled. The prompt limit is
AnimeAPI's documented 1000 characters; the counter turns to the warning colour near it and to the
error colour past it, and submitting an empty or too long prompt says what to fix instead of
closing. NSFW starts from ``providers.animeapi.allow_nsfw`` (off by default — sent explicitly,
since the service's own default is on); enhance from ``providers.animeapi.enhance``.

The prompts of earlier text-to-image jobs (newest first, each once) are offered under the prompt
box: picking one (Tab to the list, or ``Ctrl+R``) puts it in the box to edit or send again.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Label, RadioButton, RadioSet, Select, Static, TextArea

from animetui.models import GenerateRequest, JobKind, Orientation
from animetui.text import safe
from animetui.ui.widgets.safe_text_area import SafeTextArea

MAX_PROMPT = 1000  # AnimeAPI docs: "max 1000 characters"
COST_NOTE = "Each image costs $0.009, charged to your AnimeAPI balance"
RECENT_PROMPTS = 10


def recent_prompts(jobs: list, limit: int = RECENT_PROMPTS) -> list[str]:
    """The prompts of text-to-image jobs, newest first, each once."""
    seen: list[str] = []
    for job in sorted(jobs, key=lambda j: j.created_at, reverse=True):
        prompt = str(job.params.get("prompt", "")).strip() if job.kind == JobKind.GENERATE else ""
        if prompt and prompt not in seen:
            seen.append(prompt)
        if len(seen) >= limit:
            break
    return seen


class GenerateScreen(ModalScreen[GenerateRequest | None]):
    BINDINGS = [
        Binding("ctrl+s", "submit", "Generate", id="animetui.submit"),
        Binding("escape", "close", "Cancel", id="animetui.close"),
        Binding("ctrl+r", "recent", "Recent prompts", show=False, id="animetui.generate-recent"),
    ]

    def __init__(
        self,
        *,
        prompt: str = "",
        recent: list[str] | None = None,
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
        self._recent = recent

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog") as dialog:
            dialog.border_title = "New text-to-image job · AnimeAPI"
            yield Label("Prompt", classes="field-label")
            yield SafeTextArea(self._prompt, id="prompt", soft_wrap=True, tab_behavior="focus", placeholder="Describe the picture…")
            yield Static("", id="counter")
            recent = self._recent_prompts()
            if recent:
                yield Select(
                    [(safe(p, limit=70), index) for index, p in enumerate(recent)],
                    prompt=f"Recent prompts ({len(recent)}) · Ctrl+R",
                    id="recent-prompts",
                    compact=True,
                )
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

    def _recent_prompts(self) -> list[str]:
        if self._recent is None:
            runner = getattr(self.app, "runner", None)
            try:
                self._recent = recent_prompts(runner.list()) if runner is not None else []
            except Exception:  # noqa: BLE001 - no journal yet: nothing to offer
                self._recent = []
        return self._recent

    @on(Select.Changed, "#recent-prompts")
    def _recent_chosen(self, event: Select.Changed) -> None:
        if isinstance(event.value, int) and 0 <= event.value < len(self._recent or []):
            area = self.query_one("#prompt", TextArea)
            area.text = (self._recent or [])[event.value]
            area.focus()
            area.move_cursor(area.document.end)

    def action_recent(self) -> None:
        from textual.widgets._select import SelectOverlay

        for select in self.query("#recent-prompts").results(Select):
            select.focus()
            select.expanded = True

            def newest(select: Select = select) -> None:
                for overlay in select.query(SelectOverlay):
                    overlay.highlighted = 1 if select._allow_blank else 0  # the newest prompt, not the blank line

            self.call_after_refresh(newest)

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
