"""Decoding and dedupe: sampling modes, trace.moe's dedupe rule, resuming from a time, the
picture at a second, and query pictures (border cut, transparency)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from animetui.library.frames import Deduper, cut_borders, decode_vectors, frame_at, load_image, probe, query_vectors


def test_dedupe_drops_repeats_within_two_seconds_only() -> None:
    a, b = np.full(33, 10, dtype=np.uint8), np.full(33, 20, dtype=np.uint8)
    times = np.array([0.0, 0.5, 1.0, 1.5, 2.1, 2.2])
    vecs = np.stack([a, a, b, a, a, b])
    keep = Deduper().keep(times, vecs)
    # 0.5: a repeat of 0.0; 1.5: a repeat of 0.0 (< 2 s); 2.1: a is 2.1 s after 0.0 → kept; 2.2: b repeat of 1.0
    assert keep.tolist() == [True, False, True, False, True, False]


def test_dedupe_state_carries_across_batches_and_window_is_fifty() -> None:
    d = Deduper()
    distinct = np.stack([np.full(33, i, dtype=np.uint8) for i in range(51)])
    assert d.keep(np.arange(51) * 0.01, distinct).all()
    # vector 0 is 51 kept frames back: outside the window of 50 → kept again (pushing vector 1 out);
    # vector 2 is still inside → dropped
    assert d.keep(np.array([0.6, 0.61]), distinct[[0, 2]]).tolist() == [True, False]


def test_sampling_modes(videos) -> None:
    path, _ = videos.files["a1"]
    counts = {}
    for mode in ("all", "nonref", "key"):
        times = np.concatenate([t for t, _ in decode_vectors(path, sampling=mode)])
        assert np.all(np.diff(np.sort(times)) > 0)
        counts[mode] = len(times)
    assert counts["all"] == 20 * 24
    assert counts["key"] < counts["nonref"] < counts["all"]
    with pytest.raises(ValueError):
        next(decode_vectors(path, sampling="some"))


def test_resume_from_a_time_skips_what_was_done(videos) -> None:
    path, _ = videos.files["a1"]
    times = np.concatenate([t for t, _ in decode_vectors(path, sampling="all", start=10.0)])
    assert times.min() > 10.0 and times.max() > 19.0


def test_probe_and_frame_at(videos) -> None:
    from PIL import Image

    path, renderer = videos.files["o3"]
    info = probe(path)
    assert (info.width, info.height) == (640, 360) and abs(info.duration - 12) < 0.2
    png = frame_at(path, 5.0)
    picture = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)
    assert picture.shape == (360, 640, 3)
    assert np.abs(picture - renderer.frame(5.0).astype(int)).mean() < 12


def test_cut_borders_finds_letterbox_and_leaves_plain_pictures() -> None:
    from PIL import Image

    inner = Image.fromarray(np.random.default_rng(0).integers(40, 255, (180, 320, 3), dtype=np.uint8))
    boxed = Image.new("RGB", (320, 260))
    boxed.paste(inner, (0, 40))
    cut = cut_borders(boxed)
    assert cut is not None and cut.size == (320, 180)
    assert cut_borders(inner) is None
    vectors, names = query_vectors(boxed, flip=True)
    assert vectors.shape == (4, 33) and names == ["as given", "borders cut", "as given, mirrored", "borders cut, mirrored"]


def test_transparent_picture_is_flattened_on_black() -> None:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGBA", (64, 36), (255, 255, 255, 0)).save(buf, "PNG")
    image = load_image(buf.getvalue())
    assert image.mode == "RGB" and image.getpixel((3, 3)) == (0, 0, 0)
