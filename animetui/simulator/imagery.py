"""Real images the simulators (and demo mode) hand out: deterministic, made with Pillow.

``scene`` draws a sky/ground gradient with simple "characters" (a head and a body) inside given
boxes, so character boxes returned by the AnimeTrace simulator line up with something visible.
"""

from __future__ import annotations

import io
import random
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

PALETTE = [
    (238, 99, 82), (89, 205, 144), (63, 167, 214), (250, 192, 94), (178, 102, 255),
    (255, 140, 198), (120, 220, 232), (255, 214, 10),
]


def scene(
    width: int,
    height: int,
    *,
    seed: int = 0,
    boxes: list[tuple[float, float, float, float]] | None = None,
    fmt: str = "PNG",
    quality: int = 85,
    caption: str | None = None,
) -> bytes:
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    top = (rng.randint(40, 120), rng.randint(80, 160), rng.randint(160, 240))
    bottom = (rng.randint(160, 240), rng.randint(120, 200), rng.randint(90, 160))
    # a vertical gradient built from a 1-pixel-wide strip (fast at any size)
    strip = Image.new("RGB", (1, 256))
    strip.putdata([tuple(int(t + (b - t) * y / 255) for t, b in zip(top, bottom)) for y in range(256)])
    image = strip.resize((width, height), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        cx, cy = rng.randint(0, width), rng.randint(0, height // 2)
        r = rng.randint(max(4, width // 40), max(8, width // 12))
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(255, 255, 255))
    for index, box in enumerate(boxes or []):
        x1, y1, x2, y2 = (box[0] * width, box[1] * height, box[2] * width, box[3] * height)
        colour = PALETTE[(seed + index) % len(PALETTE)]
        bw, bh = x2 - x1, y2 - y1
        head = min(bw, bh) * 0.22
        hx, hy = x1 + bw / 2, y1 + bh * 0.28
        draw.rounded_rectangle((x1 + bw * 0.2, y1 + bh * 0.45, x2 - bw * 0.2, y2), radius=max(1, int(bw * 0.1)), fill=colour)
        draw.ellipse((hx - head, hy - head, hx + head, hy + head), fill=(255, 224, 196))
        draw.ellipse((hx - head * 1.1, hy - head * 1.15, hx + head * 1.1, hy - head * 0.1), fill=colour)
    if caption:
        draw.text((8, height - 20), caption[:80], fill=(20, 20, 20))
    buffer = io.BytesIO()
    if fmt.upper() in ("JPEG", "JPG"):
        image.save(buffer, "JPEG", quality=quality)
    elif fmt.upper() == "WEBP":
        image.save(buffer, "WEBP", quality=quality, method=0)
    else:
        image.save(buffer, fmt.upper())
    return buffer.getvalue()


def rgb_extrema(image: PILImage) -> tuple[tuple[float, float], ...]:
    """``(low, high)`` per band of ``image`` seen as RGB (Pillow types getextrema() loosely: one
    pair for a one-band image, a pair per band otherwise)."""
    extrema = image.convert("RGB").getextrema()
    return tuple(band for band in extrema if isinstance(band, tuple))
