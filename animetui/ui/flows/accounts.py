"""Accounts, keys, settings and credits: the actions ``settings`` (``,``), ``sign_in`` (``L``),
``sign_out`` (``O``) and ``api_keys`` (``K``), and what the header says about each provider.

* A saved setting is applied to the running providers through
  :meth:`animetui.providers.Providers.apply_settings` (keys, Origin and defaults apply to the next
  request). Base URLs, timeouts, rate limits, the renderer and the downloads folder are fixed
  when the clients are built: the user is told they apply at the next start.
* The whatanimeisthis account in the header (email when signed in, "session expired" after the
  session died) and the notice when a session dies: a search then falls back to the API key or to
  guest (the provider does that; :meth:`Providers.session_expired` reports it once).
* Usage-limit states in the header: AnimeTrace's daily limit (``QuotaError``) and a
  whatanimeisthis guest/credit limit, cleared by the next uncached success.
* Credits: every provider that reports them is asked after start-up, after a scene search, after
  a job and after a key change; the last answers are kept (``seen``) for the cost questions.
* The first-run welcome (no config file, not demo mode).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from animetui.providers.specs import all_specs
from animetui.ui.flows import Flow
from animetui.ui.format import display_path
from animetui.ui.messages import CreditsChanged

if TYPE_CHECKING:
    from textual.worker import Worker

    from animetui.models import Credits, Session
    from animetui.ui.main_screen import MainScreen

#: settings read only when the clients are built (the providers' own say so in their specs)
RESTART_KEYS = frozenset({"general.renderer", "general.downloads_dir"}) | frozenset(
    f"{spec.section}.{s.key}" for spec in all_specs() for s in spec.settings if s.restart
)


def needs_restart(name: str) -> bool:
    return name in RESTART_KEYS


class AccountsFlow(Flow):
    def __init__(self, main: "MainScreen") -> None:
        super().__init__(main)
        #: provider name -> what it last reported (the cost questions read it)
        self.seen: dict[str, Credits] = {}
        self.welcomed = False

    # ------------------------------------------------------------------ keys
    def has_key(self, name: str) -> bool:
        """Is an API key configured for ``name`` (demo keys count in demo mode)?"""
        runtime = self.app.runtime
        try:
            section = runtime.providers.section(name) if runtime is not None else self.app.settings.provider(name)
        except Exception:  # noqa: BLE001
            return False
        return bool(str(section.get("api_key") or "").strip())

    def key_state(self) -> dict[str, bool]:
        """Each provider that takes an API key → is one set."""
        return {spec.name: self.has_key(spec.name) for spec in all_specs() if spec.key_setting}

    def header_keys(self) -> dict[str, bool]:
        """The header's "no key" marks: the providers that do nothing without one."""
        return {spec.name: self.has_key(spec.name) for spec in all_specs() if spec.key_required}

    # ------------------------------------------------------------------ start-up
    def ready(self) -> None:
        """Services are up: show the account, and on a first run say what works without keys."""
        app = self.app
        runtime = app.runtime
        if runtime is not None:
            try:
                session = runtime.providers.whatanime.session
            except Exception as exc:  # noqa: BLE001 - an unreadable session file means signed out
                app.log.warning(f"reading the whatanimeisthis session: {exc!r}")
                session = None
            self.main.header.set_account(session.email if session is not None else None)
        if not app.demo and not app.settings.path.exists() and not self.welcomed:
            self.welcomed = True
            from animetui.ui.screens.welcome import WelcomeScreen

            app.push_screen(WelcomeScreen(self.key_state(), config_path=display_path(app.settings.path)), self._welcome_answered)

    def _welcome_answered(self, answer: str | None) -> None:
        if answer == "settings":
            self.settings()
        elif answer == "signin":
            self.sign_in()

    # ------------------------------------------------------------------ credits and limits
    def refresh_credits(self, names: tuple[str, ...] | None = None) -> "Worker[None]":
        """Ask ``names`` (default: every provider that reports credits) what is left, for the header."""
        from functools import partial

        # the function, not a coroutine: a refresh that replaces this one (exclusive) before it
        # started leaves no coroutine never awaited
        return self.app.run_worker(partial(self._refresh, names), group="credits", exclusive=True, exit_on_error=False)

    async def _refresh(self, names: tuple[str, ...] | None) -> None:
        from animetui.errors import AnimetuiError
        from animetui.providers.spec import CREDITS

        services = await self.app.services()
        header = self.main.header
        for name in names if names is not None else services.providers.names_for(CREDITS):
            if not services.providers.spec(name).can(CREDITS) or not header.keys.get(name, False):
                continue
            try:
                credit = await services.providers.get(name).credits()
            except AnimetuiError as exc:
                self.app.log.warning(f"credits for {name}: {exc}")
                self.credits_failed(name, exc)
                continue
            self.main.post_message(CreditsChanged(credit))

    def credits_seen(self, credit: "Credits") -> None:
        """A provider reported what is left (the header shows it; kept for the cost questions)."""
        self.seen[credit.provider] = credit
        if credit.remaining is not None and credit.remaining > 0:
            self.main.header.set_limit(credit.provider, None)

    def credits_failed(self, name: str, exc: BaseException) -> None:
        """Fetching credits failed: a dead whatanimeisthis session is the one case the user must hear of."""
        from animetui.errors import SessionExpired

        if isinstance(exc, SessionExpired):
            self.session_ended()

    def lookup_observed(self, kind: str, provider_name: str, error: BaseException | None, cached: bool) -> None:
        """One provider's part of a lookup ended (:meth:`animetui.lookups.LookupService.observe`)."""
        from animetui.errors import QuotaError, SessionExpired

        header = self.main.header
        if kind == "characters":
            if isinstance(error, QuotaError):
                header.set_limit(provider_name, "usage limit reached")
            elif error is None and not cached:
                header.set_limit(provider_name, None)
            return
        runtime = self.app.runtime
        expired = runtime is not None and runtime.providers.session_expired(provider_name)
        if isinstance(error, SessionExpired) or expired:
            self.session_ended()
        if isinstance(error, QuotaError):
            header.set_limit(provider_name, "limit reached")
        elif error is None and not cached:
            header.set_limit(provider_name, None)
        if error is not None:  # a success refreshes through LookupFinished
            self.refresh_credits((provider_name,))

    def session_ended(self) -> None:
        """The whatanimeisthis session is dead: say so, and how searches go on."""
        self.seen.pop("whatanime", None)
        self.main.header.set_account(None, expired=True)
        fallback = "use your API key" if self.has_key("whatanime") else "run as a guest (5 a day)"
        self.app.notify(
            f"Your whatanimeisthis session has expired. Press L to sign in again; until then scene searches {fallback}.",
            title="Signed out",
            severity="warning",
            timeout=10,
            markup=False,
        )

    # ------------------------------------------------------------------ settings
    def settings(self) -> None:
        from animetui.ui.screens.settings import SettingsScreen

        app = self.app
        if not isinstance(app.screen, SettingsScreen):
            app.push_screen(SettingsScreen(app.settings, demo=app.demo, on_saved=self.setting_saved))

    def setting_saved(self, name: str) -> None:
        """Apply a just-saved setting to what is running."""
        app = self.app
        runtime = app.runtime
        if name == "general.theme":
            wanted = str(app.settings.get(name) or "animetui")
            if wanted in app.available_themes:
                app.theme = wanted
        if runtime is not None:
            for spec in all_specs():
                if name.startswith(f"{spec.section}."):
                    runtime.providers.apply_settings(spec.name)
        if needs_restart(name):
            app.notify(f"{name} takes effect the next time animetui starts.", title="Saved", timeout=5, markup=False)
        if name.endswith(".api_key"):
            self.main.header.set_keys(self.header_keys())
            provider_name = name.split(".")[1]
            self.seen.pop(provider_name, None)
            if runtime is not None:
                self.refresh_credits((provider_name,))

    # ------------------------------------------------------------------ account
    def sign_in(self) -> None:
        self.app.run_worker(self._sign_in(), group="account", exclusive=True, exit_on_error=False)

    async def _sign_in(self) -> None:
        from animetui.errors import AnimetuiError
        from animetui.ui.screens.signin import SignInScreen

        app = self.app
        try:
            services = await app.services()
        except AnimetuiError as exc:
            app.notify(str(exc), title="Cannot sign in", severity="error", markup=False)
            return
        provider = services.providers.whatanime
        email = str(app.settings.get("providers.whatanime.email") or "")
        if provider.session is not None:
            email = provider.session.email or email
        site = str(app.settings.get("providers.whatanime.base_url") or "").split("://")[-1].rstrip("/")
        await app.push_screen(SignInScreen(provider.sign_in, email=email, site=site or "whatanimeisthis.com"), self._signed_in)

    def _signed_in(self, session: "Session | None") -> None:
        from animetui.errors import ConfigError

        app = self.app
        if session is None:
            return
        header = self.main.header
        header.set_account(session.email)
        header.set_limit("whatanime", None)
        app.notify(f"Signed in to whatanimeisthis as {session.email}.", title="Signed in", timeout=4, markup=False)
        if not app.demo and session.email and app.settings.get("providers.whatanime.email") != session.email:
            try:  # remembered for the next sign-in (not a secret)
                app.settings.set("providers.whatanime.email", session.email)
                app.settings.save()
            except ConfigError as exc:
                app.notify(f"Signed in, but the email was not remembered: {exc}", severity="warning", markup=False)
        self.refresh_credits(("whatanime",))

    def sign_out(self) -> None:
        self.app.run_worker(self._sign_out(), group="account", exclusive=True, exit_on_error=False)

    async def _sign_out(self) -> None:
        from animetui.errors import AnimetuiError

        app = self.app
        try:
            services = await app.services()
        except AnimetuiError as exc:
            app.notify(str(exc), title="Cannot sign out", severity="error", markup=False)
            return
        provider = services.providers.whatanime
        if provider.session is None:
            app.notify("You are not signed in to whatanimeisthis.", title="Sign out", timeout=4)
            self.main.header.set_account(None)
            return
        await provider.sign_out()
        self.seen.pop("whatanime", None)
        self.main.header.set_account(None)
        app.notify("Signed out of whatanimeisthis; the stored session was deleted.", title="Signed out", timeout=4)
        self.refresh_credits(("whatanime",))

    def api_keys(self) -> None:
        self.app.run_worker(self._api_keys(), group="account", exclusive=True, exit_on_error=False)

    async def _api_keys(self) -> None:
        from animetui.errors import AnimetuiError
        from animetui.ui.screens.apikeys import ApiKeysScreen

        app = self.app
        try:
            services = await app.services()
        except AnimetuiError as exc:
            app.notify(str(exc), title="API keys", severity="error", markup=False)
            return
        provider = services.providers.whatanime
        session = provider.session
        if session is None:
            app.notify("API keys belong to your whatanimeisthis account: sign in first (L).", title="Not signed in", severity="warning")
            return
        await app.push_screen(ApiKeysScreen(provider, email=session.email, save_key=self.save_whatanime_key))

    def save_whatanime_key(self, plaintext: str) -> str | None:
        """"Save as my key": set providers.whatanime.api_key and write the file; None, or why not."""
        from animetui.errors import ConfigError

        name = "providers.whatanime.api_key"
        try:
            self.app.settings.set(name, plaintext)
            self.app.settings.save()
        except ConfigError as exc:
            return str(exc)
        self.setting_saved(name)
        return None
