"""Fixtures for the local library: synthetic videos (made once per session with PyAV) and an
index built from them; tests that change a library work on their own copy."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
pytest.importorskip("av")
pytest.importorskip("faiss")

from library_synth import Renderer, make_video, screenshot  # noqa: E402,F401 (screenshot: for the test modules)


@dataclass
class Videos:
    root: Path
    files: dict[str, tuple[Path, Renderer]]  # key → (path, renderer)
    stranger: Renderer  # a video that is not in the library


@pytest.fixture(scope="session")
def videos(tmp_path_factory) -> Videos:
    root = tmp_path_factory.mktemp("videos") / "Anime"
    (root / "Show A").mkdir(parents=True)
    (root / "Other").mkdir()
    files = {
        "a1": (root / "Show A" / "Show A - 01.mp4", dict(seconds=20, seed=11)),
        "a2": (root / "Show A" / "Show A - 02.mp4", dict(seconds=20, seed=12, letterbox=True)),
        "o3": (root / "Other" / "[Grp] Other Show - 03 [360p].mkv", dict(seconds=12, seed=13, width=640, height=360)),
    }
    out = {}
    for key, (path, kwargs) in files.items():
        out[key] = (path, make_video(path, **kwargs))
    return Videos(root, out, Renderer(20, 999, 320, 180))


@pytest.fixture(scope="session")
def built(tmp_path_factory, videos):
    """A data dir with the videos indexed (do not change it: use ``library_copy``)."""
    from animetui.library.db import LibraryDB, default_path
    from animetui.library.index import FaissIndex
    from animetui.library.indexer import run, scan

    data = tmp_path_factory.mktemp("built-data")
    with LibraryDB(default_path(data)) as db:
        db.add_folder(videos.root)
        scan(db)
        index = FaissIndex(db)
        result = run(db, index)
        index.close()
    assert result.files == 3 and not result.stopped
    return data


@pytest.fixture
def library_copy(built, tmp_path):
    data = tmp_path / "lib-data"
    shutil.copytree(built, data)
    return data
