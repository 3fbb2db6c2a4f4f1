"""An existing user's history file (lookups, thumbnails, a paused batch) made by animetui before
history and batches went through the one store (``animetui.store``): the new code opens it, finds
every row, records the components' schema versions, and loses nothing.

The fixture ``tests/data/history-before-store.sqlite3`` was written by the old ``History`` (its
own connection, its version in ``PRAGMA user_version``) and the old ``BatchJournal`` (tables with
no version at all); ``tests/data/make_history_before_store.py`` is the script that made it.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from animetui.batch import BatchJournal
from animetui.history import History, HistoryError
from animetui.models import SceneResult

FIXTURE = Path(__file__).parent / "data" / "history-before-store.sqlite3"


@pytest.fixture
def old_file(tmp_path) -> Path:
    path = tmp_path / "history.sqlite3"
    shutil.copyfile(FIXTURE, path)
    return path


def _raw(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_the_fixture_is_the_old_layout():
    # what the old code left: its own user_version, no schema_versions table
    assert _raw(FIXTURE, "PRAGMA user_version") == [(1,)]
    names = {row[0] for row in _raw(FIXTURE, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"lookups", "batches", "batch_items"} <= names and "schema_versions" not in names


def test_the_old_history_is_found_whole_and_keeps_working(old_file):
    history = History(old_file)
    try:
        entries = history.list()
        assert [(e.kind, e.provider, e.headline) for e in entries] == [
            ("characters", "animetrace", "Bocchi"),
            ("scene", "whatanime", "Sousou no Frieren"),
        ]
        scene = entries[1]
        assert isinstance(scene.result, SceneResult) and scene.result.matches[0].similarity == pytest.approx(0.93)
        assert scene.source_path == "/home/user/Pictures/frieren.png" and scene.params == {"cut_borders": True}
        assert entries[0].source_url == "https://example.org/bocchi.jpg"
        assert history.thumbnail(entries[0].id) == b"\xff\xd8\xff\xe0fakejpeg"
        # still a cache: the same lookup is answered from disk
        hit = history.cached(kind="scene", provider="whatanime", sha256="a" * 64, params={"cut_borders": True})
        assert hit is not None and hit.id == scene.id
        history.add(kind="scene", provider="tracemoe", sha256="e" * 64, params={}, result=SceneResult(()), source_label="new.png")
        assert history.count() == 3
    finally:
        history.close()
    assert sorted(_raw(old_file, "SELECT component, version FROM schema_versions")) == [("history", 1)]
    assert _raw(old_file, "PRAGMA user_version") == [(1,)]
    assert _raw(old_file, "PRAGMA journal_mode") == [("wal",)]


def test_the_old_batch_journal_is_found_and_its_paused_batch_resumable(old_file):
    journal = BatchJournal(old_file)
    try:
        assert journal.unfinished() == [1]
        assert journal.root(1) == "/home/user/Pictures"
        items = journal.items(1)
        assert [(Path(i.path).name, i.status, i.headline) for i in items] == [
            ("a.png", "done", "Sousou no Frieren"),
            ("b.png", "pending", ""),
        ]
    finally:
        journal.close()
    history = History(old_file)  # the other component of the same file, after the batch one
    try:
        assert history.count() == 2
    finally:
        history.close()
    assert sorted(_raw(old_file, "SELECT component, version FROM schema_versions")) == [("batch", 1), ("history", 1)]


def test_opening_again_changes_nothing(old_file):
    for _ in range(2):
        History(old_file).close()
        BatchJournal(old_file).close()
    assert _raw(old_file, "SELECT count(*) FROM lookups") == [(2,)]
    assert _raw(old_file, "SELECT count(*) FROM batch_items") == [(2,)]
    assert sorted(_raw(old_file, "SELECT component, version FROM schema_versions")) == [("batch", 1), ("history", 1)]


def test_a_new_file_is_made_by_the_migrations(tmp_path):
    path = tmp_path / "fresh.sqlite3"
    BatchJournal(path).close()
    History(path).close()
    assert sorted(_raw(path, "SELECT component, version FROM schema_versions")) == [("batch", 1), ("history", 1)]
    assert _raw(path, "PRAGMA user_version") == [(1,)]


def test_a_history_from_a_newer_animetui_is_refused_not_downgraded(old_file):
    History(old_file).close()
    conn = sqlite3.connect(old_file)
    conn.execute("UPDATE schema_versions SET version = 7 WHERE component = 'history'")
    conn.commit()
    conn.close()
    with pytest.raises(HistoryError, match="newer animetui"):
        History(old_file)
    assert _raw(old_file, "SELECT count(*) FROM lookups") == [(2,)]
