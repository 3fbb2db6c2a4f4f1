"""Searching an indexed library with screenshots: right file and second, trace.moe's from/to/at
grouping and similarity, confidence labels, border-cut and mirrored variants, the frame at the
match, the provider protocol, and the Milvus backend (milvus-lite) giving the same answers."""

from __future__ import annotations

import asyncio
import io

import numpy as np
import pytest
from library_synth import screenshot

from animetui.library.db import LibraryDB, default_path, split_id, vector_ids
from animetui.library.index import FaissIndex
from animetui.library.search import LibraryMatch, Searcher, confidence, group_hits


@pytest.fixture(scope="module")
def searcher(built):
    db = LibraryDB(default_path(built))
    s = Searcher(db, FaissIndex(db))
    yield s
    db.close()


def _same_picture(renderer, t1: float, t2: float) -> bool:
    return np.abs(renderer.frame(t1).astype(int) - renderer.frame(t2).astype(int)).mean() < 1.0


def _right(match: LibraryMatch, path, renderer, t: float) -> bool:
    return match.file == str(path) and (abs(match.at - t) <= 1.0 or _same_picture(renderer, match.at, t))


@pytest.mark.parametrize("t", [1.3, 7.9, 13.4, 18.2])
@pytest.mark.parametrize("key", ["a1", "a2", "o3"])
def test_screenshot_finds_file_and_second(searcher, videos, key, t) -> None:
    path, renderer = videos.files[key]
    if key == "o3":  # a 12 s video
        t = t % 11.5
    matches = searcher.search_image(screenshot(renderer, t))
    assert matches, "no match"
    best = matches[0]
    assert _right(best, path, renderer, t), (best, t)
    assert best.confidence == "likely" and best.similarity >= 0.9
    assert best.start <= best.at <= best.end


@pytest.mark.parametrize("kind", ["1080p", "letterbox", "subtitle"])
def test_screenshot_variants(searcher, videos, kind) -> None:
    path, renderer = videos.files["a1"]
    t = 9.6
    shot = screenshot(renderer, t, size=(1920, 1080) if kind == "1080p" else (640, 360),
                      letterbox=kind == "letterbox", subtitle=kind == "subtitle")
    best = searcher.search_image(shot)[0]
    assert _right(best, path, renderer, t), best
    if kind == "letterbox":
        assert best.variant == "borders cut"


def test_borders_are_not_cut_when_asked_not_to(searcher, videos) -> None:
    _, renderer = videos.files["a1"]
    shot = screenshot(renderer, 9.6, letterbox=True)
    matches = searcher.search_image(shot, cut=False)
    assert all(m.variant == "as given" for m in matches)


def test_mirrored_screenshot_needs_the_flip_variant(searcher, videos) -> None:
    from PIL import Image, ImageOps

    path, renderer = videos.files["a1"]
    t = 5.2
    mirrored = ImageOps.mirror(Image.open(io.BytesIO(screenshot(renderer, t))))
    best = searcher.search_image(mirrored, flip=True)[0]
    assert _right(best, path, renderer, t) and "mirrored" in best.variant


def test_frames_not_in_the_library_are_not_likely(searcher, videos) -> None:
    labels = [searcher.search_image(screenshot(videos.stranger, t))[0].confidence for t in (1.0, 4.5, 9.0, 15.5)]
    assert "likely" not in labels


def test_a_black_or_faded_picture_is_never_likely(searcher, videos) -> None:
    from PIL import Image

    from animetui.library.search import detail

    black = io.BytesIO()
    Image.new("RGB", (640, 360), (3, 3, 3)).save(black, "JPEG", quality=75)
    matches = searcher.search_image(black.getvalue())
    assert matches
    for m in matches:
        assert m.flat and m.confidence != "likely" and m.to_json()["note"]
    _, renderer = videos.files["a1"]
    assert not searcher.search_image(screenshot(renderer, 7.9))[0].flat
    assert detail([30] + [16] * 20 + [32] + [16] * 5 + [32] + [16] * 5) == 0


def test_confidence_labels() -> None:
    labels = [confidence(s) for s in (0.95, 0.90, 0.895, 0.87, 0.869, None)]
    assert labels[:4] == ["likely", "likely", "uncertain", "uncertain"]
    assert labels[4] == labels[5] and labels[4].startswith("probably wrong")


def test_grouping_like_trace_moe() -> None:
    ids = vector_ids(7, [10.0, 12.0, 14.5, 30.0]).tolist() + vector_ids(8, [10.0]).tolist()
    d = np.array([5.0, 2.0, 9.0, 1.0, 4.0])
    groups = group_hits(d, np.array(ids))
    spans = sorted((g.file_id, g.start, g.end, g.at, g.score) for g in groups)
    assert spans == [(7, 10.0, 14.5, 12.0, 2.0), (7, 30.0, 30.0, 30.0, 1.0), (8, 10.0, 10.0, 10.0, 4.0)]
    assert split_id(ids[2]) == (7, 14.5)


def test_json_shape(searcher, videos) -> None:
    _, renderer = videos.files["o3"]
    best = searcher.search_image(screenshot(renderer, 4.0))[0]
    data = best.to_json()
    assert data["title"] == "Other Show" and data["episode"] == "03"
    assert data["engine"] == "local" and data["filename"] == "[Grp] Other Show - 03 [360p].mkv"
    assert {"from", "to", "at", "file", "similarity", "confidence"} <= set(data)


def test_frame_at_the_match(searcher, videos, built) -> None:
    from PIL import Image

    from animetui.library.provider import LocalLibraryProvider

    path, renderer = videos.files["a1"]
    provider = LocalLibraryProvider(built)
    best = provider.search_sync(screenshot(renderer, 3.0)).matches[0]
    png = provider.frame(best)
    provider.close()
    picture = np.asarray(Image.open(io.BytesIO(png)).convert("RGB").resize((320, 180)), dtype=int)
    assert np.abs(picture - renderer.frame(best.at).astype(int)).mean() < 12


def test_provider_protocol_and_url_refused(built, videos, tmp_path) -> None:
    from animetui.errors import Unsupported
    from animetui.library.provider import LocalLibraryProvider
    from animetui.models import ImageSource
    from animetui.providers.base import SceneSearcher

    provider = LocalLibraryProvider(built)
    assert isinstance(provider, SceneSearcher) and provider.available()
    _, renderer = videos.files["a2"]
    shot = tmp_path / "shot.jpg"
    shot.write_bytes(screenshot(renderer, 6.0))
    result = asyncio.run(provider.search_scene(ImageSource(path=shot)))
    assert result.matches[0].file.endswith("Show A - 02.mp4")
    with pytest.raises(Unsupported):
        asyncio.run(provider.search_scene(ImageSource(url="https://example.invalid/x.jpg")))
    provider.close()


def test_no_library_yet_is_one_clear_line(tmp_path) -> None:
    from animetui.errors import BadInput
    from animetui.library.provider import LocalLibraryProvider

    with pytest.raises(BadInput, match="library add"):
        LocalLibraryProvider(tmp_path).search_sync(b"x")


def test_bad_query_picture_is_one_clear_line(searcher) -> None:
    from animetui.errors import BadInput

    with pytest.raises(BadInput, match="not a readable picture"):
        searcher.search_image(b"this is not a picture")


def test_milvus_backend_gives_the_same_answers(library_copy, videos) -> None:
    pytest.importorskip("pymilvus", reason="pymilvus not installed (pip install -e '.[test]')")
    pytest.importorskip("milvus_lite", reason="milvus-lite not installed (pip install -e '.[test]')")
    from animetui.library.index import MilvusIndex

    db = LibraryDB(default_path(library_copy))
    try:
        milvus = MilvusIndex(db, str(library_copy / "milvus.db"))
        assert milvus.flush() == db.vector_count()
        assert milvus.flush() == 0  # nothing new
        local, remote = Searcher(db, FaissIndex(db)), Searcher(db, milvus)
        for key, t in (("a1", 4.4), ("a2", 12.0), ("o3", 8.0)):
            shot = screenshot(videos.files[key][1], t)
            a, b = local.search_image(shot)[0], remote.search_image(shot)[0]
            assert (a.file, a.at, a.similarity) == (b.file, b.at, b.similarity)
        # forgetting a folder removes its vectors from Milvus too
        folder = next(fid for fid, p, _, _ in db.folders())
        db.remove_folder(folder)
        milvus.flush()
        assert remote.search_image(screenshot(videos.files["a1"][1], 4.4)) == []
        milvus.close()
    finally:
        db.close()


def test_a_big_library_uses_an_inverted_file_with_the_same_answers(library_copy, videos, monkeypatch) -> None:
    import animetui.library.index as ix

    db = LibraryDB(default_path(library_copy))
    try:
        flat = Searcher(db, FaissIndex(db))
        monkeypatch.setattr(ix, "IVF_FROM", 100)  # the test library is small: force the IVF path
        big = FaissIndex(db)
        big.rebuild()
        assert type(big._segments[0][1]).__name__ == "IndexIVFScalarQuantizer"
        ivf = Searcher(db, big)
        for key, t in (("a1", 4.4), ("a2", 12.0), ("o3", 8.0)):
            shot = screenshot(videos.files[key][1], t)
            a, b = flat.search_image(shot)[0], ivf.search_image(shot)[0]
            assert (a.file, a.at, a.similarity) == (b.file, b.at, b.similarity)
    finally:
        db.close()


def test_a_static_hold_spans_the_hold_and_answers_its_middle() -> None:
    """Equal frames are dropped within 2 s, so a picture held 0-5 s is kept at 0, 2 and 4 s with
    one vector: the answer spans the hold and ``at`` is its middle, not its first frame."""
    ids = vector_ids(7, [20.0, 22.0, 24.0, 25.5, 27.0]).tolist()
    d = np.array([3.0, 3.0, 3.0, 8.0, 9.0])
    (g,) = group_hits(d, np.array(ids))
    assert g.hold and (g.start, g.end, g.at) == (20.0, 25.5, 22.0)  # to: the next different frame, 1.5 s on
    # one best hit: trace.moe's answer (at = that hit), the whole group as from/to
    (g,) = group_hits(np.array([3.0, 2.0, 3.5]), np.array(vector_ids(7, [20.0, 22.0, 24.0]).tolist()))
    assert not g.hold and (g.start, g.end, g.at) == (20.0, 24.0, 22.0)
    # two holds of one picture with another frame between: the longer run, not both
    ids = vector_ids(7, [10.0, 12.0, 13.0, 14.0, 16.0, 18.0]).tolist()
    (g,) = group_hits(np.array([1.0, 1.0, 5.0, 1.0, 1.0, 1.0]), np.array(ids))
    assert g.hold and g.start == 14.0 and g.at == 16.0

    # the same picture twice with frames between that are no hits (4 s apart): two holds, not one
    ids = vector_ids(7, [10.0, 12.0, 16.0]).tolist()
    (g,) = group_hits(np.array([1.0, 1.0, 1.0]), np.array(ids))
    assert g.hold and (g.start, g.at) == (10.0, 11.0)
