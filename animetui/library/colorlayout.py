"""The MPEG-7 Colour Layout descriptor exactly as trace.moe computes it (33 numbers: 21 Y, 6 Cb, 6 Cr).

A reimplementation (not a copy) of the algorithm in soruly/trace.moe-api ``src/lib/color-layout.ts``,
bit for bit: the same 8×8 block means (block edges at ``ceil(i * size / 8)``), the same
RGB→YCbCr constants, the same 8×8 DCT with its intermediate stage rounded to float32, the same
zig-zag and quantisers, and the JavaScript typed-array wrap-arounds (Int16 for the block values,
Uint8 for the coefficients). So a vector computed here can be compared with vectors in a
trace.moe index, or sent to its ``POST /search`` as ``{"vector": …}``.

Vectorised over a batch of frames with numpy: :func:`color_layout_batch` takes ``(N, H, W, 3)``
uint8 RGB and returns ``(N, 33)`` uint8.
"""

from __future__ import annotations

import math

import numpy as np

DIM = 33

# The 8×8 type-II DCT basis, to the 7 significant digits trace.moe uses (row u, column x):
# alpha(u) * cos((2x + 1) u pi / 16), rounded as the reference table is.
_COS = np.array(
    [[float(f"{(math.sqrt(1 / 8) if u == 0 else math.sqrt(2 / 8)) * math.cos((2 * x + 1) * u * math.pi / 16):.6e}") for x in range(8)] for u in range(8)],
    dtype=np.float64,
)

_ZIGZAG = np.array(
    [0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40],
    dtype=np.intp,
)


def _edges(size: int) -> np.ndarray:
    return np.array([-(-i * size // 8) for i in range(9)], dtype=np.intp)  # ceil(i * size / 8)


def _block_sums(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-block channel sums ``(N, 8, 8, 3)`` (int64) and pixel counts ``(8, 8)``."""
    n, height, width, _ = frames.shape
    ys, xs = _edges(height), _edges(width)
    rows = np.zeros((n, 8, width, 3), dtype=np.int64)
    for by in range(8):
        if ys[by + 1] > ys[by]:
            rows[:, by] = frames[:, ys[by] : ys[by + 1]].sum(axis=1, dtype=np.int64)
    sums = np.zeros((n, 8, 8, 3), dtype=np.int64)
    for bx in range(8):
        if xs[bx + 1] > xs[bx]:
            sums[:, :, bx] = rows[:, :, xs[bx] : xs[bx + 1]].sum(axis=2)
    counts = np.outer(np.diff(ys), np.diff(xs))
    return sums, counts


def _fdct(shape: np.ndarray) -> np.ndarray:
    """``(N, 8, 8)`` int → int64, the two passes summed in the reference's order (k = 0…7)."""
    values = shape.astype(np.float64)
    first = np.zeros_like(values)  # first[i, j] = sum_k C[j, k] * v[i, k]
    for k in range(8):
        first = first + _COS[:, k][None, None, :] * values[:, :, k][:, :, None]
    first = first.astype(np.float32).astype(np.float64)  # the reference keeps this stage in a Float32Array
    second = np.zeros_like(values)  # second[i, j] = sum_k C[i, k] * first[k, j]
    for k in range(8):
        second = second + _COS[:, k][None, :, None] * first[:, k, :][:, None, :]
    return np.floor(second + 0.499999).astype(np.int64).astype(np.int16).astype(np.int64)


def _quant_ydc(i: np.ndarray) -> np.ndarray:
    return np.select(
        [i > 192, i > 160, i > 96, i > 64],
        [112 + ((i - 192) >> 2), 96 + ((i - 160) >> 1), 32 + (i - 96), 16 + ((i - 64) >> 1)],
        i >> 2,
    )


def _quant_cdc(i: np.ndarray) -> np.ndarray:
    return np.select(
        [i > 191, i > 160, i > 144, i > 112, i > 96, i > 64],
        [np.full_like(i, 63), 56 + ((i - 160) >> 2), 48 + ((i - 144) >> 1), 16 + (i - 112), 8 + ((i - 96) >> 1), (i - 64) >> 2],
        0,
    )


def _quant_ac(i: np.ndarray) -> np.ndarray:
    i = np.clip(i, -256, 255)
    a = np.abs(i)
    j = np.where(a > 127, 64 + (a >> 2), np.where(a > 63, 32 + (a >> 1), a))
    return np.where(i < 0, -j, j) + 128


def color_layout_batch(frames: np.ndarray) -> np.ndarray:
    """``(N, H, W, 3)`` uint8 RGB frames → ``(N, 33)`` uint8 descriptors."""
    frames = np.asarray(frames)
    if frames.ndim == 3:
        frames = frames[None]
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError("color_layout_batch wants (N, H, W, 3) RGB frames")
    n = frames.shape[0]
    sums, counts = _block_sums(frames)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(counts > 0, 1.0 / (counts.astype(np.float64) * 256.0), 0.0)
    rgb = sums.astype(np.float64) * inv[None, :, :, None]
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    yy = 0.299 * r + 0.587 * g + 0.114 * b
    empty = counts == 0
    planes = []
    for value in (219 * yy + 16.5, 126.336 * (b - yy) + 128.5, 159.712 * (r - yy) + 128.5):
        plane = np.floor(value).astype(np.int64).astype(np.int16).astype(np.int64)
        plane[:, empty] = 0
        planes.append(_fdct(plane).reshape(n, 64))
    y, cb, cr = planes
    out = np.empty((n, DIM), dtype=np.int64)
    out[:, 0] = _quant_ydc(y[:, 0] >> 3) >> 1
    out[:, 21] = _quant_cdc(cb[:, 0] >> 3)
    out[:, 27] = _quant_cdc(cr[:, 0] >> 3)
    out[:, 1:21] = _quant_ac(y[:, _ZIGZAG[1:21]] >> 1) >> 3
    out[:, 22:27] = _quant_ac(cb[:, _ZIGZAG[1:6]]) >> 3
    out[:, 28:33] = _quant_ac(cr[:, _ZIGZAG[1:6]]) >> 3
    return (out & 0xFF).astype(np.uint8)  # Uint8Array stores wrap modulo 256


def color_layout(rgb: np.ndarray | bytes, width: int | None = None, height: int | None = None) -> list[int]:
    """One frame: an ``(H, W, 3)`` uint8 array, or packed RGB bytes with ``width``/``height``."""
    if isinstance(rgb, (bytes, bytearray, memoryview)):
        if width is None or height is None:
            raise ValueError("packed RGB bytes need width and height")
        rgb = np.frombuffer(rgb, dtype=np.uint8).reshape(height, width, 3)
    return [int(v) for v in color_layout_batch(np.asarray(rgb, dtype=np.uint8)[None])[0]]
