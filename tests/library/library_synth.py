"""Synthetic "anime" test videos made with PyAV: scenes with moving shapes, pans over a textured
background, static holds of several seconds, fades to black and hard cuts; content changes on
twos (every second frame) like limited animation. Deterministic from a seed, so a test can ask
for the frame at any time (:func:`render_frame`) and for what the video looks like there.

Shared by tests/library and tests/benchmarks/bench_library.py (which adds this folder to sys.path).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

KINDS = ("shapes", "pan", "hold", "fade", "shapes", "pan")


@dataclass(frozen=True)
class Scene:
    start: float
    end: float
    kind: str
    seed: int


def plan(seconds: float, seed: int) -> list[Scene]:
    rng = np.random.default_rng(seed)
    scenes, t = [], 0.0
    while t < seconds:
        kind = KINDS[int(rng.integers(len(KINDS)))]
        length = float(rng.uniform(3.0, 6.0)) if kind == "hold" else float(rng.uniform(1.5, 5.0))
        scenes.append(Scene(t, min(seconds, t + length), kind, int(rng.integers(1 << 30))))
        t += length
    return scenes


def _texture(seed: int, h: int, w: int) -> np.ndarray:
    from PIL import Image

    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(6, 10, 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(small).resize((w * 2, h * 2), Image.Resampling.BICUBIC))


class Renderer:
    """Frames of one synthetic video at a given size."""

    def __init__(self, seconds: float, seed: int, width: int, height: int, *, letterbox: bool = False) -> None:
        self.scenes = plan(seconds, seed)
        self.width, self.height, self.letterbox = width, height, letterbox
        self._tex: dict[int, np.ndarray] = {}
        yy, xx = np.mgrid[0:height, 0:width]
        self._yy, self._xx = yy.astype(np.float32), xx.astype(np.float32)

    def _scene_at(self, t: float) -> tuple[int, Scene]:
        for i, scene in enumerate(self.scenes):
            if t < scene.end:
                return i, scene
        return len(self.scenes) - 1, self.scenes[-1]

    def texture(self, seed: int) -> np.ndarray:
        if seed not in self._tex:
            if len(self._tex) > 4:
                self._tex.clear()
            self._tex[seed] = _texture(seed, self.height, self.width)
        return self._tex[seed]

    def frame(self, t: float, fps: float = 24.0) -> np.ndarray:
        index, scene = self._scene_at(t)
        t = (int(t * fps) // 2) * 2 / fps  # on twos
        local = max(0.0, t - scene.start)
        h, w = self.height, self.width
        rng = np.random.default_rng(scene.seed)
        tex = self.texture(scene.seed)
        if scene.kind == "pan":
            dx, dy = rng.uniform(-0.25, 0.25, size=2)
            ox = int((0.5 + dx * local) * w) % w
            oy = int((0.5 + dy * local) * h) % h
            img = tex[oy : oy + h, ox : ox + w].copy()
        else:
            img = tex[h // 2 : h // 2 + h, w // 2 : w // 2 + w].copy()
        if scene.kind in ("shapes", "fade", "hold"):
            for _ in range(4):
                colour = rng.integers(0, 256, size=3)
                cx, cy = rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h
                vx, vy = rng.uniform(-0.3, 0.3, size=2) * (0 if scene.kind == "hold" else 1)
                radius = rng.uniform(0.06, 0.2) * h
                cx, cy = cx + vx * w * local, cy + vy * h * local
                mask = (self._xx - cx) ** 2 + (self._yy - cy) ** 2 < radius * radius
                img[mask] = colour
        if scene.kind == "fade":
            level = max(0.0, 1.0 - local / max(0.5, scene.end - scene.start))
            img = (img.astype(np.float32) * level).astype(np.uint8)
        if self.letterbox:
            bar = h // 8
            img[:bar] = 0
            img[h - bar :] = 0
        return img


def make_video(
    path: Path,
    seconds: float,
    *,
    seed: int,
    width: int = 320,
    height: int = 180,
    fps: int = 24,
    letterbox: bool = False,
    crf: int = 20,
    preset: str = "veryfast",
    render_size: tuple[int, int] | None = None,
) -> Renderer:
    """Encode a synthetic H.264 MP4 (or MKV, by suffix) and return its renderer.

    ``render_size``: draw at that size and upscale (bilinear) to ``width``×``height`` — much
    cheaper for 720p, and soft like most upscaled anime."""
    import av
    from PIL import Image

    rw, rh = render_size or (width, height)
    renderer = Renderer(seconds, seed, rw, rh, letterbox=letterbox)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {"crf": str(crf), "preset": preset}
        stream.time_base = Fraction(1, fps)
        for i in range(int(seconds * fps)):
            picture = renderer.frame(i / fps, fps)
            if (rw, rh) != (width, height):
                picture = np.asarray(Image.fromarray(picture).resize((width, height), Image.Resampling.BILINEAR))
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return renderer


def screenshot(renderer: Renderer, t: float, *, size=(640, 360), letterbox: bool = False, subtitle: bool = False) -> bytes:
    from PIL import Image, ImageDraw

    img = Image.fromarray(renderer.frame(t)).resize(size, Image.Resampling.BICUBIC)
    if subtitle:
        draw = ImageDraw.Draw(img)
        w, h = size
        draw.text((w * 0.2, h * 0.85), "I never thought it would end like this...", fill=(255, 255, 255), stroke_width=2, stroke_fill=(0, 0, 0), font_size=max(10, h // 20))
    if letterbox:
        w, h = size
        canvas = Image.new("RGB", (w, h * 4 // 3), (0, 0, 0))
        canvas.paste(img, (0, (canvas.height - h) // 2))
        img = canvas
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=75)
    return buf.getvalue()
