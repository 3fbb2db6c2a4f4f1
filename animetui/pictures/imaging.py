"""Pillow work for the picture widget: decode, fit to cells, draw detection boxes, crop a box.

Pure functions, safe in a thread and never called on the event loop (textual-image itself decodes
and scales on the event loop; a 4K image stalled the app for 0.2–0.36 s when handed over as a
path). The widget hands textual-image a small, already scaled picture instead.

Why boxes are drawn *after* scaling, at the renderer's real resolution: a 2 px line drawn on a 4K
image disappears when the terminal shows it 80 cells wide. Half-cell blocks show 1×2 pixels per
cell, so for them the picture is scaled to exactly (columns, 2·rows) pixels and the boxes are
drawn 1 px wide there; each box has its own colour, matching the number's colour in the results
list (text labels cannot be read at that size). Sixel/Kitty get the full cell-pixel size and
numbered labels.

Assumption: detection boxes are (x1, y1, x2, y2) relative to the image, 0–1 (models.Detection).
"""

from __future__ import annotations

import io
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from animetui.errors import BadInput, Unsupported
from animetui.pictures.sources import MAX_PIXELS, MAX_SOURCE_BYTES, human_bytes, read_source

if TYPE_CHECKING:  # Pillow costs ~40 ms to import; only for types here
    from PIL.Image import Image as PILImage

#: Decoded pictures are kept at most this big (long side); enough for a full-screen Sixel view.
MAX_KEEP_SIDE = 2048

#: One colour per detection number (1-based number → BOX_COLOURS[(n - 1) % len]).
BOX_COLOURS: tuple[tuple[int, int, int], ...] = (
    (255, 92, 120),
    (92, 214, 255),
    (255, 214, 64),
    (140, 255, 120),
    (214, 128, 255),
    (255, 160, 64),
    (64, 255, 214),
    (255, 255, 255),
)


def box_colour(number: int) -> tuple[int, int, int]:
    return BOX_COLOURS[(max(1, number) - 1) % len(BOX_COLOURS)]


def box_colour_hex(number: int) -> str:
    r, g, b = box_colour(number)
    return f"#{r:02x}{g:02x}{b:02x}"


@dataclass(frozen=True, slots=True)
class Box:
    """One box to draw: relative rectangle, its number in the results list, low confidence or not."""

    rect: tuple[float, float, float, float]
    number: int
    weak: bool = False


@dataclass(frozen=True, slots=True)
class Picture:
    """A decoded picture ready to be scaled: the pixels plus what the user should read about it."""

    image: "PILImage"
    width: int  # of the original
    height: int
    format: str
    frames: int = 1

    @property
    def description(self) -> str:
        extra = f", {self.frames} frames (first shown)" if self.frames > 1 else ""
        return f"{self.width}×{self.height} {self.format}{extra}"


class PictureCache:
    """The last few decoded pictures, by key (oldest dropped first), so moving the highlight between
    boxes redraws without decoding again. Not locked: each owner uses it from one thread."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[str, Picture] = OrderedDict()

    def get(self, key: str) -> Picture | None:
        return self._items.get(key)

    def put(self, key: str, picture: Picture) -> None:
        self._items[key] = picture
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)


def zoom_key(key: str, box: Box) -> str:
    """The cache key of box ``box`` of the picture ``key``, cropped from the original."""
    return f"{key}#zoom:{box.number}:{box.rect}"


def decode(source: Path | bytes, label: str = "image", *, max_side: int = MAX_KEEP_SIDE) -> Picture:
    """Open ``source``, refuse bombs, take the first frame, apply EXIF rotation, shrink to ``max_side``."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if isinstance(source, Path):
        data = read_source(source, max_bytes=MAX_SOURCE_BYTES)
    else:
        data = source
        if len(data) > MAX_SOURCE_BYTES:
            raise BadInput(f"{label}: {human_bytes(len(data))} is over the {human_bytes(MAX_SOURCE_BYTES)} limit")
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    image: PILImage
    try:
        image = Image.open(io.BytesIO(data))
        fmt = image.format or "?"
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise Unsupported(
                f"{label}: refused, {width}×{height} px is over the {MAX_PIXELS // 1_000_000} megapixel safety limit"
            )
        frames = int(getattr(image, "n_frames", 1) or 1)
        image.seek(0)
        if fmt == "JPEG":  # let libjpeg decode at a fraction of the size: much faster for big photos
            image.draft("RGB", (max_side, max_side))
        image.load()
        image = ImageOps.exif_transpose(image) or image
    except Image.DecompressionBombError:
        raise Unsupported(
            f"{label}: refused, the image is far over the {MAX_PIXELS // 1_000_000} megapixel safety limit "
            "(a decompression bomb?); shrink it before opening it here"
        ) from None
    except UnidentifiedImageError:
        raise BadInput(f"{label}: not an image (or a format Pillow cannot read)") from None
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise BadInput(f"{label}: cannot read the image ({exc})") from None
    if image.mode not in ("RGB",):
        if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
            rgba = image.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (24, 24, 32))
            flat.paste(rgba, mask=rgba.getchannel("A"))
            image = flat
        else:
            image = image.convert("RGB")
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return Picture(image, width, height, fmt, frames)


def fit_cells(
    px_width: int, px_height: int, max_cols: int, max_rows: int, cell: tuple[int, int]
) -> tuple[int, int]:
    """The largest (columns, rows) showing a px_width×px_height picture undistorted in the space."""
    if px_width <= 0 or px_height <= 0 or max_cols <= 0 or max_rows <= 0:
        return (0, 0)
    cell_w, cell_h = max(1, cell[0]), max(1, cell[1])
    scale = min(max_cols * cell_w / px_width, max_rows * cell_h / px_height)
    cols = max(1, min(max_cols, round(px_width * scale / cell_w)))
    rows = max(1, min(max_rows, round(px_height * scale / cell_h)))
    return cols, rows


def target_pixels(renderer: str, cols: int, rows: int, cell: tuple[int, int]) -> tuple[int, int]:
    """How many pixels the renderer really shows in cols×rows cells."""
    if renderer == "halfcell":
        return cols, rows * 2
    if renderer == "unicode":
        return cols, rows
    return cols * max(1, cell[0]), rows * max(1, cell[1])


def render(
    picture: Picture,
    size: tuple[int, int],
    *,
    boxes: Sequence[Box] = (),
    highlight: int | None = None,
    show_boxes: bool = True,
    fine: bool = False,
) -> "PILImage":
    """A copy of ``picture`` scaled to ``size`` with ``boxes`` drawn on it.

    ``highlight`` is the number of the box to stand out (thicker, the others dimmed); ``fine``
    says the renderer shows real pixels (Sixel/Kitty), so labels are drawn too.
    """
    from PIL import Image

    width, height = max(1, size[0]), max(1, size[1])
    image = picture.image.resize((width, height), Image.Resampling.LANCZOS if fine else Image.Resampling.BOX)
    if show_boxes and boxes:
        draw_boxes(image, boxes, highlight=highlight, fine=fine)
    return image


def draw_boxes(image: "PILImage", boxes: Sequence[Box], *, highlight: int | None = None, fine: bool = False) -> None:
    from PIL import ImageDraw

    draw = ImageDraw.Draw(image)
    width, height = image.size
    base = max(1, round(min(width, height) / 160)) if fine else 1
    ordered = sorted(boxes, key=lambda b: b.number == highlight)  # the highlighted box drawn last, on top
    for box in ordered:
        x1, y1, x2, y2 = _pixels(box.rect, width, height)
        colour = box_colour(box.number)
        if highlight is not None and box.number != highlight:
            colour = tuple(int(c * 0.55) for c in colour)  # type: ignore[assignment]
        thick = base * (2 if box.number == highlight else 1)
        if box.weak:
            _dashed_rect(draw, (x1, y1, x2, y2), colour, thick, dash=max(2, base * 4))
        else:
            draw.rectangle((x1, y1, x2, y2), outline=colour, width=thick)
        if fine:
            _label(draw, (x1, y1), str(box.number) + ("?" if box.weak else ""), colour, height)


def _pixels(rect: tuple[float, float, float, float], width: int, height: int) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = (min(max(v, 0.0), 1.0) for v in rect)
    if x2 < x1:
        x1, x2 = x2, x1
    if y2 < y1:
        y1, y2 = y2, y1
    return (
        int(x1 * (width - 1)),
        int(y1 * (height - 1)),
        max(int(x1 * (width - 1)), int(round(x2 * (width - 1)))),
        max(int(y1 * (height - 1)), int(round(y2 * (height - 1)))),
    )


def _dashed_rect(draw, rect, colour, width: int, *, dash: int) -> None:  # noqa: ANN001
    x1, y1, x2, y2 = rect
    for start in range(x1, x2 + 1, dash * 2):
        end = min(start + dash - 1, x2)
        draw.line((start, y1, end, y1), fill=colour, width=width)
        draw.line((start, y2, end, y2), fill=colour, width=width)
    for start in range(y1, y2 + 1, dash * 2):
        end = min(start + dash - 1, y2)
        draw.line((x1, start, x1, end), fill=colour, width=width)
        draw.line((x2, start, x2, end), fill=colour, width=width)


def _label(draw, corner: tuple[int, int], text: str, colour, image_height: int) -> None:  # noqa: ANN001
    from PIL import ImageFont

    size = max(10, image_height // 18)
    try:
        font = ImageFont.load_default(size=size)
    except (TypeError, OSError):  # very old Pillow or no FreeType: the bitmap font
        font = ImageFont.load_default()
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    pad = max(1, size // 6)
    x, y = corner
    box = (x, y, x + (right - left) + 2 * pad, y + (bottom - top) + 2 * pad)
    draw.rectangle(box, fill=colour)
    draw.text((x + pad - left, y + pad - top), text, fill=(0, 0, 0), font=font)


def crop(picture: Picture, rect: tuple[float, float, float, float], *, pad: float = 0.06) -> Picture:
    """The region of one box (plus a margin), from the kept picture, as a new :class:`Picture`."""
    image = picture.image
    width, height = image.size
    x1, y1, x2, y2 = (min(max(v, 0.0), 1.0) for v in rect)
    x1, x2 = sorted((x1, x2))
    y1, y2 = sorted((y1, y2))
    left = max(0, int((x1 - pad) * width))
    top = max(0, int((y1 - pad) * height))
    right = min(width, max(left + 1, int((x2 + pad) * width)))
    bottom = min(height, max(top + 1, int((y2 + pad) * height)))
    region = image.crop((left, top, right, bottom))
    return Picture(region, picture.width, picture.height, picture.format, picture.frames)


def crop_original(
    source: Path | bytes,
    rect: tuple[float, float, float, float],
    label: str = "image",
    *,
    kept: Picture | None = None,
    pad: float = 0.06,
    max_side: int = MAX_KEEP_SIDE,
) -> Picture:
    """The region of one box cut from the *original* pixels (the zoom view), at most ``max_side``.

    ``kept`` is the already decoded picture: when it was not shrunk it already holds every pixel
    and the file is not read again. Otherwise the file is decoded at full size (the same size and
    bomb checks as :func:`decode`), cropped, and only the crop is kept.
    """
    from PIL import Image

    if kept is not None and kept.image.size == (kept.width, kept.height):
        region = crop(kept, rect, pad=pad)
    else:
        region = crop(decode(source, label, max_side=1 << 30), rect, pad=pad)
    if max(region.image.size) > max_side:
        image = region.image.copy()
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        region = Picture(image, region.width, region.height, region.format, region.frames)
    return region
