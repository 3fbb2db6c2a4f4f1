"""Colour-layout vectors to send to trace.moe instead of the picture (``POST /search`` with
``{"vector": …}``: up to 10 a request, 1 quota each). The picture never leaves the machine, and
one request can vote across the original, its border-cut copy, their mirror images, and several
frames of a GIF or video — :meth:`animetui.providers.tracemoe.TraceMoeProvider.search_vectors`
takes the list as it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

MAX_VECTORS = 10


def _frames_of(source: Path | bytes, count: int) -> list[Any]:
    """Up to ``count`` evenly spaced frames of an animated picture or a video (else the one)."""
    import io

    from PIL import Image, ImageSequence

    from animetui.library.frames import VIDEO_SUFFIXES, frame_at, load_image, probe

    if isinstance(source, Path) and source.suffix.lower() in VIDEO_SUFFIXES:
        duration = probe(source).duration or 1.0
        times = [duration * (i + 1) / (count + 1) for i in range(count)]
        return [load_image(frame_at(source, t)) for t in times]
    first = load_image(source)
    try:
        animated = Image.open(io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source)
        total = getattr(animated, "n_frames", 1)
    except OSError:
        return [first]
    if total <= 1:
        return [first]
    picks = sorted({round(i * (total - 1) / max(1, count - 1)) for i in range(count)})
    frames = []
    for index, frame in enumerate(ImageSequence.Iterator(animated)):
        if index in picks:
            frames.append(frame.convert("RGB"))
    return frames or [first]


def trace_vectors(source: Path | bytes, *, flip: bool = True, cut: bool = True, frames: int = 3) -> list[list[int]]:
    """At most :data:`MAX_VECTORS` 33-value vectors for one trace.moe request: per frame (one for a
    still, ``frames`` for a GIF/video) the picture, its border-cut copy, and mirrors if ``flip``."""
    from animetui.library.frames import query_vectors

    out: list[list[int]] = []
    for image in _frames_of(source, max(1, frames)):
        vectors, _ = query_vectors(image, cut=cut, flip=flip)
        for v in vectors.tolist():
            if v not in out:
                out.append(v)
    return out[:MAX_VECTORS]
