"""Issue 13: before start-up has read the keys, nothing says a key is missing; a paid key waits."""

from __future__ import annotations

import asyncio

from ui_helpers import settle, wait_for

from animetui.ui.app import AnimeTUI
from animetui.ui.panes.files import FilesPane
from animetui.ui.screens.generate import GenerateScreen


def hold(monkeypatch, method: str) -> asyncio.Event:
    """``AnimeTUI.<method>`` waits for the returned event before it runs (start-up held there)."""
    gate = asyncio.Event()
    original = getattr(AnimeTUI, method)

    async def held(self) -> None:  # noqa: ANN001
        await gate.wait()
        await original(self)

    monkeypatch.setattr(AnimeTUI, method, held)
    return gate


async def test_g_while_starting_says_so_then_opens_the_dialog(build_app, monkeypatch):
    """Issue 13: while start-up runs (a first run writes its data dir), the header said
    "AnimeAPI no key" and ``g`` "needs an API key", though the demo key was only not read yet."""
    gate = hold(monkeypatch, "_build_services")
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        header = app.main_screen.header
        await wait_for(pilot, lambda: bool(app.main_screen.query(FilesPane)), what="the panes mounted")
        await pilot.pause()
        line = str(header.render())
        assert "starting…" in line and "no key" not in line, line
        await pilot.press("g")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert not any("needs an API key" in m for m in messages), messages
        assert any("Still starting" in m for m in messages), messages
        assert not isinstance(app.screen, GenerateScreen)
        gate.set()
        await settle(pilot)
        assert isinstance(app.screen, GenerateScreen), "the dialog did not open once started"
        assert "AnimeAPI no key" not in str(header.render())  # the demo key, read by start-up


async def test_g_before_the_panes_exist_is_not_lost(build_app, monkeypatch):
    """The very first moments (the panes still placeholders): ``g`` used to do nothing at all."""
    gate = hold(monkeypatch, "_starting")
    app = build_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not app.main_screen.panes_ready
        await pilot.press("g")
        await pilot.pause()
        assert any("Still starting" in n.message for n in app._notifications)
        gate.set()
        await settle(pilot)
        assert isinstance(app.screen, GenerateScreen), "the dialog did not open once started"


async def test_files_is_listed_before_the_other_panes_are_built(build_app, monkeypatch):
    """Issue 11: the Files pane comes first and lists its folder before the other panes' modules
    load (they would compete with it for the interpreter); then the others follow."""
    from dataclasses import replace

    import animetui.ui.main_screen as main_screen

    seen: dict[str, bool] = {}
    app = build_app()

    def spied(spec):  # noqa: ANN001, ANN202
        def build(ctx):  # noqa: ANN001, ANN202
            files = app.main_screen.query(FilesPane)
            seen[spec.name] = bool(files) and files.first().tree.listed.is_set() and bool(files.first().tree.root.children)
            return spec.build(ctx)

        return replace(spec, build=build)

    monkeypatch.setattr(main_screen, "PANES", tuple(spied(spec) for spec in main_screen.PANES))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.panes_ready, what="the panes mounted")
        assert seen == {"files": False, "results": True, "rankings": True, "jobs": True}, seen
        assert app.screen.focused is app.files_pane.tree


async def test_a_dialog_opened_before_the_later_styles_are_read_gets_them(build_app, monkeypatch):
    """styles/later.tcss (the dialogs' rules among them) is read once the Files pane is listed; a
    dialog opened in the first instant is restyled then."""
    from animetui.ui.screens.help import HelpScreen

    gate = hold(monkeypatch, "_starting")
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="the help screen")
        dialog = app.screen.query_one("#help-dialog")
        assert dialog.styles.width is None or dialog.styles.width.value != 96
        gate.set()
        await wait_for(pilot, lambda: app.panes_ready, what="the panes mounted")
        await pilot.pause()
        assert dialog.styles.width is not None and dialog.styles.width.value == 96
