"""Snapshot of the Library screen (issue 15): a folder under the home directory (shown as ``~/…``)
with two short synthetic episodes indexed by the real indexer, and a second folder that is not
reachable (a disconnected drive). The on-disk size is pinned (SQLite's WAL varies by a page or
two between runs); everything else is what the real library reports. Update with
``pytest tests/ui/test_library_snapshots.py -n 0 --snapshot-update``."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest
from ui_helpers import settle, wait_for

sys.path.insert(0, str(Path(__file__).parents[1] / "library"))
pytest.importorskip("av")
pytest.importorskip("faiss")


def _library(data_dir: Path) -> None:
    from library_synth import make_video

    from animetui.library import control
    from animetui.library.db import LibraryDB, default_path
    from animetui.library.index import FaissIndex
    from animetui.library.indexer import run

    home = Path(os.path.expanduser("~"))
    show = home / "Anime" / "My Show"
    show.mkdir(parents=True)
    make_video(show / "[Grp] My Show - 01 [360p].mp4", seconds=4, seed=21, width=320, height=180)
    make_video(show / "[Grp] My Show - 02 [360p].mp4", seconds=4, seed=22, width=320, height=180)
    gone = home / "USB" / "Old Show"
    gone.mkdir(parents=True)
    make_video(gone / "Old Show - 01.mp4", seconds=3, seed=23, width=320, height=180)
    control.add_folder(data_dir, str(show), start=False)
    control.add_folder(data_dir, str(gone), title="Old Show (1998)", start=False)
    with LibraryDB(default_path(data_dir)) as db:
        index = FaissIndex(db)
        run(db, index)
        index.close()
    shutil.rmtree(home / "USB")  # the drive is unplugged
    control.rescan(data_dir, start=False)


def test_library_screen(snap_compare, build_app, ui_settings, monkeypatch):
    from animetui.library import db as dbm
    from animetui.ui.screens.library import LibraryScreen

    _library(ui_settings.data_dir)
    monkeypatch.setattr(dbm, "disk_bytes", lambda _data_dir: 1_234_567)
    real = LibraryScreen.__init__

    def still(self, *args, **kwargs):  # noqa: ANN001, ANN202
        kwargs.update(start_worker=False, poll=0)
        real(self, *args, **kwargs)

    monkeypatch.setattr(LibraryScreen, "__init__", still)

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("I")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, LibraryScreen) and pilot.app.screen.loads >= 1,
                       what="the Library screen")
        await settle(pilot)

    assert snap_compare(build_app(), terminal_size=(120, 30), run_before=run_before)
