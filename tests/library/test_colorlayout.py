"""The colour layout descriptor reproduces trace.moe's expected vectors bit for bit
(soruly/trace.moe-api src/lib/color-layout.test.ts), and the vectorised batch code agrees with a
plain scalar rendering of the same algorithm on random and odd-sized frames."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest

from animetui.library.colorlayout import color_layout, color_layout_batch

W, H = 320, 180

RAMP = [30, 15, 16, 16, 16, 16, 16, 15, 16, 15, 16, 16, 16, 16, 15, 15, 15, 16, 15, 16, 15, 32, 16, 16, 16, 16, 16, 32, 16, 16, 16, 16, 16]
BLACK = [2] + [16] * 20 + [32, 16, 16, 16, 16, 16, 32, 16, 16, 16, 16, 16]
WHITE = [61] + [16] * 20 + [32, 16, 16, 16, 16, 16, 32, 16, 16, 16, 16, 16]


def test_ramp_vector_matches_trace_moe() -> None:
    buf = bytes(i % 256 for i in range(W * H * 3))
    assert color_layout(buf, W, H) == RAMP


def test_grey_is_deterministic() -> None:
    buf = bytes([128]) * (W * H * 3)
    assert color_layout(buf, W, H) == color_layout(buf, W, H)


def test_black_vector_matches_trace_moe() -> None:
    assert color_layout(bytes(W * H * 3), W, H) == BLACK


def test_white_vector_matches_trace_moe() -> None:
    assert color_layout(bytes([255]) * (W * H * 3), W, H) == WHITE


# ----------------------------------------------------------------- a scalar rendering to compare with
_C = [[float(f"{(math.sqrt(1 / 8) if u == 0 else math.sqrt(2 / 8)) * math.cos((2 * x + 1) * u * math.pi / 16):.6e}") for x in range(8)] for u in range(8)]
_ZZ = [0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40]


def _f32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


def _i16(x: int) -> int:
    return (x + 32768) % 65536 - 32768


def _scalar(img: np.ndarray) -> list[int]:
    h, w, _ = img.shape
    xs = [math.ceil(i * w / 8) for i in range(9)]
    ys = [math.ceil(i * h / 8) for i in range(9)]
    planes = [[0] * 64 for _ in range(3)]
    for by in range(8):
        for bx in range(8):
            block = img[ys[by] : ys[by + 1], xs[bx] : xs[bx + 1]].reshape(-1, 3)
            count = len(block)
            k = by * 8 + bx
            if count == 0:
                continue
            inv = 1 / (count * 256)
            r, g, b = (int(block[:, c].sum()) * inv for c in range(3))
            yy = 0.299 * r + 0.587 * g + 0.114 * b
            planes[0][k] = _i16(math.floor(219 * yy + 16.5))
            planes[1][k] = _i16(math.floor(126.336 * (b - yy) + 128.5))
            planes[2][k] = _i16(math.floor(159.712 * (r - yy) + 128.5))
    for p in planes:
        tmp = [0.0] * 64
        for i in range(8):
            for j in range(8):
                s = 0.0
                for k in range(8):
                    s += _C[j][k] * p[8 * i + k]
                tmp[8 * i + j] = _f32(s)
        for j in range(8):
            for i in range(8):
                s = 0.0
                for k in range(8):
                    s += _C[i][k] * tmp[8 * k + j]
                p[8 * i + j] = _i16(math.floor(s + 0.499999))

    def ydc(i: int) -> int:
        if i > 192:
            return 112 + ((i - 192) >> 2)
        if i > 160:
            return 96 + ((i - 160) >> 1)
        if i > 96:
            return 32 + (i - 96)
        if i > 64:
            return 16 + ((i - 64) >> 1)
        return i >> 2

    def cdc(i: int) -> int:
        for lo, base, shift in ((191, None, 0), (160, 56, 2), (144, 48, 1), (112, 16, 0), (96, 8, 1), (64, 0, 2)):
            if i > lo:
                return 63 if base is None else base + ((i - lo) >> shift)
        return 0

    def ac(i: int) -> int:
        i = min(max(-256, i), 255)
        a = abs(i)
        j = 64 + (a >> 2) if a > 127 else 32 + (a >> 1) if a > 63 else a
        return (-j if i < 0 else j) + 128

    y, cb, cr = planes
    out = [(ydc(y[0] >> 3) >> 1) & 255] + [(ac(y[_ZZ[i]] >> 1) >> 3) & 255 for i in range(1, 21)]
    out += [cdc(cb[0] >> 3) & 255] + [(ac(cb[_ZZ[i]]) >> 3) & 255 for i in range(1, 6)]
    out += [cdc(cr[0] >> 3) & 255] + [(ac(cr[_ZZ[i]]) >> 3) & 255 for i in range(1, 6)]
    return out


def test_cosine_table_is_the_reference_table() -> None:
    from animetui.library.colorlayout import _COS

    assert _COS[0][0] == 3.535534e-1 and _COS[1][3] == 9.754516e-2 and _COS[7][3] == -4.903926e-1


@pytest.mark.parametrize("shape", [(180, 320), (320, 240), (37, 53), (6, 5)])
def test_batch_agrees_with_scalar_rendering(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(sum(shape))
    frames = rng.integers(0, 256, size=(3, *shape, 3), dtype=np.uint8)
    frames[1] = np.clip(frames[1] // 4 + 180, 0, 255)  # a bright, low-contrast frame
    frames[2, :, : shape[1] // 2] = 0  # strong horizontal structure
    got = color_layout_batch(frames)
    assert got.shape == (3, 33) and got.dtype == np.uint8
    for index in range(3):
        assert got[index].tolist() == _scalar(frames[index])


def test_bad_shape_is_refused() -> None:
    with pytest.raises(ValueError):
        color_layout_batch(np.zeros((2, 10, 10), dtype=np.uint8))
