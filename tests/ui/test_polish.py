"""Issue 13 (the keyboard user's polish): focus stays in the pane, the footer shows keys that work
where the focus is, names and words as the user knows them. Pilot tests over the simulators."""

from __future__ import annotations

from ui_helpers import highlight_file, look_up, settle, wait_for

from animetui.ui.panes.rankings import RankingsPane
from animetui.ui.panes.results import ResultsPane


def _in(app, pane_id: str) -> bool:
    node = app.focused
    while node is not None:
        if getattr(node, "id", None) == pane_id:
            return True
        node = node.parent
    return False


def footer_text(app) -> str:
    from animetui.ui.widgets.key_footer import KeyFooter

    footer = app.screen_stack[0].query_one(KeyFooter)
    return str(footer.render())


async def test_period_key_on_the_recent_tab_keeps_the_focus_in_rankings(build_app):
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        rankings = app.query_one(RankingsPane)
        await pilot.press("3", "t")
        await settle(pilot)
        assert rankings.active_tab == "tab-recent"
        await pilot.press("p")
        await settle(pilot)
        assert rankings.active_tab == "tab-rankings" and rankings.period == "monthly"
        assert _in(app, "rankings"), f"focus left the pane: {app.focused!r}"
        assert "Period" in footer_text(app)
        await pilot.press("p")  # a second p works without pressing 3 first
        await settle(pilot)
        assert rankings.period == "yearly"


async def test_results_keys_work_while_both_lookups_load_and_after_a_cancel(build_app, ui_hub):
    ui_hub.inject("animetrace", "latency", seconds=30, path="/v1/search")
    ui_hub.inject("whatanime", "latency", seconds=30, path="/api/anime/search")
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await highlight_file(pilot, "beach")
        await pilot.press("b")
        results = app.query_one(ResultsPane)
        await wait_for(pilot, lambda: results.running == {"scene", "characters"}, what="both lookups")
        await pilot.press("2")
        await pilot.pause()
        assert _in(app, "results"), f"2 did not focus Results while it loads: {app.focused!r}"
        assert "Cancel" in footer_text(app)
        await pilot.press("x")
        await settle(pilot)
        assert not results.running
        assert _in(app, "results"), f"focus left Results after the cancel: {app.focused!r}"
        assert app.focused is results.scene_table or app.focused is results.detections


async def test_cancel_through_the_palette_leaves_the_focus_in_results(build_app, ui_hub):
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        results = await look_up(pilot, "beach", "r")
        await pilot.press("2")  # the detections list has the focus, then a fresh lookup loads it
        assert app.focused is results.detections
        ui_hub.inject("animetrace", "latency", seconds=30, path="/v1/search")
        await pilot.press("f")
        await wait_for(pilot, lambda: "characters" in results.running, what="the lookup")
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"cancel the lookup")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert not results.running
        assert _in(app, "results"), f"focus after the palette cancel: {app.focused!r}"
        assert "Copy" in footer_text(app)


# ---------------------------------------------------------------------- remembered choices
def test_theme_list_matches_textual():
    from textual.theme import BUILTIN_THEMES

    from animetui.config import THEMES

    assert set(THEMES) == {"animetui", *BUILTIN_THEMES}


def test_config_refuses_an_unknown_theme(settings):
    import pytest

    from animetui.errors import ConfigError

    with pytest.raises(ConfigError, match="general.theme must be one of"):
        settings.set("general.theme", "bogus")
    settings.set("general.theme", "nord")


async def test_theme_picked_at_runtime_is_saved(build_app, ui_settings):
    from animetui.config import Settings

    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.theme = "nord"  # what the palette's "Change theme" does
        await settle(pilot)
    assert Settings.load().get("general.theme") == "nord"


async def test_rankings_period_limit_and_nsfw_survive_a_restart(build_app):
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("3", "p", "l", "n")
        await settle(pilot)
    again = build_app()
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        rankings = again.query_one(RankingsPane)
        assert (rankings.period, rankings.limit, rankings.include_adult) == ("monthly", 50, True)


# ---------------------------------------------------------------------- the footer
async def test_footer_lists_the_dialog_keys_while_a_dialog_is_open(build_app):
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await pilot.pause()
        assert "Period" in footer_text(app)
        await pilot.press("g")
        await settle(pilot)
        text = footer_text(app)
        assert "Period" not in text and "Scene" not in text, text
        assert "Generate" in text and "Cancel" in text, text
        await pilot.press("escape")
        await settle(pilot)
        assert "Period" in footer_text(app)


async def test_footer_leaves_out_keys_that_type_in_the_path_box(build_app):
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("1")
        await pilot.pause()
        assert "/ Jump" in footer_text(app)
        await pilot.press("o")
        await pilot.pause()
        text = footer_text(app)
        assert "Jump" not in text and " . Hidden" not in text, text
        await pilot.press("slash")
        await pilot.pause()
        assert app.focused.value.endswith("/")


async def test_help_stays_in_the_footer_at_80_columns(build_app):
    app = build_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("3")
        await pilot.pause()
        assert "? Help" in footer_text(app)


async def test_keys_are_shown_as_people_write_them():
    from animetui.ui.bindings import ACTIONS_BY_ID

    assert ACTIONS_BY_ID["mark-tree"].key_display == "*"
    assert ACTIONS_BY_ID["history-mark"].key_display == "Space"


async def test_history_footer_says_esc_like_the_rest(build_app):
    from animetui.ui.widgets.key_footer import KeyFooter

    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        text = str(app.screen.query_one(KeyFooter).render())
        assert "Esc Back" in text and "esc" not in text, text


# ---------------------------------------------------------------------- words
def test_errors_name_the_service_as_users_know_it():
    from animetui.errors import AuthError, ServerError

    assert str(AuthError("wrong email or password", provider="whatanime")) == "whatanimeisthis: wrong email or password"
    assert str(ServerError("whatanimeisthis had a server error (HTTP 500)", provider="whatanime")).count("whatanimeisthis") == 1
    assert str(AuthError("bad key", provider="animetrace")) == "AnimeTrace: bad key"


async def test_demo_sign_in_dialog_names_the_demo_account(build_app):
    from animetui.simulator.whatanime import DEMO_EMAIL, DEMO_PASSWORD
    from animetui.ui.screens.signin import SignInScreen

    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("L")
        await wait_for(pilot, lambda: isinstance(app.screen, SignInScreen), what="the dialog")
        shown = str(app.screen.query_one("#signin-demo").render())
        assert DEMO_EMAIL in shown and DEMO_PASSWORD in shown


async def test_a_typed_url_with_no_picture_is_not_called_expired(build_app):
    from animetui.ui.panes.files import FilesPane

    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("1", "o", *"https://images.example.com/404/missing.png", "enter")
        await settle(pilot)
        preview = app.query_one(FilesPane).preview
        text = " ".join(str(s.render()) for s in preview.query(".image-placeholder"))
        assert "expired" not in text and "HTTP" not in text, text
        assert "no picture at this address" in text, text


async def test_copy_inside_tmux_that_drops_osc52_says_so(build_app, monkeypatch):
    import animetui.ui.clipboard as clipboard

    monkeypatch.setenv("TMUX", "/tmp/tmux-0/default,1,0")
    monkeypatch.setattr(clipboard.subprocess, "run", lambda *a, **k: clipboard.subprocess.CompletedProcess(a, 0, "external\n", ""))
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("3", "c")
        await pilot.pause()
        last = [n for n in app._notifications if n.title == "Clipboard"][-1]
        assert "set -g set-clipboard on" in last.message and "may not" in last.message, last.message
        assert app.clipboard  # the copy itself still happened


async def test_cancelling_a_job_shows_one_toast(build_app):
    from animetui.models import JobState
    from animetui.ui.panes.jobs import JobsPane

    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await highlight_file(pilot, "portrait")
        await pilot.press("a", "enter", "y")  # y: the cost question
        jobs = app.query_one(JobsPane)
        await wait_for(pilot, lambda: any(j.state is JobState.RUNNING for j in jobs.jobs.values()), what="a running job")
        before = len(app._notifications)
        await pilot.press("4", "x")
        await wait_for(pilot, lambda: all(j.state.terminal for j in jobs.jobs.values()), what="the cancel")
        await settle(pilot)
        assert all(j.state is JobState.CANCELLED for j in jobs.jobs.values())
        toasts = list(app._notifications)[before:]
        assert len([n for n in toasts if "cancel" in (n.title + n.message).lower()]) == 1, [(n.title, n.message) for n in toasts]


async def test_whatanimeisthis_credits_show_at_start_after_a_restart(build_app):
    from animetui.ui.widgets.status_header import StatusHeader

    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        results = await look_up(pilot, "beach", "s")
        left = results.scene.credits_left
        assert left is not None
        shown = app.query_one(StatusHeader).credits["whatanime"]
    again = build_app()
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        header = again.query_one(StatusHeader)
        assert header.credits.get("whatanime") == shown, (header.credits, shown)


# ---------------------------------------------------------------------- ask or undo
async def test_history_delete_asks_first_and_no_keeps_everything(build_app, ui_settings):
    from test_history_ui import open_history, seed_history

    from animetui.ui.screens.confirm import ConfirmScreen

    seed_history(ui_settings.data_dir / "history.sqlite3", 4)
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_history(pilot)
        await pilot.press("space", "space", "d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "2 lookups" in str(app.screen.title_text)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen and screen.table.row_count == 4


async def test_settings_reset_can_be_undone(build_app, ui_settings):
    import tomllib

    from test_accounts import open_settings_at

    ui_settings.set("providers.animeapi.requests_per_minute", 7)
    ui_settings.save()
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_settings_at(pilot, "providers.animeapi.requests_per_minute")
        await pilot.press("d")
        await pilot.pause()
        assert ui_settings["providers.animeapi.requests_per_minute"] == 10
        assert "u puts the old value back" in str(app.screen.query_one("#settings-message").render())
        await pilot.press("u")
        await pilot.pause()
        assert ui_settings["providers.animeapi.requests_per_minute"] == 7
        assert tomllib.loads(ui_settings.path.read_text())["providers"]["animeapi"]["requests_per_minute"] == 7


# ---------------------------------------------------------------------- numbered boxes
def test_label_cells_put_each_number_on_its_box_corner():
    from animetui.pictures.imaging import Box
    from animetui.ui.pictures.labels import label_cells

    boxes = [Box((0.5, 0.5, 0.9, 0.9), 2), Box((0.0, 0.0, 0.3, 0.4), 1, weak=True), Box((0.99, 0.99, 1.0, 1.0), 3)]
    labels = label_cells(boxes, 40, 20, "halfcell")
    assert [(label.text, label.x, label.y) for label in labels] == [("1?", 0, 0), ("2", 19, 9), ("3", 38, 19)]
    assert label_cells(boxes, 40, 20, "sixel") == [], "Sixel/Kitty draw the numbers into the pixels"


async def test_half_block_picture_numbers_its_boxes(build_app):
    from animetui.ui.pictures.labels import BoxLabel

    app = build_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        results = await look_up(pilot, "beach", "r")
        labels = list(results.image.query(BoxLabel))
        assert sorted(str(label.render()) for label in labels) == ["1", "2"]
        picture = results.image._inner.region
        for label in labels:
            assert picture.contains_region(label.region), (label.region, picture)


async def test_half_block_box_numbers_stay_mounted_when_the_highlight_moves(build_app):
    from textual.color import Color

    from animetui.pictures.imaging import box_colour_hex
    from animetui.ui.pictures.labels import BoxLabel, _dim

    app = build_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        results = await look_up(pilot, "beach", "r")
        before = {str(label.render()): label for label in results.image.query(BoxLabel)}
        assert before["1"].styles.background == Color.parse(box_colour_hex(1))  # the highlighted box
        assert before["2"].styles.background == Color.parse(_dim(box_colour_hex(2)))
        results.detections.focus()
        await pilot.press("down")
        await settle(pilot)
        after = {str(label.render()): label for label in results.image.query(BoxLabel)}
        assert after.keys() == before.keys() and all(after[k] is before[k] for k in after), "changed in place"
        assert after["1"].styles.background == Color.parse(_dim(box_colour_hex(1)))
        assert after["2"].styles.background == Color.parse(box_colour_hex(2))
        picture = results.image._inner.region
        assert all(picture.contains_region(label.region) for label in after.values())


async def test_history_detail_of_a_character_lookup_shows_its_boxes(build_app):
    from animetui.ui.screens.history import HistoryScreen
    from animetui.ui.pictures.labels import BoxLabel
    from animetui.ui.pictures.view import ImageView

    app = build_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await look_up(pilot, "beach", "r")
        await pilot.press("h")
        await settle(pilot)
        assert isinstance(app.screen, HistoryScreen)
        await pilot.press("enter")
        await settle(pilot)
        image = app.screen.query_one("#history-image", ImageView)
        assert len(image._boxes) == 2
        assert sorted(str(label.render()) for label in image.query(BoxLabel)) == ["1", "2"]


# ---------------------------------------------------------------------- 80×24
async def test_at_80x24_the_panes_say_how_to_see_the_pictures(build_app):
    from animetui.ui.panes.files import FilesPane

    app = build_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await highlight_file(pilot, "beach")
        assert "z: preview" in str(app.query_one("#files-source").render())
        await pilot.press("r")
        await settle(pilot)
        assert "z: picture" in str(app.query_one("#results-status").render())
        await pilot.press("2", "z")
        await settle(pilot)
        results = app.query_one(ResultsPane)
        assert results.image.display and "z: picture" not in str(app.query_one("#results-status").render())
        assert app.query_one(FilesPane)


# ---------------------------------------------------------------------- nothing cut where it matters
async def test_jobs_columns_fit_the_pane_and_the_result_shows_when_there_is_room(build_app):
    from animetui.ui.panes.jobs import JobsPane

    for size, with_result in (((120, 40), False), ((160, 48), True), ((220, 50), True)):
        app = build_app()
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            jobs = app.query_one(JobsPane)
            table = jobs.table
            labels = [str(c.label) for c in table.columns.values()]
            assert "State" in labels and "Prompt / source" in labels, labels
            assert ("Result" in labels) is with_result, (size, labels)
            used = sum(c.get_render_width(table) for c in table.columns.values())
            assert used <= jobs.content_size.width, (size, used, jobs.content_size.width)


async def test_the_ai_verdict_fits_the_characters_line_at_120x40(build_app):
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await look_up(pilot, "flat", "b")
        title = app.query_one("#chars-title")
        text = str(title.render())
        assert "AI-generated" in text, text
        room = title.content_size.width
        end = text.index("AI-generated") + len("AI-generated: no")
        assert end <= room, (text, room)


async def test_long_titles_end_in_an_ellipsis_and_tables_never_scroll_sideways(build_app):
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        rankings = app.query_one(RankingsPane)
        table = rankings.query_one("#rankings-table")
        await pilot.press("3", "end")
        await settle(pilot)
        assert table.max_scroll_x == 0 and table.scroll_x == 0, (table.virtual_size, table.size)
        lines = [strip.text for strip in table.render_lines(table.region.reset_offset)]  # what is on screen
        long = [line for line in lines if "…" in line]
        assert long, lines


def test_a_long_saved_name_is_cut_in_the_middle():
    from animetui.ui.panes.jobs import middle_cut

    name = "2026-12-01_2121_a-girl-with-a-red-umbrella-under-the-cherry-tree_ab12cd.png"
    cut = middle_cut(name, 30)
    assert len(cut) == 30 and cut.startswith("2026-12-01_2121") and cut.endswith("ab12cd.png") and "…" in cut
    assert middle_cut("short.png", 30) == "short.png"


async def test_the_saved_theme_colours_the_first_frame(build_app, ui_settings):
    """The theme set in AnimeTUI.__init__ reaches the stylesheet's variables without the second
    parse Textual's theme watcher asks for (AnimeTUI.refresh_css); later changes restyle as usual."""
    from textual.color import Color

    ui_settings.set("general.theme", "nord")
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        nord = app.get_theme("nord")
        assert app.theme == "nord" and nord is not None and nord.background is not None
        assert app.screen.styles.background == Color.parse(nord.background)
        app.theme = "animetui"
        await settle(pilot)
        assert app.screen.styles.background == Color.parse("#1c1c1c")
