"""The keymap (issue 13): keys rebound in ``[keys]``, the ``vim`` preset, shown wherever keys are
shown (footer, help, palette), conflicts and typos reported at start in one line."""

from __future__ import annotations

import pytest
from ui_helpers import highlight_file, settle, wait_for

from animetui.ui import bindings as table
from animetui.ui import keymap
from animetui.ui.panes.files import FilesPane
from animetui.ui.panes.results import ResultsPane


@pytest.fixture(autouse=True)
def default_keys_after():
    yield
    table.set_overrides({})


def _footer_text(app) -> str:
    from animetui.ui.widgets.key_footer import KeyFooter

    return str(app.screen.query_one(KeyFooter).render())


async def test_a_rebound_key_works_the_old_one_does_not_and_every_list_shows_it(build_app, ui_settings):
    ui_settings.document["keys"] = {"scene-search": "S", "help": "f1"}
    app = build_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        assert app.keymap_problem is None
        await highlight_file(pilot, "beach")
        results = app.query_one(ResultsPane)
        await pilot.press("s")
        await settle(pilot)
        assert results.scene is None, "s no longer runs a scene search"
        await pilot.press("S")
        await settle(pilot)
        assert results.scene is not None and results.scene.matches
        assert " S Scene " in _footer_text(app) and " s Scene " not in _footer_text(app)

        # help: the new keys beside their actions
        from animetui.ui.screens.help import help_text

        assert ("S", table.ACTIONS_BY_ID["scene-search"].help) in _help_pairs(help_text())
        assert ("F1", table.ACTIONS_BY_ID["help"].help) in _help_pairs(help_text())
        await pilot.press("f1")
        await pilot.pause()
        from animetui.ui.screens.help import HelpScreen

        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")

        # the palette: the hit carries the new key
        from animetui.ui.commands import AnimeCommands

        provider = AnimeCommands(app.screen)
        hits = [hit async for hit in provider.discover()]
        scene = next(h for h in hits if str(h.display) == "Scene search")
        assert scene.help.endswith("key: S")


def _help_pairs(grid) -> list[tuple[str, str]]:
    keys, helps = grid.columns[0]._cells, grid.columns[1]._cells
    return [(str(k), str(h)) for k, h in zip(keys, helps, strict=True)]


async def test_vim_preset_moves_with_jk_and_jumps_with_gG(build_app, ui_settings, pictures):
    ui_settings.set("general.keymap", "vim")
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.keymap_problem is None
        await pilot.press("1")
        await pilot.pause()
        footer = _footer_text(app)
        # rebound keys keep their place in the footer (the table's order), not the end of the line
        assert " N Generate " in footer and footer.index(" N Generate ") < footer.index(" a To anime ")
        tree = app.query_one(FilesPane).tree
        await pilot.press("1")
        start = tree.cursor_line
        await pilot.press("j", "j")
        await pilot.pause()
        assert tree.cursor_line == start + 2
        await pilot.press("k")
        await pilot.pause()
        assert tree.cursor_line == start + 1
        await pilot.press("G")
        await pilot.pause()
        assert tree.cursor_line == tree.last_line
        await pilot.press("g")
        await pilot.pause()
        assert tree.cursor_line == 0
        # what the preset moved out of the way: History is H, Generate is N
        from animetui.ui.screens.generate import GenerateScreen
        from animetui.ui.screens.history import HistoryScreen

        await pilot.press("H")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen), what="History on H")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HistoryScreen), what="back")
        await pilot.press("N")
        await wait_for(pilot, lambda: isinstance(app.screen, GenerateScreen), what="Generate on N")
        assert table.ACTIONS_BY_ID["history"].key_display == "H"


async def test_a_conflict_is_one_line_at_start(build_app, ui_settings):
    ui_settings.document["keys"] = {"scene-search": "r", "scene-serch": "x"}
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        warnings = [n for n in app._notifications if n.title == "Keys"]
        assert len(warnings) == 1
        line = warnings[0].message
        assert "\n" not in line and line.startswith("Keymap: ")
        assert "did you mean scene-search?" in line and "1 more" in line


def test_conflicts_and_bad_values_are_found():
    assert keymap.conflicts({}) == []
    assert keymap.conflicts(keymap.PRESETS["vim"]) == []
    assert keymap.conflicts({"scene-search": "r"}) == ["r is bound to both scene-search and recognize"]
    # a pane key hiding an everywhere key
    assert keymap.conflicts({"mark": "s"}) == ["s is bound to both scene-search and mark (Files pane)"]

    class Fake:
        document = {"keys": {"quit": "", "help": "ctrl+", "nope": "x"}}

        def get(self, name, default=None):
            return "emacs" if name == "general.keymap" else default

    wanted, problems = keymap.wanted(Fake())
    assert wanted == {}
    assert problems[0].startswith("general.keymap 'emacs' is not a preset")
    assert any("quit" in p and "not a key" in p for p in problems)
    assert any("help" in p and "not a key" in p for p in problems)
    assert any("nope: no such action" in p for p in problems)


def test_config_refuses_an_unknown_preset(settings):
    from animetui.errors import ConfigError

    with pytest.raises(ConfigError):
        settings.set("general.keymap", "emacs")


async def test_palette_has_one_maximise_and_one_quit(build_app):
    from animetui.ui.commands import AnimeCommands

    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("1")
        system = [c.title for c in app.get_system_commands(app.screen)]
        assert "Maximize" not in system and "Quit" not in system and "Keys" not in system
        assert "Theme" in system
        ours = [hit.display async for hit in AnimeCommands(app.screen).discover()]
        names = [str(n) for n in ours]
        assert names.count("Maximise pane") == 1 and names.count("Quit") == 1


async def test_help_filters_as_you_type_and_esc_clears_then_closes(build_app):
    from rich.console import Console

    from animetui.ui.screens.help import HelpScreen

    def body() -> str:
        console = Console(width=300, record=True)
        console.print(app.screen.query_one("#help-body").content)
        return console.export_text()

    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        await pilot.press(*"copy")
        await pilot.pause()
        text = body()
        assert table.ACTIONS_BY_ID["copy-result"].help in text and table.ACTIONS_BY_ID["copy-job"].help in text
        assert table.ACTIONS_BY_ID["scene-search"].help not in text
        await pilot.press("backspace", "backspace", "backspace", "backspace", *"zzqx")
        await pilot.pause()
        assert "No key matches 'zzqx'" in body()
        await pilot.press("escape")  # clears the filter
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen) and table.ACTIONS_BY_ID["scene-search"].help in body()
        await pilot.press("escape")  # closes
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen), what="help closed")
