"""Sign in to whatanimeisthis (``L`` or the palette): email and a masked password field.

The dialog runs the sign-in itself (``sign_in(email, password)``, the provider's better-auth
email sign-in) so that a refusal — wrong password, a missing or wrong ``Origin`` header, too many
attempts — is shown on the line under the fields and the user can correct it without reopening
anything. On success it returns the :class:`~animetui.models.Session` (the provider has already
saved its cookie jar in a 0600 file); Esc returns None.

The password lives only in the masked input until the request is sent; the field is cleared after
every attempt, and the provider registers it with :mod:`animetui.redact` so no message can echo it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from animetui.text import safe
from animetui.ui.widgets.safe_input import SafeInput

if TYPE_CHECKING:
    from animetui.models import Session

SignIn = Callable[[str, str], Awaitable["Session"]]


class SignInScreen(ModalScreen["Session | None"]):
    BINDINGS = [
        Binding("escape", "close", "Cancel", id="animetui.close"),
        Binding("ctrl+s", "submit", "Sign in", id="animetui.submit"),
    ]

    def __init__(self, sign_in: SignIn, *, email: str = "", site: str = "whatanimeisthis.com") -> None:
        super().__init__(classes="dialog-screen")
        self._sign_in = sign_in
        self._email = email
        self._site = site
        self.busy = False
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="signin-dialog", classes="dialog") as dialog:
            dialog.border_title = "Sign in · whatanimeisthis"
            yield Static(
                Text(
                    f"Signed in, scene searches use your account ({self._site}): 10 free a day, then your "
                    "credits. The password is sent once and never stored; the session is kept in a "
                    "private file in the data folder.",
                    style="italic",
                ),
                id="signin-note",
            )
            if getattr(self.app, "demo", False):
                from animetui.simulator.whatanime import DEMO_EMAIL, DEMO_PASSWORD

                yield Static(
                    Text(f"Demo mode: the simulated service has one account, {DEMO_EMAIL} with the password {DEMO_PASSWORD}."),
                    id="signin-demo",
                )
            yield Label("Email", classes="field-label")
            yield SafeInput(self._email, id="email", placeholder="you@example.com", compact=True)
            yield Label("Password", classes="field-label")
            yield SafeInput(id="password", password=True, placeholder="password", compact=True)
            yield Static("", id="signin-error")
            with Horizontal(classes="buttons"):
                yield Button("Sign in (Enter)", variant="primary", id="submit", compact=True)
                yield Button("Cancel (Esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        target = "#password" if self._email else "#email"
        self.query_one(target, Input).focus()

    @on(Input.Submitted, "#email")
    def _email_done(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#password", Input).focus()

    @on(Input.Submitted, "#password")
    def _password_done(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    @on(Button.Pressed, "#submit")
    def _submit_pressed(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_close()

    def _show(self, message: str, *, error: bool) -> None:
        theme = self.app.theme_variables
        style = f"bold {theme.get('error', 'red')}" if error else "italic"
        self.query_one("#signin-error", Static).update(Text(safe(message, line=False), style=style))

    def action_submit(self) -> None:
        if self.busy:
            return
        email = self.query_one("#email", Input).value.strip()
        password_field = self.query_one("#password", Input)
        password = password_field.value
        if not email or "@" not in email:
            self._show("Enter the email address of your whatanimeisthis account.", error=True)
            self.query_one("#email", Input).focus()
            return
        if not password:
            self._show("Enter your password.", error=True)
            password_field.focus()
            return
        password_field.value = ""
        self.busy = True
        self.error = None
        self._show("Signing in…", error=False)
        self._run(email, password)

    @work(exclusive=True, group="signin", exit_on_error=False)
    async def _run(self, email: str, password: str) -> None:
        from animetui.errors import AnimetuiError

        try:
            session = await self._sign_in(email, password)
        except AnimetuiError as exc:
            self.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - never a traceback on screen
            self.log.error(f"sign-in failed: {exc!r}")
            self.error = f"unexpected error ({type(exc).__name__}); see the log"
        else:
            self.busy = False
            self.dismiss(session)
            return
        finally:
            del password
        self.busy = False
        self._show(f"Not signed in: {self.error}", error=True)
        self.query_one("#password", Input).focus()

    def action_close(self) -> None:
        if not self.busy:
            self.dismiss(None)
