"""Pilot tests for issue 6: settings, the whatanimeisthis account, API keys, credits, cost questions.

Everything runs against the in-process simulators (the demo account ``DEMO_EMAIL`` /
``DEMO_PASSWORD``). The first-run tests build the app NOT in demo mode and with no keys at all
(a :class:`Providers` on the simulator hub's transport, without the demo keys) to prove that
nothing needs a key to start and that every feature that does says so.
"""

from __future__ import annotations

import io
import stat
import tomllib
from pathlib import Path

import pytest
from animetui.ui.screens.generate import GenerateScreen
from ui_helpers import FAST_RETRY, highlight_file, settle, wait_for, open_screen

from animetui.config import SCHEMA
from animetui.simulator.whatanime import DEMO_EMAIL, DEMO_PASSWORD
from animetui.ui.screens.apikeys import ApiKeysScreen, NewKeyScreen
from animetui.ui.screens.confirm import ConfirmScreen
from animetui.ui.screens.settings import SettingsScreen
from animetui.ui.screens.signin import SignInScreen
from animetui.ui.screens.welcome import WelcomeScreen
from animetui.ui.widgets.status_header import StatusHeader

SIZE = (120, 40)


def notes(app) -> list[str]:
    return [f"{n.title or ''}: {n.message}" for n in app._notifications]


def plain(renderable) -> str:
    """What a Rich renderable (a table) reads as on an 160-column terminal."""
    from rich.console import Console

    console = Console(width=160, record=True, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def cell(screen: SettingsScreen, name: str, column: str) -> str:
    return screen.table.get_cell(name, column).plain


def session_file(settings) -> Path:
    return settings.data_dir / "whatanime-session.json"


async def open_settings_at(pilot, name: str) -> SettingsScreen:
    await pilot.press("comma")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, SettingsScreen), what="the settings screen")
    screen = pilot.app.screen
    names = [key.name for key in SCHEMA]
    screen.table.move_cursor(row=names.index(name))
    await pilot.pause()
    return screen


async def sign_in(pilot, *, email: str = DEMO_EMAIL, password: str = DEMO_PASSWORD) -> SignInScreen:
    await pilot.press("L")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, SignInScreen), what="the sign-in dialog")
    screen = pilot.app.screen
    await pilot.press(*email, "enter")
    await pilot.press(*password, "enter")
    await wait_for(pilot, lambda: not screen.busy, what="the sign-in to end")
    await settle(pilot)
    return screen


# ====================================================================== settings
async def test_settings_show_every_key_its_source_and_the_file_mask_secrets(build_app, ui_settings, monkeypatch):
    monkeypatch.setenv("ANIMETUI_AILAB_KEY", "ailab_fromenv_0123456789")
    ui_settings.set("providers.animeapi.api_key", "ank_fromfile1234567890abcd")
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_settings_at(pilot, "providers.animeapi.api_key")
        assert screen.table.row_count == len(SCHEMA)
        assert str(ui_settings.path.name) in str(screen.query_one("#settings-path").render())
        # where each value came from
        assert cell(screen, "general.renderer", "source") == "default"
        assert cell(screen, "providers.animeapi.api_key", "source") == "file"
        assert cell(screen, "providers.ailab.api_key", "source") == "env ANIMETUI_AILAB_KEY"
        # secrets masked until r, hidden again by r
        assert cell(screen, "providers.animeapi.api_key", "value") == "ank_…abcd"
        assert cell(screen, "providers.ailab.api_key", "value") == "ailab_…6789"
        assert cell(screen, "providers.whatanime.api_key", "value") == "(not set)"
        assert "ANIMETUI_ANIMEAPI_KEY" in str(screen.query_one("#settings-doc").render())
        await pilot.press("r")
        assert cell(screen, "providers.animeapi.api_key", "value") == "ank_fromfile1234567890abcd"
        await pilot.press("r")
        assert cell(screen, "providers.animeapi.api_key", "value") == "ank_…abcd"
        # editing a secret starts from an empty, masked field
        await pilot.press("enter")
        field = screen.query_one("#settings-input")
        assert field.password and field.value == ""
        await pilot.press("escape")
        assert screen.editing is None and isinstance(app.screen, SettingsScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, SettingsScreen)


async def test_settings_palette_entry_opens_the_screen(build_app):
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await app.run_action("settings")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)


async def test_editing_validates_inline_saves_atomically_and_keeps_other_keys(build_app, ui_settings):
    ui_settings.path.parent.mkdir(parents=True, exist_ok=True)
    ui_settings.path.write_text('[custom]\nkept = "yes"  # a key animetui does not know\n')
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_settings_at(pilot, "providers.animeapi.requests_per_minute")
        await pilot.press("enter")
        field = screen.query_one("#settings-input")
        assert field.value == "10" and not field.password
        field.value = ""
        await pilot.press(*"lots", "enter")
        message = str(screen.query_one("#settings-message").render())
        assert "must be a int" in message and "lots" in message, message
        assert screen.editing == "providers.animeapi.requests_per_minute", "a refused value keeps the field open"
        assert "requests_per_minute" not in ui_settings.path.read_text(), "nothing written for a refused value"
        field.value = ""
        await pilot.press(*"20", "enter")  # above the documented 10 a minute
        assert "at most 10" in str(screen.query_one("#settings-message").render())
        field.value = ""
        await pilot.press(*"8", "enter")
        assert screen.editing is None
        assert cell(screen, "providers.animeapi.requests_per_minute", "value") == "8"
        assert cell(screen, "providers.animeapi.requests_per_minute", "source") == "file"
        saved = tomllib.loads(ui_settings.path.read_text())
        assert saved["providers"]["animeapi"]["requests_per_minute"] == 8
        assert saved["custom"] == {"kept": "yes"}, "keys animetui does not know are kept"
        assert stat.S_IMODE(ui_settings.path.stat().st_mode) == 0o600
        assert any("next time animetui starts" in n for n in notes(app))

        # a boolean toggles on Enter; d puts a key back to its default
        names = [key.name for key in SCHEMA]
        screen.table.move_cursor(row=names.index("general.confirm_paid"))
        await pilot.pause()
        await pilot.press("enter")
        assert ui_settings["general.confirm_paid"] is False
        assert tomllib.loads(ui_settings.path.read_text())["general"]["confirm_paid"] is False
        await pilot.press("d")
        assert ui_settings["general.confirm_paid"] is True
        assert "confirm_paid" not in tomllib.loads(ui_settings.path.read_text()).get("general", {})

        # a saved origin reaches the running provider at once
        screen.table.move_cursor(row=names.index("providers.whatanime.origin"))
        await pilot.pause()
        await pilot.press("enter")
        field.value = ""
        await pilot.press(*"ftp:x", "enter")  # any text is a valid origin to the schema
        services = await app.services()
        assert services.providers.whatanime.settings["origin"] == "ftp:x"


async def test_saving_a_secret_never_shows_it(build_app, ui_settings):
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_settings_at(pilot, "providers.ailab.api_key")
        await pilot.press("enter")
        await pilot.press(*"ailab_typed_secret_4242", "enter")
        assert ui_settings["providers.ailab.api_key"] == "ailab_typed_secret_4242"
        assert cell(screen, "providers.ailab.api_key", "value") == "ailab_…4242"
        assert "ailab_typed_secret_4242" not in str(screen.query_one("#settings-message").render())
        assert screen.query_one("#settings-input").value == "", "the typed secret does not stay in the widget"
        assert all("ailab_typed_secret_4242" not in n for n in notes(app))
        services = await app.services()
        assert services.providers.ailab.ctx.settings["api_key"] == "ailab_typed_secret_4242"


# ====================================================================== account
async def test_sign_in_shows_the_email_in_the_header_and_keeps_the_session(build_app, ui_settings):
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        header = app.query_one(StatusHeader)
        assert header.account is None
        dialog = await sign_in(pilot)
        assert not isinstance(app.screen, SignInScreen), dialog.error
        assert header.account == DEMO_EMAIL
        assert DEMO_EMAIL in str(header.render())
        assert "credits" in header.credits.get("whatanime", ""), header.credits
        path = session_file(ui_settings)
        assert path.exists() and stat.S_IMODE(path.stat().st_mode) == 0o600
        assert all(DEMO_PASSWORD not in n for n in notes(app))
        assert any("Signed in to whatanimeisthis as" in n for n in notes(app))


async def test_wrong_password_is_said_in_the_dialog(build_app):
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        dialog = await sign_in(pilot, password="not-the-password")
        assert isinstance(app.screen, SignInScreen)
        assert "wrong email or password" in (dialog.error or "")
        assert "wrong email or password" in str(dialog.query_one("#signin-error").render())
        assert dialog.query_one("#password").value == "", "the password field is cleared"
        assert app.query_one(StatusHeader).account is None
        # correcting it works from the same dialog
        await pilot.press(*DEMO_PASSWORD, "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, SignInScreen), what="the dialog to close")
        assert app.query_one(StatusHeader).account == DEMO_EMAIL


async def test_a_missing_origin_is_refused_by_the_simulator_and_explained(build_app, ui_settings, ui_hub):
    ui_settings.set("providers.whatanime.origin", "null")  # better-auth refuses a null Origin
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        dialog = await sign_in(pilot)
        assert isinstance(app.screen, SignInScreen)
        shown = str(dialog.query_one("#signin-error").render())
        assert "Origin" in shown and "providers.whatanime.origin" in shown, shown
        assert [r.status for r in ui_hub.requests_to("whatanime") if r.path == "/api/auth/sign-in/email"] == [403]
        assert not session_file(ui_settings).exists()


async def test_sign_out_deletes_the_stored_session(build_app, ui_settings):
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sign_in(pilot)
        assert session_file(ui_settings).exists()
        await pilot.press("O")
        await settle(pilot)
        assert not session_file(ui_settings).exists()
        assert app.query_one(StatusHeader).account is None
        services = await app.services()
        assert services.providers.whatanime.session is None
        assert any("stored session was deleted" in n for n in notes(app))


async def test_a_stored_session_is_shown_at_start(build_app, ui_settings):
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sign_in(pilot)
    again = build_app()
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert again.query_one(StatusHeader).account == DEMO_EMAIL


async def test_an_expired_session_is_noticed_and_the_search_falls_back(build_app, ui_settings, ui_hub):
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sign_in(pilot)
        ui_hub.services["whatanime"].expire_sessions()
        await highlight_file(pilot, "beach")
        await pilot.press("s")
        await settle(pilot)
        results = app.results_pane
        assert results.scene is not None and results.scene.matches, "the search went on with the API key"
        header = app.query_one(StatusHeader)
        assert header.account is None and header.session_expired
        assert "session expired" in str(header.render())
        assert any("session has expired" in n and "sign in again" in n for n in notes(app))
        assert not session_file(ui_settings).exists()
        # signing in again clears the state
        await sign_in(pilot)
        assert header.account == DEMO_EMAIL and not header.session_expired


async def test_an_expired_session_seen_by_the_credits_refresh(build_app, ui_hub):
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sign_in(pilot)
        ui_hub.services["whatanime"].expire_sessions()
        app.main_screen.flows.accounts.refresh_credits(("whatanime",))
        await settle(pilot)
        assert app.query_one(StatusHeader).session_expired
        assert any("session has expired" in n for n in notes(app))


# ====================================================================== API keys
async def test_api_keys_need_a_session(build_app):
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("K")
        await settle(pilot)
        assert not isinstance(app.screen, ApiKeysScreen)
        assert any("sign in first" in n for n in notes(app))


async def test_api_keys_paged_and_a_new_key_shown_once_then_saved(build_app, ui_settings, ui_hub):
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sign_in(pilot)
        await pilot.press("K")
        await wait_for(pilot, lambda: isinstance(app.screen, ApiKeysScreen), what="the keys screen")
        screen = app.screen
        await settle(pilot)
        table = screen.query_one("#keys-table")
        assert screen.key_page is not None and screen.key_page.total == 12
        assert table.row_count == 10 and screen.pages == 2
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert screen.page == 2 and table.row_count == 2
        await pilot.press("right_square_bracket")
        assert screen.page == 2, "no page 3"
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert screen.page == 1

        await pilot.press("c")
        await pilot.press(*"laptop", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, NewKeyScreen), what="the new key")
        shown = app.screen
        plaintext = shown._plaintext
        assert plaintext and plaintext.startswith("wait_") and len(plaintext) > 20
        assert plaintext in ui_hub.services["whatanime"].keys, "the key the simulator made"
        assert str(shown.query_one("#newkey-value").render()) == plaintext
        assert "only time" in str(shown.query_one("#newkey-note").render())
        await pilot.press("s")
        assert ui_settings["providers.whatanime.api_key"] == plaintext
        assert tomllib.loads(ui_settings.path.read_text())["providers"]["whatanime"]["api_key"] == plaintext
        services = await app.services()
        assert services.providers.whatanime.settings["api_key"] == plaintext, "applied to the running provider"
        assert plaintext not in str(shown.query_one("#newkey-message").render())
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ApiKeysScreen) and shown._plaintext is None
        # nowhere else in full: not in the list, not in a notification, not in the status lines
        assert screen.key_page.total == 13
        cells = [c.plain for row in range(table.row_count) for c in table.get_row_at(row)]
        assert all(plaintext not in c for c in cells)
        assert all(plaintext not in n for n in notes(app))
        assert plaintext not in str(screen.query_one("#keys-message").render())
        # the settings screen shows it masked
        await pilot.press("escape")
        settings_screen = await open_settings_at(pilot, "providers.whatanime.api_key")
        assert cell(settings_screen, "providers.whatanime.api_key", "value") == "wait_…" + plaintext[-4:]


async def test_a_blank_key_title_is_refused_in_place(build_app):
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sign_in(pilot)
        await pilot.press("K")
        await wait_for(pilot, lambda: isinstance(app.screen, ApiKeysScreen), what="the keys screen")
        await settle(pilot)
        await pilot.press("c", "enter")
        assert "Give the new key a title" in str(app.screen.query_one("#keys-message").render())
        assert isinstance(app.screen, ApiKeysScreen)


# ====================================================================== credits and costs
async def test_generate_asks_what_it_costs_first(build_app):
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_screen(pilot, "g", GenerateScreen)
        await pilot.press(*"a cat", "ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the cost question")
        assert "$0.009" in app.screen.message and "AnimeAPI balance" in app.screen.message
        await pilot.press("n")
        await settle(pilot)
        assert app.runner.list() == [], "no job without a yes"
        assert any("nothing was charged" in n for n in notes(app))
        await open_screen(pilot, "g", GenerateScreen)
        await pilot.press(*"a cat", "ctrl+s", "y")
        await settle(pilot)
        assert len(app.runner.list()) == 1


async def test_cartoonize_asks_and_the_question_can_be_turned_off(build_app, ui_settings):
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await highlight_file(pilot, "portrait")
        await pilot.press("a", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the cost question")
        assert "1 AILabTools credit" in app.screen.message
        assert "left)" in app.screen.message, "the credits left, from the header's refresh"
        await pilot.press("escape")
        ui_settings.set("general.confirm_paid", False)
        await pilot.press("a", "enter")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert len(app.runner.list()) == 1


async def test_a_scene_search_past_the_free_credits_says_it_costs_a_credit(build_app, ui_hub):
    sim = ui_hub.services["whatanime"]
    sim.set_credits(free_used=10)
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await highlight_file(pilot, "beach")
        await pilot.press("s")  # signed out (API key): the free count is unknown, so no question
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        await sign_in(pilot)
        paid_before = sim.user().paid_credits
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the cost question")
        assert "1 paid whatanimeisthis credit" in app.screen.message
        assert f"{paid_before} left" in app.screen.message
        await pilot.press("n")
        await settle(pilot)
        assert sim.user().paid_credits == paid_before
        await highlight_file(pilot, "classroom")
        await pilot.press("s", "y")
        await settle(pilot)
        assert sim.user().paid_credits == paid_before - 1
        assert app.results_pane.scene is not None


async def test_header_credits_and_the_animetrace_usage_limit(build_app, ui_hub):
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        header = app.query_one(StatusHeader)
        assert "ailab" in header.credits
        ui_hub.services["animetrace"].daily_limit = 0
        await highlight_file(pilot, "beach")
        await pilot.press("r")
        await settle(pilot)
        assert header.limits.get("animetrace") == "usage limit reached"
        assert "usage limit reached" in str(header.render())
        ui_hub.services["animetrace"].daily_limit = 1000
        await pilot.press("r")
        await settle(pilot)
        assert "animetrace" not in header.limits


async def test_animeapi_balance_in_the_header_after_a_job(build_app, clock):
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        header = app.query_one(StatusHeader)
        assert "animeapi" not in header.credits or header.credits["animeapi"] == "?"
        await open_screen(pilot, "g", GenerateScreen)
        await pilot.press(*"a cat", "ctrl+s", "y")
        await wait_for(pilot, lambda: app.runner.list() and app.runner.list()[0].state.terminal, what="the job")
        await wait_for(pilot, lambda: header.credits.get("animeapi", "?").startswith("$"), what="the balance")


# ====================================================================== first run, no keys
@pytest.fixture
def keyless_app(ui_settings, ui_hub, clock, pictures):
    """The app as a new user gets it: not demo mode, no config file, no key anywhere."""
    from animetui.jobs import JobRunner
    from animetui.providers import Providers
    from animetui.store import JobJournal
    from animetui.ui.app import make_app

    def build():
        providers = Providers(ui_settings, transport=ui_hub.transport(), retry=FAST_RETRY)
        assert not providers.demo
        runner = JobRunner(providers, JobJournal(ui_settings.data_dir / "jobs.sqlite3"),
                           downloads_dir=Path.home() / "Downloads", clock=clock.now, poll_interval=0.05)
        return make_app(ui_settings, demo=False, start_path=pictures, providers=providers, runner=runner,
                        clock=clock.now, renderer="halfcell")

    return build


async def test_first_run_says_what_works_without_keys_and_nothing_crashes(keyless_app, ui_settings, ui_hub):
    assert not ui_settings.path.exists()
    app = keyless_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        text = plain(app.screen.query_one("#welcome-features").content)
        assert "as a guest: 5 searches a day" in text and "no key needed" in text
        assert "needs providers.animeapi.api_key" in text and "needs providers.ailab.api_key" in text
        await pilot.press("escape")
        await settle(pilot)
        header = str(app.query_one(StatusHeader).render())
        assert "AnimeAPI no key" in header and "AILabTools no key" in header

        # features that need a key say so; nothing is sent
        before = len(ui_hub.log)
        await pilot.press("g")
        await settle(pilot)
        await highlight_file(pilot, "portrait")
        await pilot.press("a")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)
        assert sum("needs an API key" in n for n in notes(app)) == 2, notes(app)
        assert not [r for r in ui_hub.log[before:] if r.service in ("animeapi", "ailab")]

        # guest features work
        await pilot.press("b")
        await settle(pilot)
        results = app.results_pane

        def state() -> str:
            workers = [f"{w.name}:{w.state.name}" for w in app.workers if w.group == "lookup"]
            return f"focus={app.focused!r} errors={results.errors} workers={workers} notes={notes(app)}"

        # A loaded CI machine can finish `settle` between the key press and the lookup's worker starting.
        await wait_for(pilot, lambda: results.scene is not None and results.characters is not None, what=f"the lookup ({state()})")
        assert not results.errors, state()
        header = app.query_one(StatusHeader)
        await wait_for(pilot, lambda: "4/5 searches" in header.credits.get("whatanime", ""), what=f"the allowance ({header.credits})")
        await pilot.press("K")
        await settle(pilot)
        assert any("sign in first" in n for n in notes(app))


async def test_first_run_offers_the_settings_screen(keyless_app):
    app = keyless_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)


async def test_no_welcome_once_a_config_file_exists(keyless_app, ui_settings):
    ui_settings.save()
    app = keyless_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not isinstance(app.screen, WelcomeScreen)


# ====================================================================== secrets
async def test_no_secret_in_notifications_or_data_files(build_app, ui_settings, ui_hub):
    """Sign in, create and save a key, reveal and hide, let the session expire: then look everywhere."""
    import json
    import re

    from animetui.simulator import DEMO_KEYS

    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await sign_in(pilot, password="wrong-password-1")
        await pilot.press("escape")
        await sign_in(pilot)
        cookies = [c["value"] for c in json.loads(session_file(ui_settings).read_text())["cookies"]]
        assert cookies
        await pilot.press("K")
        await wait_for(pilot, lambda: isinstance(app.screen, ApiKeysScreen), what="the keys screen")
        await settle(pilot)
        await pilot.press("c", *"ci", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, NewKeyScreen), what="the new key")
        created = app.screen._plaintext
        await pilot.press("s", "escape")
        await settle(pilot)
        await pilot.press("escape")
        settings_screen = await open_settings_at(pilot, "providers.whatanime.api_key")
        await pilot.press("r", "r", "escape")
        ui_hub.services["whatanime"].expire_sessions()
        await highlight_file(pilot, "beach")
        await pilot.press("s")
        await settle(pilot)
        assert settings_screen.revealed is False
        shown = "\n".join(notes(app))
        header = str(app.query_one(StatusHeader).render())
    secrets = [DEMO_PASSWORD, "wrong-password-1", created, *cookies, *DEMO_KEYS.values()]
    secrets += [c.rpartition(".")[0] for c in cookies]  # the token part of a signed cookie
    for secret in secrets:
        assert secret not in shown, f"secret in a notification: {secret[:6]}…"
        assert secret not in header
    files = [p for p in ui_settings.data_dir.rglob("*") if p.is_file() and not re.search(r"\.sqlite3|\.png|\.jpg", p.name)]
    for path in files:
        text = path.read_bytes().decode("utf-8", "replace")
        for secret in secrets:
            assert secret not in text, f"secret in {path.name}: {secret[:6]}…"
