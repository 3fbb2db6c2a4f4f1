"""Video frames → colour layout vectors (PyAV), trace.moe's dedupe, and pictures for display.

Sampling: by default only *reference* frames are decoded (``skip_frame = NONREF``: FFmpeg skips
the B-frames nothing else depends on). Measured on 720p H.264 here (tests/benchmarks/bench_library.py
prints it again): about half the frames and ~55 % of the CPU of a full decode, at the same
search accuracy (|Δt| ≤ 1 s), because a skipped B-frame is never more than a frame or two from a
kept one. ``sampling="all"`` decodes every frame as trace.moe does (``-fps_mode passthrough``).
FFmpeg decodes with frame + slice threads (``thread_type = AUTO``).

Every frame is scaled to 320×180 RGB (swscale, area filter) like trace.moe's ``scale=320:180``
and described by :func:`~animetui.library.colorlayout.color_layout_batch` in batches.

Dedupe (trace.moe ``src/worker/milvus-load.ts``, reimplemented): a frame whose vector equals one
of the last 50 kept frames that are less than 2 s older is dropped.

PyAV and numpy are imported inside the functions: importing this module costs nothing.
"""

from __future__ import annotations

import io
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from animetui.errors import BadInput

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

WIDTH, HEIGHT = 320, 180
BATCH = 64
DEDUPE_WINDOW = 50
DEDUPE_SECONDS = 2.0

VIDEO_SUFFIXES = frozenset(
    ".mkv .mp4 .m4v .avi .webm .mov .ts .m2ts .wmv .flv .ogm .mpg .mpeg .rmvb .3gp".split()
)


class VideoError(BadInput):
    """A file that cannot be read as a video (not a video, damaged, gone)."""


@dataclass(slots=True)
class VideoInfo:
    duration: float  # seconds (0 when the container does not say)
    width: int
    height: int
    fps: float


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    # PyAV: "[Errno 1094995529] Invalid data found when processing input: '/x.mkv'" → the middle part
    if "] " in text:
        text = text.split("] ", 1)[1]
    return text.split(": '", 1)[0]


def _open(path: Path) -> Any:  # an av container (PyAV is untyped)
    import av

    try:
        container = av.open(str(path))
    except FileNotFoundError:
        raise VideoError(f"{path}: the file is gone") from None
    except PermissionError:
        raise VideoError(f"{path}: permission denied") from None
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise VideoError(f"{path}: not a readable video ({_reason(exc)})") from None
    if not container.streams.video:
        container.close()
        raise VideoError(f"{path}: not a video (no video stream)")
    return container


def probe(path: Path) -> VideoInfo:
    """Duration and size of a video, or a :class:`VideoError` saying why it cannot be read."""
    with _open(path) as container:
        stream = container.streams.video[0]
        duration = 0.0
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000
        rate = stream.average_rate or stream.guessed_rate
        return VideoInfo(duration, stream.codec_context.width, stream.codec_context.height, float(rate) if rate else 0.0)


@dataclass(slots=True)
class DecodeReport:
    frames_decoded: int = 0
    last_time: float = 0.0
    truncated: str = ""  # why decoding stopped early ("" when the file decoded to its end)


def decode_vectors(
    path: Path,
    *,
    sampling: str = "nonref",
    start: float = 0.0,
    batch: int = BATCH,
    threads: int = 0,
    report: DecodeReport | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Iterator[tuple[Any, Any]]:
    """Yield ``(times, vectors)`` batches — float64 seconds and ``(n, 33)`` uint8 — in decode order.

    ``start`` > 0 seeks there first (resuming a file) and drops frames before it. A file damaged
    part-way stops the iteration early with ``report.truncated`` set; a file that cannot be read
    at all raises :class:`VideoError`.
    """
    import av
    import numpy as np

    from animetui.library.colorlayout import color_layout_batch

    report = report if report is not None else DecodeReport()
    container = _open(path)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if threads:
            stream.thread_count = threads
        if sampling == "nonref":
            stream.codec_context.skip_frame = "NONREF"
        elif sampling == "key":
            stream.codec_context.skip_frame = "NONKEY"
        elif sampling != "all":
            raise ValueError(f"unknown sampling {sampling!r}")
        if start > 0 and stream.time_base:
            try:
                container.seek(int(start / stream.time_base), stream=stream, backward=True, any_frame=False)
            except av.FFmpegError:
                pass
        buf = np.empty((batch, HEIGHT, WIDTH, 3), dtype=np.uint8)
        times = np.empty(batch, dtype=np.float64)
        n = 0
        frames = container.decode(stream)
        while True:
            try:
                frame = next(frames)
            except StopIteration:
                break
            except (av.FFmpegError, OSError) as exc:
                if report.frames_decoded == 0 and n == 0 and start == 0:
                    raise VideoError(f"{path}: not a readable video ({_reason(exc)})") from None
                report.truncated = _reason(exc)
                break
            t = frame.time
            if t is None or (start > 0 and t <= start):
                continue
            buf[n] = frame.to_ndarray(width=WIDTH, height=HEIGHT, format="rgb24", interpolation="AREA")
            times[n] = t
            n += 1
            report.frames_decoded += 1
            report.last_time = t
            if n == batch:
                yield times.copy(), color_layout_batch(buf)
                n = 0
                if should_stop is not None and should_stop():
                    return
        if n:
            yield times[:n].copy(), color_layout_batch(buf[:n])
    finally:
        container.close()


@dataclass(slots=True)
class Deduper:
    """trace.moe's dedupe, kept across batches: drop a vector equal to one of the last
    :data:`DEDUPE_WINDOW` kept ones less than :data:`DEDUPE_SECONDS` older."""

    recent: deque = field(default_factory=lambda: deque(maxlen=DEDUPE_WINDOW))

    def keep(self, times: Any, vectors: Any) -> Any:
        """A boolean mask over the batch (frames must come in time order within a file)."""
        import numpy as np

        order = np.argsort(times, kind="stable")
        mask = np.zeros(len(times), dtype=bool)
        for i in order:
            t = float(times[i])
            key = vectors[i].tobytes()
            duplicate = False
            for kept_t, kept_key in reversed(self.recent):
                if t - kept_t >= DEDUPE_SECONDS:
                    break
                if kept_key == key:
                    duplicate = True
                    break
            if not duplicate:
                self.recent.append((t, key))
                mask[i] = True
        return mask


def frame_at(path: Path, seconds: float, *, max_width: int = 640) -> bytes:
    """The picture at ``seconds`` in a video as PNG bytes (for showing a match)."""
    import av

    container = _open(path)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if stream.time_base:
            container.seek(max(0, int(seconds / stream.time_base)), stream=stream, backward=True)
        best = None
        try:
            for frame in container.decode(stream):
                if frame.time is None:
                    continue
                best = frame
                if frame.time >= seconds - 1e-3:
                    break
        except av.FFmpegError as exc:
            if best is None:
                raise VideoError(f"{path}: cannot read the frame at {seconds:.1f} s ({_reason(exc)})") from None
        if best is None:
            raise VideoError(f"{path}: no frame at {seconds:.1f} s")
        image = best.to_image()
    finally:
        container.close()
    if image.width > max_width:
        image = image.resize((max_width, round(image.height * max_width / image.width)))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


# --------------------------------------------------------------------------- query pictures
def _named(source: Path | bytes) -> str:
    return "the image" if isinstance(source, (bytes, bytearray)) else str(source)


def load_image(source: Path | bytes) -> PILImage:
    """A PIL RGB image from a path or bytes; a still from a video file works too."""
    from PIL import Image, UnidentifiedImageError

    image: PILImage
    try:
        if isinstance(source, (bytes, bytearray)):
            image = Image.open(io.BytesIO(source))
        else:
            if Path(source).suffix.lower() in VIDEO_SUFFIXES:
                return load_image(frame_at(Path(source), 0.0))
            image = Image.open(source)
        image.load()
    except FileNotFoundError:
        raise BadInput(f"{_named(source)}: no such file") from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        name = _named(source)
        raise BadInput(f"{name}: not a readable picture ({exc.__class__.__name__})") from None
    if image.mode != "RGB":
        background = Image.new("RGB", image.size, (0, 0, 0))  # transparent → black, like trace.moe's flatten
        converted = image.convert("RGBA")
        background.paste(converted, mask=converted.getchannel("A"))
        image = background
    return image


def cut_borders(image: PILImage, *, threshold: int = 30) -> PILImage | None:
    """The picture without uniform dark borders (letterbox/pillarbox), or ``None`` when there are
    none worth cutting. Rows/columns whose brightest pixel stays under ``threshold`` count as
    border; the inner area must keep a sensible aspect ratio (like trace.moe's cutBorders)."""
    import numpy as np

    grey = np.asarray(image.convert("L"), dtype=np.uint8)
    rows = np.nonzero(np.percentile(grey, 98, axis=1) > threshold)[0]
    cols = np.nonzero(np.percentile(grey, 98, axis=0) > threshold)[0]
    if len(rows) == 0 or len(cols) == 0:
        return None
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    h, w = grey.shape
    if top == 0 and left == 0 and bottom == h and right == w:
        return None
    if (bottom - top) < h * 0.3 or (right - left) < w * 0.3:
        return None
    return image.crop((int(left), int(top), int(right), int(bottom)))


def query_vectors(image: PILImage, *, cut: bool = True, flip: bool = False) -> tuple[Any, list[str]]:
    """The descriptor(s) for a query picture: as given, border-cut, mirrored — ``(n, 33)`` uint8
    and the variant names."""
    import numpy as np
    from PIL import Image, ImageOps

    from animetui.library.colorlayout import color_layout_batch

    variants = [("as given", image)]
    if cut:
        trimmed = cut_borders(image)
        if trimmed is not None:
            variants.append(("borders cut", trimmed))
    if flip:
        variants += [(f"{name}, mirrored", ImageOps.mirror(img)) for name, img in list(variants)]
    arrays = [np.asarray(img.resize((WIDTH, HEIGHT), Image.Resampling.BOX), dtype=np.uint8) for _, img in variants]
    return color_layout_batch(np.stack(arrays)), [name for name, _ in variants]
