"""The Library screen (issue 15): ``I`` opens it; folders, files, indexed hours, the job's
progress; ``a`` adds a folder, ``t`` corrects a title, ``p``/``x`` steer the job, Esc goes back.
Over a real (tiny) library: two short synthetic videos indexed by the real indexer. The
background worker is not started (``start_worker=False``): the screen is what is tested here."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from ui_helpers import settle, wait_for

sys.path.insert(0, str(Path(__file__).parents[1] / "library"))
pytest.importorskip("av")
pytest.importorskip("faiss")

SIZE = (120, 36)


@pytest.fixture(scope="module")
def show_dir(tmp_path_factory):
    from library_synth import make_video

    root = tmp_path_factory.mktemp("lib-videos") / "My Show"
    root.mkdir()
    make_video(root / "[Grp] My Show - 01 [360p].mp4", seconds=4, seed=21, width=320, height=180)
    make_video(root / "[Grp] My Show - 02 [360p].mp4", seconds=4, seed=22, width=320, height=180)
    return root


def _index(data_dir: Path) -> None:
    from animetui.library.db import LibraryDB, default_path
    from animetui.library.index import FaissIndex
    from animetui.library.indexer import run

    with LibraryDB(default_path(data_dir)) as db:
        index = FaissIndex(db)
        run(db, index)
        index.close()


def _screen(app, monkeypatch):  # noqa: ANN001, ANN202
    from animetui.ui.screens.library import LibraryScreen

    real = LibraryScreen.__init__

    def no_worker(self, *args, **kwargs):  # noqa: ANN001, ANN202
        kwargs["start_worker"] = False
        kwargs["poll"] = 0
        real(self, *args, **kwargs)

    monkeypatch.setattr(LibraryScreen, "__init__", no_worker)
    return LibraryScreen


async def test_library_screen_add_index_title_and_back(build_app, ui_settings, show_dir, monkeypatch):
    LibraryScreen = _screen(None, monkeypatch)
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("I")
        await wait_for(pilot, lambda: isinstance(app.screen, LibraryScreen) and app.screen.loads >= 1, what="the Library screen")
        screen = app.screen
        assert not screen.view.exists and "No library yet" in str(screen.query_one("#library-job").render())
        footer = str(screen.query_one("KeyFooter").render())
        assert "Add folder" in footer and "Rescan" in footer and "Back" in footer
        # a: add the folder (typed in the box)
        await pilot.press("a")
        await wait_for(pilot, lambda: app.screen is not screen, what="the folder box")
        box = app.screen.query_one("#ask-text")
        box.value = str(show_dir)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen and screen.view is not None and len(screen.view.folders) == 1,
                       what="the folder listed")
        folder = screen.view.folders[0]
        assert folder.files == 2 and folder.indexed_files == 0 and "2 new" in screen.note
        # the (foreground) indexer runs; the screen shows what it did
        _index(ui_settings.data_dir)
        loads = screen.loads
        screen.refresh_view()
        await wait_for(pilot, lambda: screen.loads > loads, what="a fresh read")
        row = [str(c) for c in screen.table.get_row_at(0)]
        assert row[2] == "2/2" and "of" in row[3] and "(from file names)" in row[1]
        assert "idle" in str(screen.query_one("#library-job").render())
        # t: correct the title
        await pilot.press("t")
        await wait_for(pilot, lambda: app.screen is not screen, what="the title box")
        app.screen.query_one("#ask-text").value = "My Corrected Show"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen and screen.view.folders[0].title == "My Corrected Show",
                       what="the new title")
        # the search now answers with it
        from animetui.library.db import LibraryDB, default_path

        with LibraryDB(default_path(ui_settings.data_dir)) as db:
            assert {f.title for f in db.files()} == {"My Corrected Show"}
        # x with nothing running says so; Esc goes back to the panes
        await pilot.press("x")
        await wait_for(pilot, lambda: "no indexing job" in screen.note, what="the cancel line")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, LibraryScreen), what="back to the panes")


async def test_library_is_in_the_palette_and_e_offers_it(build_app, ui_settings, show_dir, monkeypatch):
    from animetui.library import control

    LibraryScreen = _screen(None, monkeypatch)
    control.add_folder(ui_settings.data_dir, str(show_dir), start=False)
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        seen = []
        for _ in range(4):  # e cycles: each engine present here, then all
            app.main_screen.action_cycle_scene_engine()
            seen.append(app.results_pane.engine_choice)
        assert "local" in seen and "all" in seen
        await app.run_action("screen('library', 'rescan')")
        await wait_for(pilot, lambda: isinstance(app.screen, LibraryScreen) and "0 new" in app.screen.note, what="rescan from the palette")


async def test_no_library_no_local_engine(build_app, ui_settings):
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        seen = set()
        for _ in range(4):
            app.main_screen.action_cycle_scene_engine()
            seen.add(app.results_pane.engine_choice)
        assert "local" not in seen


async def test_indexing_shows_in_the_jobs_pane(build_app, ui_settings, show_dir, monkeypatch):
    """The indexer's state (another process, in library.sqlite3) is a row of the Jobs pane:
    progress, ETA, the file; killed mid-way it says "interrupted" and R resumes it."""
    from animetui.library import control
    from animetui.library import db as dbm
    from animetui.ui.panes import library_row

    control.add_folder(ui_settings.data_dir, str(show_dir), start=False)
    started = []
    monkeypatch.setattr(control, "_start", lambda data_dir, config, watch=False: started.append(data_dir) or "indexing in the background")
    with dbm.LibraryDB(dbm.default_path(ui_settings.data_dir)) as db:
        db.set_job(state=dbm.RUNNING, seconds_total=100.0, seconds_done=40.0, rate=2.0, current=str(show_dir / "x.mp4"))
    app = build_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        pane = app.query_one("#jobs")
        await wait_for(pilot, lambda: pane.library is not None, what="the library row")
        table = pane.table
        row = dict(zip(pane._keys, (str(c) for c in table.get_row(library_row.ROW_KEY))))  # the columns the width allows
        assert "interrupted" in row["state"] and row["what"] == "40 % · x.mp4", row
        assert row.get("kind", "index") == "index"
        await pilot.press("4")
        table.move_cursor(row=table.row_count - 1)
        await settle(pilot)
        assert pane.on_library_row and "library indexing" in str(pane.query_one("#job-detail").render())
        await pilot.press("enter")  # Enter on the row: the Library screen
        from animetui.ui.screens.library import LibraryScreen

        await wait_for(pilot, lambda: isinstance(app.screen, LibraryScreen), what="the Library screen from the row")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, LibraryScreen), what="back")
        pane.table.focus()
        table.move_cursor(row=table.row_count - 1)
        await settle(pilot)
        await pilot.press("R")
        await wait_for(pilot, lambda: bool(started), what="the indexer asked to resume")
        with dbm.LibraryDB(dbm.default_path(ui_settings.data_dir)) as db:
            assert db.job().state == dbm.RUNNING  # interrupted (RUNNING with no worker): the worker picks it up
