"""Bad input and bad luck: non-video and truncated files, a file vanishing mid-index, a full
disk, a disconnected drive, a kill at any moment, damaged or leftover index files — each one
clear line, the index never corrupt, the job resumable. Plus incremental rescans, pause/cancel
and the title override."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from library_synth import screenshot
from library_synth import make_video

from animetui.library import db as dbm
from animetui.library.db import LibraryDB, default_path
from animetui.library.index import FaissIndex
from animetui.library.indexer import run, scan
from animetui.library.search import Searcher


def _library(tmp_path: Path, videos, keys=("a1", "a2")) -> tuple[Path, Path]:
    root = tmp_path / "lib"
    root.mkdir()
    for key in keys:
        src = videos.files[key][0]
        shutil.copy(src, root / src.name)
    return root, tmp_path / "data"


def _open(data: Path) -> LibraryDB:
    return LibraryDB(default_path(data))


def _find(db: LibraryDB, videos, key: str, t: float = 6.0):
    return Searcher(db, FaissIndex(db)).search_image(screenshot(videos.files[key][1], t))


def test_bad_files_each_get_one_line_and_the_rest_is_indexed(tmp_path, videos) -> None:
    root, data = _library(tmp_path, videos, ("a1",))
    (root / "notes.mkv").write_text("not a video at all")
    (root / "empty.mp4").write_bytes(b"")
    good = videos.files["a2"][0].read_bytes()
    (root / "cut.mp4").write_bytes(good[: len(good) // 3])  # truncated: moov atom at the end is lost
    mkv = videos.files["o3"][0].read_bytes()
    (root / "cut.mkv").write_bytes(mkv[: len(mkv) // 2])  # truncated mkv: decodable start
    (root / "readme.txt").write_text("ignored: not a video suffix")
    with _open(data) as db:
        db.add_folder(root)
        scan(db)
        result = run(db, FaissIndex(db))
        assert not result.stopped
        rows = {Path(f.path).name: f for f in db.files()}
        assert set(rows) == {"Show A - 01.mp4", "notes.mkv", "empty.mp4", "cut.mp4", "cut.mkv"}
        assert rows["Show A - 01.mp4"].state == dbm.DONE and rows["Show A - 01.mp4"].error == ""
        for name in ("notes.mkv", "empty.mp4", "cut.mp4"):
            assert rows[name].state == dbm.ERROR, rows[name]
            assert "\n" not in rows[name].error and name in rows[name].error and "not" in rows[name].error
        assert rows["cut.mkv"].state == dbm.DONE and "cut short" in rows["cut.mkv"].error
        assert _find(db, videos, "a1")[0].file.endswith("Show A - 01.mp4")
        assert _find(db, videos, "o3", 2.0)[0].file.endswith("cut.mkv")  # its first half is searchable


def test_file_vanishing_mid_index(tmp_path, videos, monkeypatch) -> None:
    from animetui.library import indexer

    root, data = _library(tmp_path, videos, ("a1", "a2"))
    real = indexer.decode_vectors

    def vanishing(path, **kwargs):
        for i, batch in enumerate(real(path, **kwargs)):
            if i == 1 and path.name == "Show A - 01.mp4":
                path.unlink()
            yield batch

    monkeypatch.setattr(indexer, "decode_vectors", vanishing)
    monkeypatch.setattr(indexer, "COMMIT_KEPT", 16)  # commit often: the vanished file has chunks to undo
    with _open(data) as db:
        db.add_folder(root)
        scan(db)
        index = FaissIndex(db)
        run(db, index)
        rows = {Path(f.path).name: f for f in db.files()}
        assert rows["Show A - 01.mp4"].state == dbm.MISSING
        assert rows["Show A - 01.mp4"].error == "vanished while it was being indexed"
        assert rows["Show A - 02.mp4"].state == dbm.DONE
        file_ids = {int(i) >> 32 for _, ids, _ in db.chunks_after(0) for i in ids}
        assert file_ids == {rows["Show A - 02.mp4"].id}
        assert not any(m.file.endswith("01.mp4") for m in _find(db, videos, "a1"))
        # a rescan forgets it for good
        scan(db)
        assert [Path(f.path).name for f in db.files()] == ["Show A - 02.mp4"]


def test_an_unexpected_failure_on_one_file_does_not_stop_the_job(tmp_path, videos, monkeypatch) -> None:
    from animetui.library import indexer

    root, data = _library(tmp_path, videos, ("a1", "a2"))
    real = indexer.decode_vectors

    def odd(path, **kwargs):
        if path.name == "Show A - 01.mp4":
            raise ValueError("unsupported pixel format\nsecond line")
        return real(path, **kwargs)

    monkeypatch.setattr(indexer, "decode_vectors", odd)
    with _open(data) as db:
        db.add_folder(root)
        scan(db)
        assert not run(db, FaissIndex(db)).stopped
        rows = {Path(f.path).name: f for f in db.files()}
        assert rows["Show A - 01.mp4"].state == dbm.ERROR
        assert rows["Show A - 01.mp4"].error.endswith("cannot index it (unsupported pixel format second line)")
        assert rows["Show A - 02.mp4"].state == dbm.DONE


def test_full_disk_stops_the_job_with_one_line_and_it_resumes(tmp_path, videos, monkeypatch) -> None:
    root, data = _library(tmp_path, videos, ("a1", "a2"))
    real = LibraryDB.add_chunk
    calls = {"n": 0}

    def full(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 1:
            with self.tx("save indexed frames") as c:
                raise sqlite3.OperationalError("database or disk is full")
        return real(self, *args, **kwargs)

    with _open(data) as db:
        db.add_folder(root)
        scan(db)
        index = FaissIndex(db)
        monkeypatch.setattr(LibraryDB, "add_chunk", full)
        result = run(db, index)
        assert "full" in result.stopped and "free some" in result.stopped and "\n" not in result.stopped
        assert db.job().state == dbm.FAILED and db.job().message == result.stopped
        monkeypatch.setattr(LibraryDB, "add_chunk", real)  # space freed
        result = run(db, index)
        assert not result.stopped
        assert {f.state for f in db.files()} == {dbm.DONE}
        assert _find(db, videos, "a2")[0].file.endswith("02.mp4")


def test_index_write_failure_is_one_line_and_search_still_works(tmp_path, videos, monkeypatch) -> None:
    import faiss

    from animetui.library.index import IndexError_

    root, data = _library(tmp_path, videos, ("a1",))
    with _open(data) as db:
        db.add_folder(root)
        scan(db)

        def no_space(index, name):
            raise RuntimeError("Error: 'f' failed: could not write: No space left on device")

        monkeypatch.setattr(faiss, "write_index", no_space)
        result = run(db, FaissIndex(db))
        assert "disk is full" in result.stopped
        assert not [p for p in (default_path(data).parent / "index").iterdir()]  # no half-written file
        # the vectors are committed in SQLite: search finds them without a segment
        assert _find(db, videos, "a1")[0].file.endswith("01.mp4")
        monkeypatch.undo()
        index = FaissIndex(db)
        assert index.flush() > 0 and index.hi_chunk == db.max_chunk()


def test_disconnected_drive_keeps_the_index_and_comes_back(tmp_path, videos) -> None:
    root, data = _library(tmp_path, videos, ("a1", "a2"))
    with _open(data) as db:
        db.add_folder(root)
        scan(db)
        run(db, FaissIndex(db))
        vectors = db.vector_count()
        root.rename(tmp_path / "unplugged")
        report = scan(db)
        assert report.offline == [str(root)]
        assert {f.state for f in db.files()} == {dbm.OFFLINE}
        assert db.vector_count() == vectors
        assert _find(db, videos, "a1")[0].file.endswith("01.mp4")  # still answers from the index
        (tmp_path / "unplugged").rename(root)
        report = scan(db)
        assert report.same == 2 and not report.offline
        assert {f.state for f in db.files()} == {dbm.DONE}
        assert run(db, FaissIndex(db)).files == 0  # nothing re-indexed


@pytest.mark.parametrize("error", ["video", "os"])
def test_drive_disconnected_mid_file_keeps_what_was_indexed_and_resumes(tmp_path, videos, monkeypatch, error) -> None:
    """The drive goes while a file is being decoded (reads fail: a decode error or an I/O error):
    the folder's files are offline — not "damaged", not forgotten —, the chunks committed so far
    stay searchable, and when the drive is back the file carries on from its resume point."""
    from animetui.library import indexer
    from animetui.library.frames import VideoError

    root, data = _library(tmp_path, videos, ("a1", "a2"))
    real = indexer.decode_vectors
    unplugged = tmp_path / "unplugged"

    def unplugging(path, **kwargs):
        for i, batch in enumerate(real(path, **kwargs)):
            if i == 3 and path.name == "Show A - 01.mp4" and not unplugged.exists():
                root.rename(unplugged)
                raise VideoError(f"{path}: Input/output error") if error == "video" else OSError(5, "Input/output error")
            yield batch

    monkeypatch.setattr(indexer, "decode_vectors", unplugging)
    monkeypatch.setattr(indexer, "COMMIT_KEPT", 8)  # commit often: there is something to keep
    with _open(data) as db:
        db.add_folder(root)
        scan(db)
        result = run(db, FaissIndex(db))
        assert not result.stopped  # the job ends normally; the folder waits for its drive
        rows = {Path(f.path).name: f for f in db.files()}
        first = rows["Show A - 01.mp4"]
        assert {f.state for f in rows.values()} == {dbm.OFFLINE}
        assert "not reachable" in first.error and "\n" not in first.error
        assert first.resume_at > 0 and first.kept > 0  # the committed part is kept ...
        assert _find(db, videos, "a1", 0.5)[0].file.endswith("01.mp4")  # ... and searchable
        unplugged.rename(root)
        scan(db)
        assert {Path(f.path).name: f.state for f in db.files()} == {"Show A - 01.mp4": dbm.PENDING, "Show A - 02.mp4": dbm.PENDING}
        run(db, FaissIndex(db))
        done = {Path(f.path).name: f for f in db.files()}
        assert {f.state for f in done.values()} == {dbm.DONE} and done["Show A - 01.mp4"].id == first.id  # resumed, same id
        times = sorted((int(i) & 0xFFFFFFFF) / 1000 for _, ids, _ in db.chunks_after(0) for i in ids if int(i) >> 32 == first.id)
        assert len(times) == len(set(times))  # nothing indexed twice
        assert _find(db, videos, "a1", 6.0)[0].file.endswith("01.mp4")


def test_drive_disconnected_while_queued(tmp_path, videos) -> None:
    root, data = _library(tmp_path, videos, ("a1",))
    with _open(data) as db:
        db.add_folder(root)
        scan(db)
        root.rename(tmp_path / "gone")
        result = run(db, FaissIndex(db))
        assert not result.stopped
        assert [f.state for f in db.files()] == [dbm.OFFLINE]
        (tmp_path / "gone").rename(root)
        scan(db)
        assert [f.state for f in db.files()] == [dbm.PENDING]
        run(db, FaissIndex(db))
        assert [f.state for f in db.files()] == [dbm.DONE]


def test_incremental_rescan_indexes_new_and_changed_files_only(tmp_path, videos) -> None:
    root, data = _library(tmp_path, videos, ("a1",))
    with _open(data) as db:
        db.add_folder(root)
        scan(db)
        index = FaissIndex(db)
        assert run(db, index).files == 1
        old_id = db.files()[0].id
        assert scan(db).same == 1 and run(db, index).files == 0
        shutil.copy(videos.files["a2"][0], root / "Show A - 02.mp4")
        report = scan(db)
        assert (report.new, report.same) == (1, 1)
        assert run(db, index).files == 1
        # replace episode 1 with other content: re-indexed under a new id, the old vectors gone
        shutil.copy(videos.files["o3"][0], root / "Show A - 01.mp4")
        assert scan(db).changed == 1
        run(db, index)
        new_id = next(f.id for f in db.files() if f.path.endswith("01.mp4"))
        assert new_id != old_id
        assert old_id not in {int(i) >> 32 for _, ids, _ in db.chunks_after(0) for i in ids}
        index = FaissIndex(db)
        assert index.vectors() == db.vector_count()
        best = _find(db, videos, "o3", 3.0)[0]
        assert best.file.endswith("01.mp4") and best.confidence == "likely"


def test_pause_and_cancel_stop_cleanly_and_resume(tmp_path, videos) -> None:
    root, data = _library(tmp_path, videos, ("a1", "a2"))
    with _open(data) as db:
        db.add_folder(root)
        scan(db)
        index = FaissIndex(db)
        done = []

        def pause_after_first(f, outcome):
            done.append(outcome)
            db.request(dbm.PAUSED)

        result = run(db, index, on_file=pause_after_first)
        assert result.stopped == dbm.PAUSED and db.job().state == dbm.PAUSED
        assert sorted(f.state for f in db.files()) == [dbm.DONE, dbm.PENDING]
        db.request(dbm.IDLE, only_if=(dbm.PAUSED,))
        result = run(db, index, on_file=lambda f, o: db.request(dbm.CANCELLED))
        assert result.stopped == dbm.CANCELLED and {f.state for f in db.files()} == {dbm.DONE}


def test_a_cancel_while_the_worker_is_still_starting_is_honoured(tmp_path, videos) -> None:
    """``library add`` then at once ``x`` / ``library cancel``: the job is still idle (the worker
    has not begun); the cancel is taken and the worker, when it starts, stops instead of indexing.
    The next add, rescan or resume clears it."""
    from animetui.library import control

    root, data = _library(tmp_path, videos, ("a1",))
    assert "1 new" in control.add_folder(data, str(root), start=False)
    assert "cancelling" in control.steer(data, "cancel")
    with _open(data) as db:
        result = run(db, FaissIndex(db))
        assert result.stopped == dbm.CANCELLED and db.job().state == dbm.CANCELLED
        assert [f.state for f in db.files()] == [dbm.PENDING]  # nothing was indexed
    assert "no indexing job" in control.steer(data, "cancel")  # cancelled already: nothing more to stop
    control.rescan(data, start=False)
    with _open(data) as db:
        assert db.job().state == dbm.IDLE  # the rescan cleared the old cancel
        assert not run(db, FaissIndex(db)).stopped
        assert [f.state for f in db.files()] == [dbm.DONE]


def test_leftover_damaged_and_missing_segments_are_handled(library_copy, videos) -> None:
    folder = default_path(library_copy).parent / "index"
    (folder / "seg-000000000099-1.faiss.tmp").write_bytes(b"half a file")
    (folder / "seg-000000000099-2.faiss").write_bytes(b"never recorded")
    with _open(library_copy) as db:
        count = db.vector_count()
        reader = FaissIndex(db)
        assert len(list(folder.iterdir())) == 3  # a reader never deletes (it could be a writer's temp file)
        assert reader.vectors() == count
        writer = FaissIndex(db)
        writer.flush()
        assert sorted(p.name for p in folder.iterdir()) == [db.segments("faiss")[0][1]]
        (folder / db.segments("faiss")[0][1]).write_bytes(b"\x00" * 100)  # damaged
        reader = FaissIndex(db)
        assert reader.broken and reader.vectors() == 0
        assert _find(db, videos, "a2")[0].file.endswith("02.mp4")  # answered from SQLite meanwhile
        writer = FaissIndex(db)
        writer.flush()  # rebuilds from SQLite
        assert not writer.broken and writer.vectors() == count
        (folder / db.segments("faiss")[0][1]).unlink()  # missing
        writer = FaissIndex(db)
        assert writer.broken
        writer.flush()
        assert writer.vectors() == count
        assert _find(db, videos, "a2")[0].file.endswith("02.mp4")


def test_a_searcher_sees_segments_the_indexer_writes(tmp_path, videos) -> None:
    root, data = _library(tmp_path, videos, ("a1",))
    with _open(data) as db:
        db.add_folder(root)
        scan(db)
        run(db, FaissIndex(db))
        searcher = Searcher(db, FaissIndex(db))
        assert searcher.search_image(screenshot(videos.files["a1"][1], 3.0))
        shutil.copy(videos.files["a2"][0], root / "Show A - 02.mp4")
        scan(db)
        run(db, FaissIndex(db))  # another index object (the worker) writes a new segment
        best = searcher.search_image(screenshot(videos.files["a2"][1], 7.0))[0]
        assert best.file.endswith("02.mp4")
        assert len(searcher.index._segments) == 2


def test_title_override_and_names(tmp_path, videos) -> None:
    from animetui.library.names import title_and_episode

    root, data = _library(tmp_path, videos, ("a1",))
    with _open(data) as db:
        folder = db.add_folder(root)
        scan(db)
        assert db.files()[0].title == "Show A"
        db.set_title(folder, "Mahou Shoujo")
        scan(db)
        assert db.files()[0].title == "Mahou Shoujo"
    assert title_and_episode(Path("/x/Cowboy Bebop/Season 1/ep3.mkv"), root=Path("/x")) == ("Cowboy Bebop", "3")
    assert title_and_episode(Path("/x/[SubsPlease] Frieren - 05 (1080p) [ABCD1234].mkv")) == ("Frieren", "05")
    assert title_and_episode(Path("/x/Show.Name.S02E07.720p.mkv")) == ("Show Name", "S02E07")


# ----------------------------------------------------------------- the background process and kills
def _wait(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


@pytest.mark.slow
def test_kill_mid_index_leaves_a_usable_index_and_resumes(tmp_path, videos) -> None:
    root = tmp_path / "lib"
    root.mkdir()
    make_video(root / "Long - 01.mp4", 90, seed=21)
    shutil.copy(videos.files["a1"][0], root / "Show A - 01.mp4")
    data = tmp_path / "data"
    with _open(data) as db:
        db.add_folder(root)
        scan(db)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    code = (
        "import sys; from pathlib import Path;"
        "import animetui.library.indexer as ix; ix.COMMIT_KEPT = 8;"
        "from animetui.library.worker import main; sys.exit(main([sys.argv[1]]))"
    )
    child = subprocess.Popen([sys.executable, "-c", code, str(default_path(data))], env=env)
    try:
        with _open(data) as db:
            _wait(lambda: any(f.resume_at > 20 for f in db.files()))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    with _open(data) as db:
        assert db.job().state == dbm.RUNNING  # what the killed worker last wrote
        assert db.read("PRAGMA integrity_check")[0][0] == "ok"
        partial = next(f for f in db.files() if f.path.endswith("Long - 01.mp4"))
        assert partial.state == dbm.INDEXING and partial.resume_at > 20
        Searcher(db, FaissIndex(db)).search_image(screenshot(videos.files["a1"][1], 2.0))  # usable
        result = run(db, FaissIndex(db))  # resumes
        assert not result.stopped
        assert {f.state for f in db.files()} == {dbm.DONE}
        ids = np.concatenate([ids for _, ids, _ in db.chunks_after(0)])
        assert len(ids) == len(np.unique(ids))  # the resumed file added no frame twice
        times = sorted((int(i) & 0xFFFFFFFF) / 1000 for i in ids if (int(i) >> 32) == partial.id)
        assert times[0] < 1 and times[-1] > 85 and max(np.diff(times)) <= 2.1  # no gap at the resume point


@pytest.mark.slow
def test_background_worker_via_cli(tmp_path, videos) -> None:
    root, _ = _library(tmp_path, videos, ("a1",))
    env = {**os.environ, "ANIMETUI_DATA_DIR": str(tmp_path / "d"), "ANIMETUI_WHATANIME_API_KEY": "sk-secret-never-in-child"}
    cli = [sys.executable, "-m", "animetui"]
    out = subprocess.run([*cli, "library", "add", str(root)], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "1 new" in out.stdout and "background" in out.stdout
    with _open(tmp_path / "d") as db:
        _wait(lambda: db.job().state == dbm.IDLE and db.files()[0].state == dbm.DONE)
    from animetui import locations
    from animetui.store import JobJournal

    journal = JobJournal(locations.jobs_db(tmp_path / "d"))
    (job,) = journal.list()  # the indexing is a job too (the TUI's runner adopts and follows it)
    assert job.kind == "index" and job.state.value == "running" and journal.owner_of(job.id) is None
    journal.close()
    status = subprocess.run([*cli, "library", "status", "--json"], env=env, capture_output=True, text=True, timeout=60)
    import json

    payload = json.loads(status.stdout)
    assert payload["folders"][0]["indexed_files"] == 1 and payload["job"]["state"] == "idle"
    shot = tmp_path / "q.jpg"
    shot.write_bytes(screenshot(videos.files["a1"][1], 11.0))
    found = subprocess.run([*cli, "scene", str(shot), "--provider", "local", "--json"], env=env, capture_output=True, text=True, timeout=60)
    match = json.loads(found.stdout)["matches"][0]
    assert match["file"].endswith("Show A - 01.mp4") and match["confidence"] == "likely"
    text = subprocess.run([*cli, "scene", str(shot), "--provider", "local"], env=env, capture_output=True, text=True, timeout=60)
    assert "mpv --start=" in text.stdout and "likely" in text.stdout
    gone = subprocess.run([*cli, "library", "remove", str(root)], env=env, capture_output=True, text=True, timeout=60)
    assert gone.returncode == 0 and "removed" in gone.stdout
    after = subprocess.run([*cli, "scene", str(shot), "--provider", "local", "--json"], env=env, capture_output=True, text=True, timeout=60)
    assert json.loads(after.stdout)["matches"] == []
    bad = subprocess.run([*cli, "library", "add", str(tmp_path / "nope")], env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "no such folder" in bad.stderr


def test_pause_mid_file_resumes_where_it_stopped(tmp_path, videos, monkeypatch) -> None:
    from animetui.library import indexer

    root, data = _library(tmp_path, videos, ("a1",))
    with _open(data) as db:
        db.add_folder(root)
        scan(db)
        real = indexer.decode_vectors

        def pausing(path, **kwargs):
            for i, batch in enumerate(real(path, **kwargs)):
                if i == 1:
                    db.request(dbm.PAUSED)
                yield batch

        monkeypatch.setattr(indexer, "decode_vectors", pausing)
        assert run(db, FaissIndex(db)).stopped == dbm.PAUSED
        f = db.files()[0]
        assert f.state == dbm.INDEXING and 0 < f.resume_at < 15
        monkeypatch.setattr(indexer, "decode_vectors", real)
        db.request(dbm.IDLE, only_if=(dbm.PAUSED,))
        assert not run(db, FaissIndex(db)).stopped
        f = db.files()[0]
        assert f.state == dbm.DONE and f.resume_at > 19
        times = sorted((int(i) & 0xFFFFFFFF) / 1000 for _, ids, _ in db.chunks_after(0) for i in ids)
        assert len(times) == len(set(times)) and max(np.diff(times)) <= 2.1


def test_watch_indexes_new_episodes_as_they_appear(tmp_path, videos) -> None:
    import threading

    root, data = _library(tmp_path, videos, ("a1",))
    with _open(data) as db:
        db.add_folder(root, watch=True)
        scan(db)
    outcomes: list[str] = []
    first_done = threading.Event()
    second_done = threading.Event()

    def on_file(f, outcome):
        outcomes.append(Path(f.path).name)
        (second_done if len(outcomes) == 2 else first_done).set()

    def worker():
        with _open(data) as wdb:
            run(wdb, FaissIndex(wdb), watch=0.05, on_file=on_file)

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    assert first_done.wait(60)
    shutil.copy(videos.files["a2"][0], tmp_path / "incoming.mp4")
    os.replace(tmp_path / "incoming.mp4", root / "Show A - 02.mp4")  # appears whole
    assert second_done.wait(60)
    with _open(data) as db:
        db.request(dbm.CANCELLED, only_if=(dbm.RUNNING,))
    thread.join(60)
    assert not thread.is_alive()
    assert outcomes == ["Show A - 01.mp4", "Show A - 02.mp4"]


def test_a_watching_worker_stops_on_cancel_without_waiting_for_its_next_rescan(tmp_path, videos, monkeypatch) -> None:
    """``--watch 60``: between two rescans the worker still answers a cancel (the Jobs pane's
    ``x``, ``jobs cancel ID``) within a poll, not a minute later."""
    import threading

    from animetui.library import indexer

    monkeypatch.setattr(indexer, "WATCH_POLL", 0.01)
    root, data = _library(tmp_path, videos, ("a1",))
    with _open(data) as db:
        db.add_folder(root, watch=True)
        scan(db)
    watching = threading.Event()

    def worker():
        with _open(data) as wdb:
            run(wdb, FaissIndex(wdb), watch=3600.0, on_file=lambda f, outcome: watching.set())

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    assert watching.wait(60)
    with _open(data) as db:
        assert db.request(dbm.CANCELLED, only_if=(dbm.RUNNING,))
    thread.join(30)  # an hour's watch interval: only the early wake-up ends it in time
    assert not thread.is_alive()
    with _open(data) as db:
        assert db.job().state == dbm.CANCELLED


def test_a_folder_watched_after_the_worker_began_is_watched(tmp_path, videos, monkeypatch) -> None:
    """The worker was indexing (no --watch) when a folder was added with --watch (or the Library
    screen's tick box): when its queue is empty it keeps watching instead of exiting."""
    import threading

    from animetui.library import indexer

    monkeypatch.setattr(indexer, "WATCH_SECONDS", 0.05)
    monkeypatch.setattr(indexer, "WATCH_POLL", 0.01)
    root, data = _library(tmp_path, videos, ("a1",))
    with _open(data) as db:
        db.add_folder(root)
        scan(db)
    outcomes: list[str] = []
    watched, second = threading.Event(), threading.Event()

    def on_file(f, outcome):
        outcomes.append(Path(f.path).name)
        if len(outcomes) == 1:
            with _open(data) as other:
                other.add_folder(root, watch=True)  # `library add DIR --watch` meanwhile
            watched.set()
        else:
            second.set()

    def worker():
        with _open(data) as wdb:
            run(wdb, FaissIndex(wdb), watch_folders=True, on_file=on_file)

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    assert watched.wait(60)
    shutil.copy(videos.files["a2"][0], tmp_path / "incoming.mp4")
    os.replace(tmp_path / "incoming.mp4", root / "Show A - 02.mp4")  # appears whole
    assert second.wait(60), outcomes  # the new episode was picked up by the (now) watching worker
    with _open(data) as db:
        db.request(dbm.CANCELLED, only_if=(dbm.RUNNING,))
    thread.join(30)
    assert not thread.is_alive() and outcomes == ["Show A - 01.mp4", "Show A - 02.mp4"]


def test_an_unreadable_file_is_one_line_and_the_rest_is_indexed(tmp_path, videos, monkeypatch) -> None:
    """Permission denied (the tests may run as root, where chmod 000 still reads: the open is
    made to fail as it would for another user)."""
    import av

    root, data = _library(tmp_path, videos)
    locked = root / "Show A - 02.mp4"
    real_open = av.open

    def guarded(path, *args, **kwargs):  # noqa: ANN001, ANN202
        if str(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(av, "open", guarded)
    with _open(data) as db:
        db.add_folder(root)
        scan(db)
        result = run(db, FaissIndex(db))
        assert not result.stopped
        rows = {Path(f.path).name: f for f in db.files()}
        assert rows["Show A - 02.mp4"].state == dbm.ERROR and "permission denied" in rows["Show A - 02.mp4"].error
        assert "\n" not in rows["Show A - 02.mp4"].error
        assert rows["Show A - 01.mp4"].state == dbm.DONE
    monkeypatch.setattr(av, "open", real_open)  # readable again: a rescan picks it up
    with _open(data) as db:
        scan(db)
        run(db, FaissIndex(db))
        assert {f.state for f in db.files()} == {dbm.DONE}
        assert _find(db, videos, "a2")[0].file == str(locked)  # and searchable


def test_a_damaged_library_file_is_one_line_everywhere(library_copy, videos) -> None:
    """library.sqlite3 overwritten with junk (a bad sector, a half-copied backup): the Library
    screen's overview, the local provider and the CLI say so in one line; nothing crashes."""
    import asyncio

    from animetui.errors import AnimetuiError
    from animetui.library import control
    from animetui.library.provider import LocalLibraryProvider
    from animetui.models import ImageSource

    path = default_path(library_copy)
    for extra in ("-wal", "-shm"):
        Path(str(path) + extra).unlink(missing_ok=True)
    path.write_bytes(b"this is not a database" * 100)
    view = control.overview(library_copy)
    assert view.exists and view.error and "\n" not in view.error
    provider = LocalLibraryProvider(library_copy)
    with pytest.raises(AnimetuiError) as caught:
        asyncio.run(provider.search_scene(ImageSource(data=screenshot(videos.files["a1"][1], 3.0), name="s.jpg")))
    assert "\n" not in str(caught.value) and str(caught.value)
    line = control.rescan(library_copy, start=False)
    assert line and "\n" not in line and "Traceback" not in line
