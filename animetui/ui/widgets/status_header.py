"""The one-line header: the app's name, demo mode, each provider and what is left there.

A provider without a key it needs is shown dimmed with "no key" — once start-up has said which keys
exist (:meth:`StatusHeader.set_keys`); until then it is dimmed with "…", as nothing is known yet
(demo keys and the keys in the config are read by start-up). Credits arrive after the first
frame (the app asks each provider once the services exist, and again after lookups and jobs).
Keys themselves are never shown. Server-provided text is added as plain ``Text``.

whatanimeisthis also shows the account: the signed-in email, "guest", or "session expired" (in
the error colour, until the user signs in again). A provider whose usage limit was hit (AnimeTrace's
17728, a guest's daily 5) shows that state instead of its credits until a later call succeeds.
A provider that reports its concurrency (trace.moe's ``/me``) shows it: ``100/100 searches, 1 at a time``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from animetui.providers.specs import all_specs
from animetui.ui.format import credits_text
from animetui.text import safe
from animetui.ui.widgets.line import update_line

if TYPE_CHECKING:
    from animetui.models import Credits

PROVIDER_ORDER = tuple(spec.name for spec in all_specs() if spec.network)  # the library has no quota to show
PROVIDER_LABELS = {spec.name: spec.title for spec in all_specs()}
#: providers that work without a key (a guest) are "ready" until told otherwise
_READY = {spec.name: not spec.key_required for spec in all_specs()}


class StatusHeader(Static):
    """``animetui · DEMO │ AnimeTrace ✓ │ whatanimeisthis 5/5 searches │ …``"""

    DEFAULT_CSS = """
    StatusHeader { height: 1; width: 1fr; dock: top; }
    """

    def __init__(self, *, demo: bool, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.demo = demo
        self.keys: dict[str, bool] = dict(_READY)
        self.credits: dict[str, str] = {}
        self.limits: dict[str, str] = {}  # provider → "usage limit reached" and the like
        self.account: str | None = None  # whatanimeisthis: the signed-in email
        self.session_expired = False
        self.note = "starting…"
        self.keys_known = False  # set_keys has run: "no key" is a fact, not a guess

    def on_mount(self) -> None:
        self._redraw()

    def set_keys(self, keys: dict[str, bool]) -> None:
        self.keys.update(keys)
        self.keys_known = True
        self.note = ""
        self._redraw()

    def set_credits(self, credit: "Credits") -> None:
        text = credits_text(credit)
        if text == "?" and credit.total is not None and credit.unit != "usd":
            # nothing counted yet (a guest before the first search since the start): the allowance
            text = f"{credit.total:,.0f} {credit.unit}/day"
        if credit.concurrency is not None:  # a second search at once waits for the first (trace.moe)
            text += f", {credit.concurrency} at a time"
        self.credits[credit.provider] = text
        self._redraw()

    def set_account(self, email: str | None, *, expired: bool = False) -> None:
        """whatanimeisthis: signed in as ``email``, signed out (None), or the session ended."""
        self.account = email or None
        self.session_expired = expired and not email
        self._redraw()

    def set_limit(self, provider: str, text: str | None) -> None:
        """Show a usage-limit state for ``provider`` (None clears it)."""
        if text:
            self.limits[provider] = text
        else:
            self.limits.pop(provider, None)
        self._redraw()

    def set_note(self, note: str) -> None:
        self.note = note
        self._redraw()

    def _redraw(self) -> None:
        theme = self.app.theme_variables if self.is_mounted else {}
        text = Text()
        text.append(" animetui ", style=f"bold #1c1c1c on {theme.get('primary', 'magenta')}")
        if self.demo:
            text.append(" DEMO ", style=f"bold #1c1c1c on {theme.get('warning', 'yellow')}")
        for name in PROVIDER_ORDER:
            text.append(" │ ", style="dim")
            label = PROVIDER_LABELS[name]
            if not self.keys.get(name, False):
                text.append(f"{label} no key" if self.keys_known else f"{label} …", style="dim")
                continue
            text.append(label, style="bold")
            if name == "whatanime":
                if self.account:
                    text.append(f" {safe(self.account, limit=60)}", style=theme.get("accent", "cyan"))
                elif self.session_expired:
                    text.append(" session expired", style=f"bold {theme.get('error', 'red')}")
            value = self.credits.get(name)
            limit = self.limits.get(name)
            if limit:
                text.append(f" {safe(limit, limit=60)}", style=theme.get("warning", "yellow"))
            elif value and value != "?":
                text.append(f" {safe(value, limit=60)}")
            elif _READY.get(name):  # nothing to count (or not known yet): it works without a key
                text.append(" ✓", style=theme.get("success", "green"))
        if self.note:
            text.append(" │ ", style="dim")
            text.append(safe(self.note, limit=200), style="italic")
        text.no_wrap = True
        text.overflow = "ellipsis"
        update_line(self, text)
