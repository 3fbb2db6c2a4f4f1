"""Pilot tests for the history screen (h), fresh lookups (f) and batches (m/M, B).

All against the in-process simulators: lookups made in the app land in the history; the history
filters, pages, opens offline (no request), deletes and exports; a batch over marked files runs
with progress, pauses, resumes, cancels, exports and is offered again after a restart.
"""

from __future__ import annotations

import json
from pathlib import Path

from ui_helpers import highlight_file, look_up, open_screen, settle, wait_for

from animetui.history import History
from animetui.models import SceneMatch, SceneResult
from animetui.ui.panes.files import FilesPane
from animetui.ui.panes.results import ResultsPane
from animetui.ui.pictures.view import ImageView
from animetui.ui.screens.batch import BatchScreen, BatchStartScreen
from animetui.ui.screens.confirm import ConfirmScreen
from animetui.ui.screens.history import PAGE, HistoryScreen


def seed_history(path: Path, count: int, *, start: float = 1_767_225_600.0, source_path: str | None = None, thumbnail: bytes | None = None) -> None:
    history = History(path)
    try:
        for n in range(count):
            title = "Frieren" if n % 10 == 0 else f"Show {n}"
            history.add(
                kind="scene",
                provider="whatanime",
                sha256=f"{n:064x}",
                params={},
                result=SceneResult(matches=(SceneMatch(title=title, episode=str(n % 12 + 1), start=60.0, end=62.0, similarity=0.93),)),
                source_label=f"shot_{n:05d}.png",
                source_path=source_path or f"/gone/shot_{n:05d}.png",
                thumbnail=thumbnail,
                created_at=start + n,
            )
    finally:
        history.close()


async def open_history(pilot) -> HistoryScreen:
    await pilot.press("h")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, HistoryScreen)
    return screen


async def test_history_lists_lookups_made_in_the_app_newest_first(build_app, ui_hub):
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await look_up(pilot, "beach", "b")
        await look_up(pilot, "classroom", "s")

        screen = await open_history(pilot)
        assert [(e.kind, Path(e.source_path or "").name) for e in screen.entries][0] == ("scene", "classroom.png")
        assert sorted((e.kind, Path(e.source_path or "").name) for e in screen.entries) == [
            ("characters", "beach_duo.png"),
            ("scene", "beach_duo.png"),
            ("scene", "classroom.png"),
        ]
        assert screen.table.row_count == 3
        # the highlighted lookup is shown from the store: no request reaches a simulator
        requests = len(ui_hub.log)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert screen.shown_id == screen.entries[1].id
        assert len(ui_hub.log) == requests
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HistoryScreen)


async def test_history_filters_as_you_type_and_pages(build_app, ui_settings):
    seed_history(ui_settings.data_dir / "history.sqlite3", 450)
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_history(pilot)
        assert screen.table.row_count == PAGE, "only the first page is in the table"
        assert screen.entries[0].source_label == "shot_00449.png"
        # moving to the end loads the next page, not everything
        screen.table.move_cursor(row=PAGE - 1)
        await settle(pilot)
        assert screen.table.row_count == 2 * PAGE

        await pilot.press("slash", *"frieren")
        await settle(pilot)
        await wait_for(pilot, lambda: screen.query_text == "frieren", what="the debounced filter")
        await settle(pilot)
        assert screen.table.row_count == 45
        assert all(e.headline == "Frieren" for e in screen.entries)

        await pilot.press("backspace", *"x")  # "frierex" matches nothing
        await settle(pilot)
        await wait_for(pilot, lambda: screen.query_text == "frierex", what="the second filter")
        await settle(pilot)
        assert screen.table.row_count == 0

        # Esc in the filter clears it; the list is back
        await pilot.press("escape")
        await settle(pilot)
        assert screen.query_text == "" and screen.table.row_count == PAGE


async def test_history_filters_by_file_name(build_app, ui_settings):
    seed_history(ui_settings.data_dir / "history.sqlite3", 30)
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_history(pilot)
        await pilot.press("slash", *"shot_00017", "enter")
        await settle(pilot)
        assert [e.source_label for e in screen.entries] == ["shot_00017.png"]


async def test_opening_a_lookup_whose_file_is_gone_shows_the_stored_thumbnail(build_app, ui_settings, ui_hub, pictures):
    from animetui.history import make_thumbnail

    thumb = make_thumbnail((pictures / "portrait.jpg").read_bytes())
    assert thumb
    seed_history(ui_settings.data_dir / "history.sqlite3", 1, thumbnail=thumb)
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        requests = len(ui_hub.log)
        screen = await open_history(pilot)
        image = screen.query_one("#history-image", ImageView)
        assert image.key == f"t{screen.entries[0].id}", "the stored thumbnail, since /gone/… does not exist"
        assert len(ui_hub.log) == requests, "opening the history made no request"
        body = str(screen.query_one("#history-result").render())
        assert "Show 0" not in body and "Frieren" in body


async def test_history_delete_marked_and_export(build_app, ui_settings):
    path = ui_settings.data_dir / "history.sqlite3"
    seed_history(path, 5)
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = await open_history(pilot)
        first_two = [e.id for e in screen.entries[:2]]
        await pilot.press("space", "space")  # marks the first two (the cursor moves down)
        assert screen.marked == set(first_two)

        await pilot.press("e")
        await pilot.pause()
        await pilot.press("enter")  # the folder asked for: the downloads folder, as offered
        await settle(pilot)
        downloads = ui_settings.downloads_dir
        written = sorted(downloads.glob("animetui-history-*"))
        assert [p.suffix for p in written] == [".csv", ".json"]
        exported = json.loads(written[1].read_text(encoding="utf-8"))
        assert sorted(row["id"] for row in exported) == sorted(first_two)
        assert written[0].read_text(encoding="utf-8").count("\n") == 3  # header + 2 rows

        await pilot.press("d")
        await settle(pilot)
        assert screen.table.row_count == 5, "d asks first"
        await pilot.press("y")
        await settle(pilot)
        assert screen.table.row_count == 3
        assert not set(first_two) & {e.id for e in screen.entries}
        check = History(path)
        try:
            assert check.count() == 3
        finally:
            check.close()

        # with nothing marked, export writes every row the filter matches
        for old in written:
            old.unlink()
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("enter")  # the folder asked for: the downloads folder, as offered
        await settle(pilot)
        exported = json.loads(next(downloads.glob("animetui-history-*.json")).read_text(encoding="utf-8"))
        assert len(exported) == 3


async def test_rerun_from_history_and_fresh_key_skip_the_cache(build_app, ui_hub):
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await look_up(pilot, "beach", "s")
        searches = len(ui_hub.requests_to("whatanime"))
        await pilot.press("s")  # answered from the history
        await settle(pilot)
        results = app.query_one(ResultsPane)
        assert len(ui_hub.requests_to("whatanime")) == searches
        assert "(from history)" in str(app.query_one("#scene-title").render())

        await pilot.press("f")  # fresh: a request, not the history
        await settle(pilot)
        assert len(ui_hub.requests_to("whatanime")) > searches
        assert "(from history)" not in str(app.query_one("#scene-title").render())
        assert results.scene is not None

        screen = await open_history(pilot)
        assert screen.table.row_count == 2
        searches = len(ui_hub.requests_to("whatanime"))
        await pilot.press("R")
        await settle(pilot)
        assert not isinstance(app.screen, HistoryScreen)
        assert len(ui_hub.requests_to("whatanime")) > searches


# --------------------------------------------------------------------------- batch
async def mark_and_start(pilot, names: list[str], *, choice: int = 0) -> BatchScreen:
    app = pilot.app
    for name in names:
        await highlight_file(pilot, name)
        await pilot.press("m")
    await open_screen(pilot, "B", BatchStartScreen)
    assert isinstance(app.screen, BatchStartScreen)
    await pilot.press(*["down"] * choice, "enter")
    await wait_for(pilot, lambda: isinstance(app.screen, BatchScreen), what="the batch screen")
    return app.screen  # type: ignore[return-value]


async def test_batch_over_marked_files_completes_with_progress(build_app, pictures, monkeypatch):
    seen: list[tuple[int, int]] = []
    hook_sessions(monkeypatch, lambda s: s.progress and seen.append((s.progress.done, s.progress.total)))
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        files = app.query_one(FilesPane)
        screen = await mark_and_start(pilot, ["beach", "classroom"])
        assert files.marked == set(), "starting the batch clears the marks"
        await settle(pilot)
        session = app.main_screen.flows.batch.session
        assert session.state == "done"
        assert {(Path(i.path).name, i.kind, i.status) for i in session.summary()} == {
            ("beach_duo.png", "scene", "done"),
            ("beach_duo.png", "characters", "done"),
            ("classroom.png", "scene", "done"),
            ("classroom.png", "characters", "done"),
        }
        assert seen[0] == (0, 4) and seen[-1] == (4, 4)
        assert [done for done, _total in seen] == sorted(done for done, _total in seen), "progress only grows"
        assert screen.table.row_count == 4
        assert "4/4" in str(screen.query_one("#batch-progress").render())

        await pilot.press("e")
        await pilot.pause()
        await pilot.press("enter")  # the folder asked for: the downloads folder, as offered
        await settle(pilot)
        exported = json.loads(next(app.settings.downloads_dir.glob("animetui-batch-*.json")).read_text(encoding="utf-8"))
        assert len(exported["items"]) == 4 and all(row["best"] for row in exported["items"])
        assert next(app.settings.downloads_dir.glob("animetui-batch-*.csv")).read_text(encoding="utf-8").startswith("file,kind,status,best")

        # the lookups are in the history: the same batch again costs nothing
        await pilot.press("escape")
        await pilot.pause()
        screen = await mark_and_start(pilot, ["beach"], choice=1)
        await settle(pilot)
        assert [i.status for i in app.main_screen.flows.batch.session.summary()] == ["cached"]


async def test_mark_folder_marks_every_image(build_app, pictures):
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await highlight_file(pilot, "beach")
        await pilot.press("M")
        files = app.query_one(FilesPane)
        assert files.marked == {p for p in pictures.iterdir() if p.suffix.lower() in {".png", ".jpg", ".webp", ".bmp", ".gif"}}
        await pilot.press("M")  # again: unmark
        assert files.marked == set()


def hook_sessions(monkeypatch, hook) -> None:
    """Attach ``hook`` as a listener to every batch session before it starts (the simulators are instant)."""
    from animetui.batch import BatchSession

    original = BatchSession.run

    async def run(self) -> None:
        self.listeners.append(hook)
        await original(self)

    monkeypatch.setattr(BatchSession, "run", run)


async def test_batch_pause_resume_and_cancel(build_app, monkeypatch):
    def pause_after_one(session) -> None:
        if session.progress is not None and session.progress.done == 1 and session.state == "running":
            session.listeners.remove(pause_after_one)
            session.pause()

    hook_sessions(monkeypatch, pause_after_one)
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for name in ("beach", "classroom", "festival", "portrait"):
            await highlight_file(pilot, name)
            await pilot.press("m")
        await open_screen(pilot, "B", BatchStartScreen)
        await pilot.press("down", "enter")  # scene search only: one at a time, so the pause point is exact
        await wait_for(pilot, lambda: app.main_screen.flows.batch.session is not None, what="the session")
        await wait_for(pilot, lambda: app.main_screen.flows.batch.session.state == "paused", what="the pause")
        await pilot.pause(0.1)
        session = app.main_screen.flows.batch.session
        assert session.progress.done == 1, "no new lookup starts while paused"
        assert "paused" in str(app.screen.query_one("#batch-progress").render())

        await pilot.press("p")  # resume
        await settle(pilot)
        assert session.state == "done" and session.progress.done == 4

    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for name in ("night", "rooftop", "train"):
            await highlight_file(pilot, name)
            await pilot.press("m")
        await open_screen(pilot, "B", BatchStartScreen)
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: app.main_screen.flows.batch.session is not None, what="the session")
        await wait_for(pilot, lambda: app.main_screen.flows.batch.session.state == "paused", what="the pause")
        await pilot.press("x")
        await settle(pilot)
        session = app.main_screen.flows.batch.session
        assert session.state == "cancelled"
        statuses = sorted(i.status for i in session.summary())
        assert statuses == ["done", "pending", "pending"]


async def test_unfinished_batch_is_offered_after_a_restart(build_app, ui_settings, pictures):
    from animetui.batch import BatchJournal, BatchRunner

    journal = BatchJournal(ui_settings.data_dir / "history.sqlite3")
    runner = BatchRunner(None, journal)
    batch_id = await runner.plan([pictures / "beach_duo.png", pictures / "classroom.png"], ["scene"], root=str(pictures))
    items = journal.items(batch_id)
    items[0].status, items[0].headline = "done", "Earlier answer"
    journal.update(items[0])
    journal.set_state(batch_id, "paused")  # what a quit mid-batch leaves
    journal.close()

    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, BatchScreen)
        session = app.main_screen.flows.batch.session
        assert session.batch_id == batch_id and session.resumed and session.state == "done"
        assert session.progress.total == 1, "only what was left is run"
        assert [(i.status, i.headline) for i in session.summary()][0] == ("done", "Earlier answer")
        assert session.summary()[1].status == "done"

    journal = BatchJournal(ui_settings.data_dir / "history.sqlite3")
    try:
        assert journal.unfinished() == []
    finally:
        journal.close()


async def test_batch_with_nothing_marked_says_how_to_mark(build_app):
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("B")
        await settle(pilot)
        assert not isinstance(app.screen, (BatchStartScreen, BatchScreen))
        assert any("Mark images in Files" in str(n.message) for n in app._notifications)


async def test_palette_entries_open_the_screen_and_run_the_action(build_app, ui_settings):
    seed_history(ui_settings.data_dir / "history.sqlite3", 3)
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await app.run_action("screen('history', 'export')")
        await settle(pilot)
        from animetui.ui.screens.export_to import ExportToScreen

        assert isinstance(app.screen, ExportToScreen)  # History opened, and its export asks where
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HistoryScreen)
        assert len(list(ui_settings.downloads_dir.glob("animetui-history-*.json"))) == 1


async def test_export_asks_where_and_writes_there(build_app, ui_settings, tmp_path):
    from animetui.ui.screens.export_to import ExportToScreen

    seed_history(ui_settings.data_dir / "history.sqlite3", 3)
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await open_history(pilot)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportToScreen), what="the folder question")
        box = app.screen.query_one("#export-folder")
        assert box.value == str(ui_settings.downloads_dir)

        a_file = tmp_path / "not-a-folder"
        a_file.write_text("x")
        box.value = str(a_file)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExportToScreen), "a file is refused in place"
        assert "is a file, not a folder" in str(app.screen.query_one("#export-error").render())

        target = tmp_path / "exports" / "new"
        box.value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, ExportToScreen)
        assert sorted(p.suffix for p in target.glob("animetui-history-*")) == [".csv", ".json"]
        assert len(json.loads(next(target.glob("*.json")).read_text(encoding="utf-8"))) == 3
        assert not list(ui_settings.downloads_dir.glob("animetui-history-*"))

        # the next export offers the folder used last; Esc writes nothing
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportToScreen), what="the folder question")
        assert app.screen.query_one("#export-folder").value == str(target)
        await pilot.press("escape")
        await settle(pilot)
        assert len(list(target.glob("*.json"))) == 1
