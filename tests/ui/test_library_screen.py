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


async def test_the_add_folder_box_offers_to_watch_the_folder(build_app, ui_settings, show_dir, monkeypatch):
    """``a`` in the Library screen, like ``library add DIR --watch``: a box to tick (Tab, Space)
    watches the folder for new episodes; the folder row says "watching"."""
    LibraryScreen = _screen(None, monkeypatch)
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("I")
        await wait_for(pilot, lambda: isinstance(app.screen, LibraryScreen) and app.screen.loads >= 1, what="the Library screen")
        screen = app.screen
        await pilot.press("a")
        await wait_for(pilot, lambda: app.screen is not screen, what="the folder box")
        dialog = app.screen
        dialog.query_one("#ask-text").value = str(show_dir)
        assert dialog.query_one("#watch").value is False  # off unless asked
        await pilot.press("tab", "space")
        assert dialog.query_one("#watch").value is True
        await pilot.press("enter")  # Enter on the box adds the folder (it does not untick it)
        await wait_for(pilot, lambda: app.screen is screen and screen.view is not None and len(screen.view.folders) == 1,
                       what="the folder listed")
        assert screen.view.folders[0].watch and "watched for new episodes" in screen.note
        await wait_for(pilot, lambda: "watching" in [str(c) for c in screen.table.get_row_at(0)][4], what="the watching row")


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


async def test_indexing_is_a_job_in_the_jobs_pane(build_app, ui_settings, show_dir, monkeypatch):
    """R on the Library screen submits the ``index`` job through the app's runner; the Jobs pane
    shows it as an ordinary job (progress, file, ETA); Enter opens the Library screen, x cancels
    it (the worker is told), R resumes it as a new job without a cost question. The indexer
    process is a stand-in here (tests/library/test_index_job.py runs the real one)."""
    from animetui.jobs.index import INDEX
    from animetui.library import control
    from animetui.library.control import JobView, Overview
    from animetui.models import JobState
    from animetui.ui.screens.library import LibraryScreen

    control.add_folder(ui_settings.data_dir, str(show_dir), start=False)
    calls: dict[str, list] = {"start": [], "stop": []}
    view = JobView(state="running", progress=0.4, eta=100.0, current=str(show_dir / "x.mp4"), message="", running=True)
    monkeypatch.setattr(INDEX, "look", lambda data_dir: (Overview(exists=True, job=view), 2))
    monkeypatch.setattr(INDEX, "start_worker", lambda data_dir, params, fresh: calls["start"].append(fresh))
    monkeypatch.setattr(INDEX, "stop_worker", lambda data_dir: calls["stop"].append(data_dir))
    monkeypatch.setattr(INDEX, "poll_seconds", 0.02)
    app = build_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        pane = app.query_one("#jobs")
        await pilot.press("I")
        await wait_for(pilot, lambda: isinstance(app.screen, LibraryScreen), what="the Library screen")
        await pilot.press("R")
        await wait_for(pilot, lambda: any(str(j.kind) == "index" and j.params.get("progress") == 0.4 for j in pane.jobs.values()),
                       what="the index job with its progress")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, LibraryScreen), what="back")
        (job,) = [j for j in pane.jobs.values() if str(j.kind) == "index"]
        assert calls["start"] == [True] and job.state is JobState.RUNNING
        await pilot.press("4")
        pane.table.move_cursor(row=pane._order.index(job.id))
        await settle(pilot)
        row = dict(zip(pane._keys, (str(c) for c in pane.table.get_row(job.id))))  # the columns the width allows
        assert row["what"] == "40 % · x.mp4" and "running" in row["state"], row
        assert row.get("kind", "index") == "index"
        detail = str(pane.query_one("#job-detail").render())
        assert "library indexing" in detail and "ETA 1:40" in detail, detail
        await pilot.press("enter")  # Enter on the indexing job: the Library screen
        await wait_for(pilot, lambda: isinstance(app.screen, LibraryScreen), what="the Library screen from the row")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, LibraryScreen), what="back again")
        pane.table.focus()
        pane.table.move_cursor(row=pane._order.index(job.id))
        await settle(pilot)
        await pilot.press("x")
        await wait_for(pilot, lambda: pane.jobs[job.id].state is JobState.CANCELLED and bool(calls["stop"]), what="cancelled, worker told")
        await settle(pilot)
        pane.table.move_cursor(row=pane._order.index(job.id))
        await pilot.press("R")  # free: no key check, no cost question; a new job, the indexer resumes
        await wait_for(pilot, lambda: sum(str(j.kind) == "index" for j in pane.jobs.values()) == 2 and len(calls["start"]) == 2,
                       what="the resumed job")
        from animetui.ui.screens.confirm import ConfirmScreen

        assert not isinstance(app.screen, ConfirmScreen) and calls["start"] == [True, True]
