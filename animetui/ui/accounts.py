"""Accounts, keys, credits and paid-action questions: the app's side of them, in one mixin.

:class:`AccountsMixin` is mixed into :class:`animetui.ui.app.AnimeTUI` (the app stays thin; this
is where issue 6 lives). It owns:

* the actions ``settings`` (``,``), ``sign_in`` (``L``), ``sign_out`` (``O``) and ``api_keys``
  (``K``) — each also in the palette and the help screen via :mod:`animetui.ui.bindings`;
* applying a saved setting to the running providers: each provider's settings section is a live
  dict (``ProviderContext.settings``), so keys, Origin and defaults apply to the next request.
  Base URLs, timeouts, rate limits, the renderer and the downloads folder are fixed when the
  clients are built: the user is told they apply at the next start;
* the whatanimeisthis account in the header (email when signed in, "session expired" after a
  401) and the notice when a session dies: a search then falls back to the API key or to guest
  (the provider does that; :class:`ObservedLookups` notices its ``session_expired`` flag);
* usage-limit states in the header: AnimeTrace's daily limit (code 17728 → ``QuotaError``) and a
  whatanimeisthis guest/credit limit, cleared by the next uncached success;
* the cost question before a paid action (``general.confirm_paid``, default on): text-to-image
  ($0.009 an image, AnimeAPI), photo-to-anime (1 AILabTools credit) and a scene search once
  today's free credits are known to be used (signed in: the credits endpoint says how many free
  ones are left; with only an API key the free count is unknown, so no question is asked);
* the first-run welcome (no config file, not demo mode).

Assumption: the AILabTools price of one conversion is 1 credit (the docs list credits per call but
no number for this API); AnimeAPI's $0.009 is documented.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from animetui.providers.specs import all_specs
from animetui.ui.format import display_path
from animetui.ui.widgets.status_header import StatusHeader

if TYPE_CHECKING:
    from animetui.jobs.kind import Kind
    from animetui.models import Credits, Session

#: settings read only when the clients are built (the providers' own say so in their specs)
RESTART_KEYS = frozenset({"general.renderer", "general.downloads_dir"}) | frozenset(
    f"{spec.section}.{s.key}" for spec in all_specs() for s in spec.settings if s.restart
)
CONFIRM_HINT = "Turn this question off with general.confirm_paid = false in Settings (,)."


def needs_restart(name: str) -> bool:
    return name in RESTART_KEYS


class AccountsMixin:
    """Mixed into the app (which provides ``settings``, ``demo``, ``services()``, ``runner``, …)."""

    _welcomed: bool = False

    # ------------------------------------------------------------------ helpers
    @property
    def _app(self) -> Any:
        return self

    def _header(self) -> StatusHeader:
        return self._app.query_one(StatusHeader)

    def _seen(self) -> dict[str, "Credits"]:
        if not hasattr(self, "_credits_seen_store"):
            self._credits_seen_store: dict[str, Credits] = {}
        return self._credits_seen_store

    def _providers(self) -> Any:
        services = getattr(self, "_services", None)
        return services.providers if services is not None else None

    def has_key(self, name: str) -> bool:
        """Is an API key configured for ``name`` (demo keys count in demo mode)?"""
        providers = self._providers()
        try:
            section = providers.section(name) if providers is not None else self._app.settings.provider(name)
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
    def accounts_ready(self) -> None:
        """Services are up: show the account, and on a first run say what works without keys."""
        app = self._app
        providers = self._providers()
        if providers is not None:
            try:
                session = providers.whatanime.session
            except Exception as exc:  # noqa: BLE001 - an unreadable session file means signed out
                app.log.warning(f"reading the whatanimeisthis session: {exc!r}")
                session = None
            self._header().set_account(session.email if session is not None else None)
        if not app.demo and not app.settings.path.exists() and not self._welcomed:
            self._welcomed = True
            from animetui.ui.screens.welcome import WelcomeScreen

            app.push_screen(
                WelcomeScreen(self.key_state(), config_path=display_path(app.settings.path)),
                self._welcome_answered,
            )

    def _welcome_answered(self, answer: str | None) -> None:
        if answer == "settings":
            self.action_settings()
        elif answer == "signin":
            self.action_sign_in()

    # ------------------------------------------------------------------ credits and limits
    def credits_seen(self, credit: "Credits") -> None:
        """A provider reported what is left (the header shows it; kept for the cost questions)."""
        self._seen()[credit.provider] = credit
        if credit.remaining is not None and credit.remaining > 0:
            self._header().set_limit(credit.provider, None)

    def credits_failed(self, name: str, exc: BaseException) -> None:
        """Fetching credits failed: a dead whatanimeisthis session is the one case the user must hear of."""
        from animetui.errors import SessionExpired

        if isinstance(exc, SessionExpired):
            self.session_ended()

    def lookup_observed(self, kind: str, provider_name: str, error: BaseException | None, cached: bool) -> None:
        """One provider's part of a lookup ended (:meth:`animetui.lookups.LookupService.observe`)."""
        from animetui.errors import QuotaError, SessionExpired

        header = self._header()
        if kind == "characters":
            if isinstance(error, QuotaError):
                header.set_limit(provider_name, "usage limit reached")
            elif error is None and not cached:
                header.set_limit(provider_name, None)
            return
        providers = self._providers()
        provider = providers.built().get(provider_name) if providers is not None else None
        if isinstance(error, SessionExpired) or (provider is not None and getattr(provider, "session_expired", False)):
            if provider is not None:
                provider.session_expired = False
            self.session_ended()
        if isinstance(error, QuotaError):
            header.set_limit(provider_name, "limit reached")
        elif error is None and not cached:
            header.set_limit(provider_name, None)
        if error is not None:  # a success refreshes through LookupFinished
            self._app.refresh_credits((provider_name,))

    def session_ended(self) -> None:
        """The whatanimeisthis session answered 401: say so, and how searches go on."""
        self._seen().pop("whatanime", None)
        self._header().set_account(None, expired=True)
        fallback = "use your API key" if self.has_key("whatanime") else "run as a guest (5 a day)"
        self._app.notify(
            f"Your whatanimeisthis session has expired. Press L to sign in again; until then scene searches {fallback}.",
            title="Signed out",
            severity="warning",
            timeout=10,
            markup=False,
        )

    # ------------------------------------------------------------------ settings
    def action_settings(self) -> None:
        from animetui.ui.screens.settings import SettingsScreen

        app = self._app
        if isinstance(app.screen, SettingsScreen):
            return
        app.push_screen(SettingsScreen(app.settings, demo=app.demo, on_saved=self.setting_saved))

    def setting_saved(self, name: str) -> None:
        """Apply a just-saved setting to what is running."""
        app = self._app
        providers = self._providers()
        if name == "general.theme":
            wanted = str(app.settings.get(name) or "animetui")
            if wanted in app.available_themes:
                app.theme = wanted
        if providers is not None:
            for spec in all_specs():
                if name.startswith(f"{spec.section}."):
                    provider = providers.built().get(spec.name)
                    if provider is not None:
                        provider.ctx.settings.update(providers.section(spec.name))
        if needs_restart(name):
            app.notify(f"{name} takes effect the next time animetui starts.", title="Saved", timeout=5, markup=False)
        if name.endswith(".api_key"):
            self._header().set_keys(self.header_keys())
            provider_name = name.split(".")[1]
            self._seen().pop(provider_name, None)
            if app._services is not None:
                app.refresh_credits((provider_name,))

    # ------------------------------------------------------------------ account
    def action_sign_in(self) -> None:
        self._sign_in_flow()

    def _sign_in_flow(self) -> None:
        app = self._app

        async def run() -> None:
            from animetui.errors import AnimetuiError
            from animetui.ui.screens.signin import SignInScreen

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

        app.run_worker(run(), group="account", exclusive=True, exit_on_error=False)

    def _signed_in(self, session: "Session | None") -> None:
        from animetui.errors import ConfigError

        app = self._app
        if session is None:
            return
        header = self._header()
        header.set_account(session.email)
        header.set_limit("whatanime", None)
        app.notify(f"Signed in to whatanimeisthis as {session.email}.", title="Signed in", timeout=4, markup=False)
        if not app.demo and session.email and app.settings.get("providers.whatanime.email") != session.email:
            try:  # remembered for the next sign-in (not a secret)
                app.settings.set("providers.whatanime.email", session.email)
                app.settings.save()
            except ConfigError as exc:
                app.notify(f"Signed in, but the email was not remembered: {exc}", severity="warning", markup=False)
        app.refresh_credits(("whatanime",))

    def action_sign_out(self) -> None:
        app = self._app

        async def run() -> None:
            from animetui.errors import AnimetuiError

            try:
                services = await app.services()
            except AnimetuiError as exc:
                app.notify(str(exc), title="Cannot sign out", severity="error", markup=False)
                return
            provider = services.providers.whatanime
            if provider.session is None:
                app.notify("You are not signed in to whatanimeisthis.", title="Sign out", timeout=4)
                self._header().set_account(None)
                return
            await provider.sign_out()
            self._seen().pop("whatanime", None)
            self._header().set_account(None)
            app.notify("Signed out of whatanimeisthis; the stored session was deleted.", title="Signed out", timeout=4)
            app.refresh_credits(("whatanime",))

        app.run_worker(run(), group="account", exclusive=True, exit_on_error=False)

    def action_api_keys(self) -> None:
        app = self._app

        async def run() -> None:
            from animetui.errors import AnimetuiError
            from animetui.ui.screens.apikeys import ApiKeysScreen

            try:
                services = await app.services()
            except AnimetuiError as exc:
                app.notify(str(exc), title="API keys", severity="error", markup=False)
                return
            provider = services.providers.whatanime
            session = provider.session
            if session is None:
                app.notify(
                    "API keys belong to your whatanimeisthis account: sign in first (L).",
                    title="Not signed in",
                    severity="warning",
                )
                return
            await app.push_screen(ApiKeysScreen(provider, email=session.email, save_key=self.save_whatanime_key))

        app.run_worker(run(), group="account", exclusive=True, exit_on_error=False)

    def save_whatanime_key(self, plaintext: str) -> str | None:
        """"Save as my key": set providers.whatanime.api_key and write the file; None, or why not."""
        from animetui.errors import ConfigError

        app = self._app
        name = "providers.whatanime.api_key"
        try:
            app.settings.set(name, plaintext)
            app.settings.save()
        except ConfigError as exc:
            return str(exc)
        self.setting_saved(name)
        return None

    # ------------------------------------------------------------------ paid actions
    def require_key(self, name: str, feature: str) -> bool:
        """True if ``name`` has a key; otherwise say how to set one (nothing else happens)."""
        if self.has_key(name):
            return True
        self._app.notify(
            f"{feature} needs an API key: set providers.{name}.api_key in Settings (press ,).",
            title="No API key",
            severity="warning",
            timeout=8,
            markup=False,
        )
        return False

    def confirm_cost(self, title: str, message: str, proceed: Callable[[], Any], *, yes: str = "Pay") -> None:
        """Run ``proceed`` after the user agreed to the cost (or at once if general.confirm_paid is off)."""
        from animetui.ui.screens.confirm import ConfirmScreen

        app = self._app
        if not app.settings.get("general.confirm_paid", True):
            proceed()
            return

        def answered(agreed: bool | None) -> None:
            if agreed:
                proceed()
            else:
                app.notify("Cancelled; nothing was charged.", title=title, timeout=3)

        app.push_screen(ConfirmScreen(title, f"{message}\n\n{CONFIRM_HINT}", yes=yes, no="Cancel"), answered)

    def job_cost(self, kind: "Kind") -> str:
        """The cost line asked before a job of ``kind`` starts (its words; the balance and credits seen)."""
        runner = self._app.runner
        balance = getattr(runner, "last_balance_usd", None) if runner is not None else None
        seen = self._seen().get(kind.provider)
        return kind.cost_text(balance_usd=balance, credits_left=seen.remaining if seen is not None else None)

    def generate_cost(self) -> str:
        from animetui.jobs.kinds import kind_of

        return self.job_cost(kind_of("generate"))

    def cartoonize_cost(self) -> str:
        from animetui.jobs.kinds import kind_of

        return self.job_cost(kind_of("cartoonize"))

    def scene_cost(self, engines: tuple[str, ...] = ("whatanime",)) -> str | None:
        """The cost line for a scene search asking ``engines``, or None when it is free (or its cost is unknown)."""
        if "whatanime" not in engines:  # trace.moe (and a local library) never charge per search
            return None
        seen = self._seen().get("whatanime")
        providers = self._providers()
        if seen is None or seen.free is None or providers is None or providers.whatanime.session is None:
            return None
        if seen.free > 0 or not seen.remaining:
            return None  # free credits left; or nothing at all left (the search is refused, not charged)
        return (
            f"Today's free searches are used up: this scene search costs 1 paid whatanimeisthis credit "
            f"({seen.remaining:,.0f} left). An image already looked up is answered from history for free."
        )
