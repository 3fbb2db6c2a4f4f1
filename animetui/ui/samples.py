"""The bundled demo pictures: written on first use into the demo data dir, never shipped as files.

``animetui --demo`` needs a folder of images so every pane works with no keys and no network. The
pictures are drawn with :func:`animetui.simulator.imagery.scene` (deterministic, a few hundred KB in
total), so the wheel carries code instead of binaries. The set covers every format the Files pane
shows (PNG, JPEG, WebP, BMP, GIF), sizes AILabTools accepts (≥ 256×256), one to three characters per
scene, and one flat-colour picture with no characters at all. Each picture's seed is chosen at
write time so the AnimeTrace simulator (which derives its answer from the image's hash) finds as
many characters as are drawn.

Writing happens in a thread after the first frame (Pillow work); a marker file with the set's
version makes later starts free.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SAMPLES_VERSION = "2"
MARKER = ".animetui-samples"


@dataclass(frozen=True, slots=True)
class Sample:
    name: str
    width: int
    height: int
    seed: int
    characters: int  # drawn side by side, one per equal-width column
    fmt: str  # Pillow format, or "FLAT" for the one-colour picture


SAMPLES: tuple[Sample, ...] = (
    Sample("beach_duo.png", 960, 540, 11, 2, "PNG"),
    Sample("rooftop_sunset.jpg", 1280, 720, 12, 1, "JPEG"),
    Sample("festival_trio.webp", 1024, 576, 13, 3, "WEBP"),
    Sample("classroom.png", 800, 600, 14, 1, "PNG"),
    Sample("portrait.jpg", 600, 800, 15, 1, "JPEG"),
    Sample("night_city.bmp", 640, 360, 16, 2, "BMP"),
    Sample("train_window.gif", 480, 320, 17, 2, "GIF"),
    Sample("flat_sky.png", 512, 512, 18, 0, "FLAT"),
)

#: Seeds tried per picture so the simulated recogniser finds as many characters as are drawn.
SEED_TRIES = 48


def column_boxes(count: int) -> list[tuple[float, float, float, float]]:
    """Boxes where the characters are drawn: one per column, lower two thirds of the picture.

    AnimeTrace's simulator places its (hash-derived) boxes in equal columns too, so with the same
    count the simulated boxes land on or near the drawn characters.
    """
    return [
        (index / count + 0.18 / count, 0.3, (index + 1) / count - 0.18 / count, 0.95)
        for index in range(count)
    ]


def render_sample(sample: Sample) -> bytes:
    """The picture's bytes: the first seed (from ``sample.seed``) the simulator agrees with."""
    from animetui.simulator.animetrace import analyse
    from animetui.simulator.imagery import scene

    if sample.fmt == "FLAT":
        return _flat(sample.width, sample.height)
    boxes = column_boxes(sample.characters)
    data = b""
    for attempt in range(SEED_TRIES):
        data = scene(sample.width, sample.height, seed=sample.seed * 1000 + attempt, boxes=boxes, fmt=sample.fmt)
        if len(analyse(data).boxes) == sample.characters:
            break
    return data


def _flat(width: int, height: int) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (118, 170, 219)).save(buffer, "PNG")
    return buffer.getvalue()


def samples_ready(folder: Path) -> bool:
    try:
        return (folder / MARKER).read_text().strip() == SAMPLES_VERSION
    except OSError:
        return False


def write_demo_samples(folder: Path) -> list[Path]:
    """Write the demo pictures into ``folder`` (created) unless already there. Returns their paths."""
    from animetui.simulator.imagery import scene

    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / sample.name for sample in SAMPLES]
    if samples_ready(folder) and all(p.exists() for p in paths):
        return paths
    for sample, path in zip(SAMPLES, paths):
        data = render_sample(sample)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    (folder / MARKER).write_text(SAMPLES_VERSION)
    return paths
