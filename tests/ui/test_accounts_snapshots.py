"""Snapshots for issue 6: settings, sign-in, account state in the header, API keys, cost questions,
first run.

Deterministic like ``test_ui_snapshots`` (frozen clock, seeded simulators, UTC) plus: the config
file's path is put under ``$HOME`` so it reads ``~/.config/animetui/config.toml`` in every run, and
toasts are cleared where they are not the point of the picture. No snapshot shows a key in full:
the new-key dialog (the one place a key is shown) is covered by pilot tests only, and
``tests/test_secrets.py`` scans every SVG for the demo keys and password.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from animetui.ui.screens.generate import GenerateScreen
from ui_helpers import FAST_RETRY, look_up, open_screen, settle, wait_for

from animetui.config import SCHEMA
from animetui.simulator.whatanime import DEMO_EMAIL, DEMO_PASSWORD

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]


@pytest.fixture(autouse=True)
def deterministic(monkeypatch, ui_settings):
    import animetui.jobs.runner

    class Counter:
        count = 0

        def token_hex(self, nbytes: int = 16) -> str:
            self.count += 1
            return f"{self.count:0{nbytes * 2}x}"

    monkeypatch.setattr(animetui.jobs.runner, "secrets", Counter())
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    ui_settings.path = Path.home() / ".config" / "animetui" / "config.toml"
    yield
    monkeypatch.undo()
    time.tzset()


async def _open_settings_at(pilot, name: str) -> None:
    from animetui.ui.screens.settings import SettingsScreen

    await pilot.press("comma")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, SettingsScreen), what="settings")
    pilot.app.screen.table.move_cursor(row=[k.name for k in SCHEMA].index(name))
    await settle(pilot)


async def _sign_in(pilot, password: str = DEMO_PASSWORD, *, submit: bool = True) -> None:
    from animetui.ui.screens.signin import SignInScreen

    await pilot.press("L")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, SignInScreen), what="sign-in")
    await pilot.press(*DEMO_EMAIL, "enter", *password)
    if submit:
        await pilot.press("enter")
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES)
def test_settings_screen_masked(snap_compare, build_app, ui_settings, size):
    ui_settings.set("providers.animeapi.api_key", "ank_snapshotkey000000f00d")

    async def run_before(pilot):
        await settle(pilot)
        await _open_settings_at(pilot, "providers.animeapi.api_key")

    assert snap_compare(build_app(), terminal_size=size, run_before=run_before)


def test_settings_refused_value(snap_compare, build_app):
    async def run_before(pilot):
        await settle(pilot)
        await _open_settings_at(pilot, "providers.ailab.style")
        await pilot.press("enter")
        pilot.app.screen.query_one("#settings-input").value = ""
        await pilot.press("1", "2", "enter")
        await settle(pilot)

    assert snap_compare(build_app(), terminal_size=(120, 40), run_before=run_before)


def test_settings_saved(snap_compare, build_app):
    async def run_before(pilot):
        await settle(pilot)
        await _open_settings_at(pilot, "providers.animeapi.orientation")
        await pilot.press("enter")
        pilot.app.screen.query_one("#settings-input").value = ""
        await pilot.press(*"square", "enter")
        pilot.app.clear_notifications()
        await settle(pilot)

    assert snap_compare(build_app(), terminal_size=(120, 40), run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_sign_in_dialog_password_masked(snap_compare, build_app, size):
    async def run_before(pilot):
        await settle(pilot)
        await _sign_in(pilot, submit=False)

    assert snap_compare(build_app(), terminal_size=size, run_before=run_before)


def test_sign_in_wrong_password(snap_compare, build_app):
    async def run_before(pilot):
        await settle(pilot)
        await _sign_in(pilot, "wrong-password")

    assert snap_compare(build_app(), terminal_size=(120, 40), run_before=run_before)


def test_sign_in_missing_origin(snap_compare, build_app, ui_settings):
    ui_settings.set("providers.whatanime.origin", "null")  # better-auth 1.7 lets a missing one through

    async def run_before(pilot):
        await settle(pilot)
        await _sign_in(pilot)

    assert snap_compare(build_app(), terminal_size=(120, 40), run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_signed_in_header(snap_compare, build_app, size):
    async def run_before(pilot):
        await settle(pilot)
        await _sign_in(pilot)
        pilot.app.clear_notifications()
        await settle(pilot)

    assert snap_compare(build_app(), terminal_size=size, run_before=run_before)


def test_signed_out(snap_compare, build_app):
    async def run_before(pilot):
        await settle(pilot)
        await _sign_in(pilot)
        pilot.app.clear_notifications()
        await pilot.press("O")
        await settle(pilot)

    assert snap_compare(build_app(), terminal_size=(160, 48), run_before=run_before)


def test_session_expired(snap_compare, build_app, ui_hub):
    async def run_before(pilot):
        await settle(pilot)
        await _sign_in(pilot)
        pilot.app.clear_notifications()
        ui_hub.services["whatanime"].expire_sessions()
        await look_up(pilot, "beach", "s")

    assert snap_compare(build_app(), terminal_size=(160, 48), run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_api_keys_list(snap_compare, build_app, size):
    async def run_before(pilot):
        from animetui.ui.screens.apikeys import ApiKeysScreen

        await settle(pilot)
        await _sign_in(pilot)
        pilot.app.clear_notifications()
        await pilot.press("K")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ApiKeysScreen), what="keys")
        await settle(pilot)
        await pilot.press("right_square_bracket")
        await settle(pilot)

    assert snap_compare(build_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_generate_cost_question(snap_compare, build_app, size):
    async def run_before(pilot):
        await settle(pilot)
        await open_screen(pilot, "g", GenerateScreen)
        await pilot.press(*"a cat on a fence", "ctrl+s")
        await settle(pilot)

    assert snap_compare(build_app(), terminal_size=size, run_before=run_before)


def test_paid_scene_search_question(snap_compare, build_app, ui_hub):
    ui_hub.services["whatanime"].set_credits(free_used=10)

    async def run_before(pilot):
        await settle(pilot)
        await _sign_in(pilot)
        pilot.app.clear_notifications()
        await look_up(pilot, "beach", "s")

    assert snap_compare(build_app(), terminal_size=(120, 40), run_before=run_before)


def test_animetrace_usage_limit_in_header(snap_compare, build_app, ui_hub):
    ui_hub.services["animetrace"].daily_limit = 0

    async def run_before(pilot):
        await settle(pilot)
        await look_up(pilot, "beach", "r")
        pilot.app.clear_notifications()
        await settle(pilot)

    assert snap_compare(build_app(), terminal_size=(160, 48), run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_first_run_welcome(snap_compare, ui_settings, ui_hub, clock, pictures, size):
    from animetui.jobs import JobRunner
    from animetui.providers import Providers
    from animetui.store import JobJournal
    from animetui.ui.app import make_app

    providers = Providers(ui_settings, transport=ui_hub.transport(), retry=FAST_RETRY)
    runner = JobRunner(providers, JobJournal(ui_settings.data_dir / "jobs.sqlite3"),
                       downloads_dir=Path.home() / "Downloads", clock=clock.now, poll_interval=0.05)
    app = make_app(ui_settings, demo=False, start_path=pictures, providers=providers, runner=runner,
                   clock=clock.now, renderer="halfcell")

    async def run_before(pilot):
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
