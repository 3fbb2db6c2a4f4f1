"""A small, valid MP4 preview clip, made with PyAV (FFmpeg from its wheel), for trace.moe's ``video``.

trace.moe's ``/video/<id>`` answers ``video/mp4`` (H.264, with the scene's sound unless ``mute``);
the simulator answers the same: a few seconds of a moving synthetic scene, an AAC tone track unless
muted. Clips are deterministic for their parameters and cached in memory (a handful of distinct
ones per run), so repeated requests cost no encoding.
"""

from __future__ import annotations

import functools
import io
import math

FPS = 12
SAMPLE_RATE = 22050


def _video_codec() -> str:
    import av

    return "libx264" if "libx264" in av.codecs_available else "mpeg4"


@functools.lru_cache(maxsize=32)
def mp4_clip(width: int, height: int, seconds: float, seed: int, *, audio: bool) -> bytes:
    """``seconds`` of video at ``width``×``height`` (rounded to even numbers); a 440 Hz tone unless not ``audio``."""
    import av
    from PIL import Image, ImageChops

    from animetui.simulator.imagery import scene

    width, height = max(16, width - width % 2), max(16, height - height % 2)
    base = Image.open(io.BytesIO(scene(width, height, seed=seed, fmt="PNG"))).convert("RGB")
    frames = max(1, round(seconds * FPS))
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        video = container.add_stream(_video_codec(), rate=FPS)
        assert isinstance(video, av.VideoStream)  # add_stream is typed as any stream kind
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        sound = container.add_stream("aac", rate=SAMPLE_RATE, layout="mono") if audio else None
        assert sound is None or isinstance(sound, av.AudioStream)
        for index in range(frames):  # a slow pan: something moves, as in a real scene
            picture = ImageChops.offset(base, index * max(1, width // 60), 0)
            for packet in video.encode(av.VideoFrame.from_image(picture)):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        if sound is not None:
            _tone(container, sound, seconds)
    return out.getvalue()


def _tone(container: object, stream: object, seconds: float) -> None:
    import av
    import numpy as np

    size = 1024
    total = int(seconds * SAMPLE_RATE)
    for start in range(0, total, size):
        count = min(size, total - start)
        t = (np.arange(start, start + count) / SAMPLE_RATE).astype(np.float32)
        samples = (0.2 * np.sin(2 * math.pi * 440.0 * t)).astype(np.float32).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = start
        for packet in stream.encode(frame):  # type: ignore[attr-defined]
            container.mux(packet)  # type: ignore[attr-defined]
    for packet in stream.encode(None):  # type: ignore[attr-defined]
        container.mux(packet)  # type: ignore[attr-defined]


__all__ = ["mp4_clip"]
