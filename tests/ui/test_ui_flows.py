"""Pilot tests: the flows a person drives with the keyboard in ``animetui --demo``.

Find an image, run both lookups, move through detections, switch ranking periods, page recent
searches, start a text-to-image and a photo-to-anime job and see them finish (advancing the
simulators' clock), quit while jobs run. All against the in-process simulators.
"""

from __future__ import annotations

from pathlib import Path

from animetui.ui.screens.cartoonize import CartoonizeScreen
from animetui.ui.screens.generate import GenerateScreen
from ui_helpers import highlight_file, look_up, open_screen, settle, wait_for

from animetui.models import JobState
from animetui.ui.panes.grid import PaneGrid
from animetui.ui.panes.files import FilesPane
from animetui.ui.panes.jobs import JobsPane
from animetui.ui.panes.rankings import RECENT_PAGE, RankingsPane
from animetui.ui.panes.results import ResultsPane
from animetui.ui.pictures.view import ImageView
from animetui.ui.screens.confirm import ConfirmScreen


async def test_find_image_run_both_and_move_through_detections(build_app, pictures):
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await highlight_file(pilot, "beach")
        files = app.query_one(FilesPane)
        assert files.source is not None and files.source.path == pictures / "beach_duo.png"

        await pilot.press("b")
        await settle(pilot)
        results = app.query_one(ResultsPane)
        assert results.source == files.source
        assert results.scene is not None and results.scene.matches, "scene search showed matches"
        assert results.characters is not None and len(results.characters.detections) == 2
        assert results.scene_table.row_count == len(results.shown) == len(results.scene.matches) - results.hidden_adult
        assert not results.errors

        # the picture carries the boxes; moving through the detections moves the highlight
        image = results.image
        assert len(image._boxes) == 2 and image._highlight == 1
        results.detections.focus()
        await pilot.press("down")
        await settle(pilot)
        assert results.detections.selected_number == 2
        assert image._highlight == 2

        # copy the highlighted character's name (OSC 52 through Textual)
        await pilot.press("c")
        assert app.clipboard == results.characters.detections[1].candidates[0].character


async def test_each_lookup_key_runs_only_its_lookup(build_app, ui_hub):
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await highlight_file(pilot, "classroom")
        before = len(ui_hub.requests_to("animetrace"))
        await pilot.press("s")
        await settle(pilot)
        results = app.query_one(ResultsPane)
        assert results.scene is not None and results.characters is None
        assert len(ui_hub.requests_to("animetrace")) == before
        await pilot.press("r")
        await settle(pilot)
        assert results.characters is not None
        assert results.scene is not None, "a character lookup on the same image keeps the scene answer"


async def test_a_new_lookup_cancels_the_one_in_flight(build_app, ui_hub):
    ui_hub.inject("whatanime", "latency", seconds=30, path="/api/anime/search")
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await highlight_file(pilot, "beach")
        await pilot.press("s")
        results = app.query_one(ResultsPane)
        await wait_for(pilot, lambda: "scene" in results.running, what="the first lookup to start")
        first = [w for w in app.workers if w.group == "lookup"]
        await highlight_file(pilot, "portrait", wait=False)
        await pilot.press("s")
        await settle(pilot)
        assert all(w.is_cancelled for w in first)
        assert results.source is not None and results.source.label == "portrait.jpg"
        assert results.scene is not None and "scene" not in results.errors


async def test_lookup_error_is_a_line_and_a_notification(build_app, ui_hub):
    ui_hub.inject("whatanime", "server_error", times=None, path="/api/anime/search")
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        results = await look_up(pilot, "beach", "b")
        assert "scene" in results.errors and "Traceback" not in results.errors["scene"]
        assert results.characters is not None, "the other lookup still answered"
        title = str(app.query_one("#scene-title").render())
        assert "✗" in title
        assert any("Scene search failed" in (n.title or "") for n in app._notifications)


async def test_cancel_key_stops_the_lookup(build_app, ui_hub):
    ui_hub.inject("animetrace", "latency", seconds=30, path="/v1/search")
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await highlight_file(pilot, "beach")
        await pilot.press("r")
        results = app.query_one(ResultsPane)
        await wait_for(pilot, lambda: "characters" in results.running, what="the lookup to start")
        await pilot.press("2", "x")
        await settle(pilot)
        assert not results.running
        assert results.errors.get("characters") == "cancelled"


async def test_switch_ranking_periods_and_page_recent_searches(build_app, ui_hub):
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        rankings = app.query_one(RankingsPane)
        assert rankings.period == "weekly" and rankings.rankings
        first = list(rankings.rankings)
        calls = len(ui_hub.requests_to("whatanime"))

        await pilot.press("3", "p")
        await settle(pilot)
        assert rankings.period == "monthly"
        assert len(ui_hub.requests_to("whatanime")) > calls
        assert rankings.rankings and rankings.rankings != first

        await pilot.press("l")
        await settle(pilot)
        assert rankings.limit == 50
        assert not rankings.include_adult
        await pilot.press("n")
        await settle(pilot)
        assert rankings.include_adult

        await pilot.press("t")
        await settle(pilot)
        assert rankings.active_tab == "tab-recent"
        assert len(rankings.recent) == RECENT_PAGE
        await pilot.press("ctrl+end")
        await settle(pilot)
        assert len(rankings.recent) > RECENT_PAGE, "reaching the end loaded the next page"


async def test_generate_and_cartoonize_jobs_run_to_the_end(build_app, ui_hub, clock, pictures):
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_screen(pilot, "g", GenerateScreen)
        await pilot.press(*"a girl reading under a cherry tree")
        await pilot.press("ctrl+s", "y")  # y: the cost question (general.confirm_paid)
        await settle(pilot)
        jobs = app.query_one(JobsPane)
        await wait_for(pilot, lambda: len(jobs.jobs) == 1, what="the generate job")

        await highlight_file(pilot, "portrait")
        await open_screen(pilot, "a", CartoonizeScreen)
        await pilot.press("down", "enter", "y")  # style 3 (the default in the settings is 2); y: the cost
        await wait_for(pilot, lambda: len(jobs.jobs) == 2, what="the cartoonize job")
        cartoon = next(j for j in jobs.jobs.values() if j.kind.value == "cartoonize")
        assert cartoon.params["style"] == 3
        assert cartoon.params["source"] == str((pictures / "portrait.jpg").resolve())

        # both jobs are due once the simulators' clock has moved on; then wait for the runner to
        # see it (real time, however slow the machine), not for a fixed number of 0.1 s naps
        submitted = lambda: all(j.state not in (JobState.QUEUED, JobState.SUBMITTING) for j in jobs.jobs.values())  # noqa: E731
        await wait_for(pilot, submitted, what="both jobs submitted")
        clock.advance(120)
        await wait_for(pilot, lambda: all(job.state.terminal for job in jobs.jobs.values()), what="the jobs to end")
        states = {job.kind.value: job.state for job in jobs.jobs.values()}
        assert states == {"generate": JobState.SUCCEEDED, "cartoonize": JobState.SUCCEEDED}
        for job in jobs.jobs.values():
            assert job.result_path and Path(job.result_path).exists()
        assert jobs.table.row_count == 2
        assert any(n.title == "Job finished" for n in app._notifications)


async def test_quitting_while_a_job_runs_asks_and_says_it_resumes(build_app, pictures):
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await highlight_file(pilot, "portrait")
        await pilot.press("a", "enter", "y")  # y: the cost question
        jobs = app.query_one(JobsPane)
        await wait_for(pilot, lambda: any(j.state is JobState.RUNNING for j in jobs.jobs.values()), what="a running job")
        # the key reaches the binding through several messages: wait for the question itself
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the quit question")
        assert "resumes the next time you start animetui" in app.screen.message
        await pilot.press("n")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmScreen), what="the question to close")
        await settle(pilot)
        assert app.is_running
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the quit question again")
        await pilot.press("y")
        await wait_for(pilot, lambda: not app.is_running, what="the app to exit")
    assert app.return_value == 0
    running = [j for j in app.runner.list() if not j.state.terminal]
    assert running, "the job was left running (it resumes on the next start)"


async def test_panes_maximise_and_hide(build_app):
    app = build_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2", "z")
        assert app.screen.maximized is app.query_one(ResultsPane)
        await pilot.press("z")
        assert app.screen.maximized is None
        grid = app.query_one(PaneGrid)
        await pilot.press("f4")
        assert "rankings" in grid.hidden and not app.query_one(RankingsPane).display
        await pilot.press("f4")
        assert not grid.hidden and app.query_one(RankingsPane).display
        await pilot.press("3")
        assert app.focused is not None and app.query_one(RankingsPane) in app.focused.ancestors_with_self


async def test_files_pane_location_box_and_hidden_toggle(build_app, pictures):
    (pictures / ".secret.png").write_bytes((pictures / "classroom.png").read_bytes())
    (pictures / "notes.txt").write_text("not an image")
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        files = app.query_one(FilesPane)
        names = [n.data.path.name for n in files.tree.visible_nodes() if not n.is_root]
        assert "notes.txt" not in names and ".secret.png" not in names
        assert "flat_sky.png" in names
        await pilot.press("full_stop")
        await settle(pilot)
        names = [n.data.path.name for n in files.tree.visible_nodes() if not n.is_root]
        assert ".secret.png" in names

        await pilot.press("o", *"https://example.org/frame.png", "enter")
        await settle(pilot)
        assert files.source is not None and files.source.url == "https://example.org/frame.png"

        await pilot.press("o", *str(pictures / "portrait.jpg"), "enter")
        await settle(pilot)
        assert files.source is not None and files.source.path == pictures / "portrait.jpg"
        assert files.preview.key == str(pictures / "portrait.jpg")


async def test_help_lists_every_key(build_app):
    from animetui.ui.bindings import ACTIONS
    from animetui.ui.screens.help import HelpScreen

    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        from rich.console import Console

        console = Console(width=300, record=True)
        console.print(app.screen.query_one("#help-body").content)
        plain = console.export_text()
        for action in ACTIONS:
            assert action.help in plain or not action.keys, action.id  # unbound: the vim preset's moves
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_command_palette_runs_pane_actions(build_app):
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        from textual.command import CommandPalette
        from textual.widgets import OptionList

        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette) and app.screen.focused is not None, what="the palette")
        await pilot.press(*"next ranking period")

        def found() -> bool:  # the search runs in the palette's workers: wait for its answer
            palette = app.screen
            if not isinstance(palette, CommandPalette) or palette.query_one(OptionList).highlighted is None:
                return False
            options = palette.query_one(OptionList)
            prompt = options.get_option_at_index(options.highlighted).prompt
            return "next ranking period" in getattr(prompt, "plain", str(prompt)).casefold()

        await wait_for(pilot, found, what="the palette's match")
        await settle(pilot)  # the search is done: the highlighted match stays
        assert found()
        await pilot.press("enter")
        await settle(pilot)
        assert app.query_one(RankingsPane).period == "monthly"


async def test_hostile_server_strings_are_shown_as_text(build_app, ui_hub):
    ui_hub.inject("whatanime", "hostile", times=None)
    ui_hub.inject("animetrace", "hostile", times=None)
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        results = await look_up(pilot, "beach", "b")
        assert not results.errors, results.errors
        titles = [m.title for m in results.scene.matches]
        assert any("[bold red]PWNED[/]" in t for t in titles) or any("\x1b" not in t for t in titles)
        screen_text = app.export_screenshot()
        assert "\x1b]52" not in screen_text and "\x1b[2J" not in screen_text


async def test_pictures_off_renderer_shows_text(build_app):
    app = build_app(renderer="none")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await highlight_file(pilot, "beach")
        view = app.query_one("#files-preview", ImageView)
        assert view._inner is None
        assert "renderer: none" in str(view.query_one(".image-placeholder").render())


async def test_services_that_fail_to_start_are_reported_not_crashed(build_app):
    from animetui.errors import AnimetuiError

    class BrokenRunner:
        async def start(self) -> None:
            raise AnimetuiError("the job journal is locked by another program")

    app = build_app(runner=BrokenRunner())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert any("journal is locked" in str(n.message) for n in app._notifications)
        results = await look_up(pilot, "beach", "b")
        assert "journal is locked" in results.errors["scene"]
        assert app.is_running


async def test_only_the_focused_pane_has_the_focus_border(build_app):
    """The border is an inline style (no :focus-within restyle of whole panes); it follows the focus."""
    from textual.color import Color

    from animetui.ui.main_screen import MainScreen
    from animetui.ui.panes.base import Pane

    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
        primary = Color.parse(app.theme_variables["primary"])

        def bordered() -> list[str]:
            return [p.id for p in app.query(Pane) if p.styles.inline.has_rule("border_top")]

        for key, pane_id in (("2", "results"), ("3", "rankings"), ("4", "jobs"), ("1", "files")):
            await pilot.press(key)
            await pilot.pause()
            assert bordered() == [pane_id], (key, bordered())
            pane = app.query_one(f"#{pane_id}", Pane)
            assert pane.styles.border_top[1] == primary and pane.styles.border_title_color == primary


async def test_footer_follows_the_focus_and_a_click_presses_the_key(build_app):
    from animetui.ui.screens.help import HelpScreen
    from animetui.ui.widgets.key_footer import KeyFooter

    app = build_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        footer = app.query_one(KeyFooter)
        await pilot.press("3")
        await pilot.pause()
        text = str(footer.render())
        assert "Period" in text and "^p palette" in text
        await pilot.press("1")
        await pilot.pause()
        text = str(footer.render())
        assert "Period" not in text and "Jump" in text
        start = next(start for start, _end, key in footer._spans if key.description == "Help")
        await pilot.click(KeyFooter, offset=(start + 1, 0))
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="the help screen")


async def test_files_tree_keeps_its_lines_across_focus_moves_but_not_a_theme_change(build_app):
    from textual.geometry import Region

    from animetui.ui.widgets.image_tree import ImageTree

    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await highlight_file(pilot, "beach")
        tree = app.query_one(ImageTree)
        region = Region(0, 0, tree.size.width, tree.size.height)

        def drawn() -> list[str]:
            return ["".join(f"{s.text}|{s.style}" for s in strip) for strip in tree.render_lines(region)]

        labels = 0
        render_label = tree.render_label

        def counted(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - called only when a line is not cached
            nonlocal labels
            labels += 1
            return render_label(*args, **kwargs)

        tree.render_label = counted  # type: ignore[method-assign]
        await pilot.press("1")
        await wait_for(pilot, lambda: app.focused is tree, what="the tree focused")
        await settle(pilot)
        focused = drawn()
        await pilot.press("2")
        await wait_for(pilot, lambda: app.focused is not tree, what="the focus out of the tree")
        await settle(pilot)
        blurred = drawn()
        assert blurred != focused, "the cursor looks different without the focus"
        labels = 0
        await pilot.press("1")
        await wait_for(pilot, lambda: app.focused is tree, what="the tree focused again")
        await settle(pilot)
        # the cursor's own line is drawn again (its node is touched when the focus returns); no other
        assert drawn() == focused and labels <= 1, f"focused lines reused ({labels} drawn again), and right"
        app.theme = "textual-light"
        await settle(pilot)
        assert drawn() != focused and labels > 0, "a new theme draws the lines again"


async def test_jump_box_keeps_the_tree_lines_and_typing_lays_nothing_out(build_app):
    """Opening or closing the jump box only changes the tree's height: its lines stay cached and
    right; a key typed into the box repaints the box without laying out the screen."""
    from textual.geometry import Region

    from animetui.ui.widgets.image_tree import ImageTree

    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await highlight_file(pilot, "beach")
        tree = app.query_one(ImageTree)
        await pilot.press("1")
        await wait_for(pilot, lambda: app.focused is tree, what="the tree focused")
        await settle(pilot)
        labels = 0
        render_label = tree.render_label

        def counted(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202 - called only when a line is not cached
            nonlocal labels
            labels += 1
            return render_label(*args, **kwargs)

        tree.render_label = counted  # type: ignore[method-assign]
        height = tree.size.height
        await pilot.press("slash")
        jump = app.query_one("#jump")
        await wait_for(pilot, lambda: app.focused is jump and tree.size.height < height, what="the jump box open")
        await settle(pilot)
        assert labels <= 1, f"the tree drew {labels} lines again for a height change (the cursor's may change: focus)"
        layouts = 0
        real_refresh = jump.refresh

        def counting_refresh(*regions, **kwargs):  # noqa: ANN002, ANN003, ANN202
            nonlocal layouts
            layouts += bool(kwargs.get("layout"))
            return real_refresh(*regions, **kwargs)

        jump.refresh = counting_refresh  # type: ignore[method-assign]
        await pilot.press("c", "l")
        await wait_for(pilot, lambda: tree.highlighted_path is not None and tree.highlighted_path.name.startswith("cl"), what="the jump")
        await settle(pilot)
        assert layouts == 0, f"typing asked for {layouts} layouts of the screen"
        assert jump.value == "cl" and "cl" in "".join(s.text for s in jump.render_line(0))
        del jump.refresh
        labels = 0
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.focused is tree and tree.size.height == height, what="the jump box closed")
        await settle(pilot)
        region = Region(0, 0, tree.size.width, tree.size.height)
        lines = ["".join(s.text for s in strip) for strip in tree.render_lines(region)]
        assert labels <= 2 and any("classroom" in line for line in lines), f"{labels} lines drawn again (the two cursor lines may be)"
