"""Pillow work: pure functions, safe to run in a thread, never on the event loop.

* :func:`read_source` reads a local file with a size cap.
* :func:`inspect` opens an image lazily and refuses decompression bombs.
* :func:`prepare_upload` validates and, where a service needs it, EXIF-transposes, converts and
  downscales an image for upload, returning the bytes to send.

Services' rules live with the callers (providers); this module only applies the rules it is given
and words its refusals so a user knows what is wrong and by how much.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from animetui.errors import BadInput, Unsupported

if TYPE_CHECKING:  # Pillow is imported where a picture is handled
    from PIL.Image import Image as PILImage

MAX_SOURCE_BYTES = 80 * 1024 * 1024  # refuse to even read bigger files
MAX_PIXELS = 120_000_000  # ~ 11k x 11k; beyond this Pillow would allocate gigabytes

# Pillow warns (three raw lines on stderr: file, line, "warnings.warn(") for an image over
# MAX_IMAGE_PIXELS and under twice that. Every place that opens an image here checks the size
# itself right after opening and refuses it with one clear line, so the warning is handled by
# that check and never printed. (A message filter: no Pillow import needed at start-up.)
warnings.filterwarnings("ignore", message=r"Image size \(\d+ pixels\) exceeds limit of \d+ pixels")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif")

_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "BMP": "image/bmp", "GIF": "image/gif"}
_EXT = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "BMP": "bmp", "GIF": "gif"}


@dataclass(frozen=True, slots=True)
class ImageInfo:
    format: str
    width: int
    height: int
    frames: int = 1


@dataclass(frozen=True, slots=True)
class PreparedImage:
    data: bytes
    filename: str
    content_type: str
    width: int
    height: int
    converted: bool = False  # re-encoded (format change, transpose or downscale)

    @property
    def sha256(self) -> str:
        return sha256_bytes(self.data)


def sha256_bytes(data: bytes) -> str:
    import hashlib  # here: OpenSSL's start-up (~3 ms) was part of the Files pane's import, before its listing

    return hashlib.sha256(data).hexdigest()


def human_bytes(count: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} GB"


def read_source(path: Path, *, max_bytes: int = MAX_SOURCE_BYTES) -> bytes:
    """The file's bytes, capped. Only a regular file is read: a FIFO, a socket or a device would
    block for ever (or never end), so it is refused before the first read."""
    from animetui.locations import NotRegularFile, TooBig, read_regular

    try:
        return read_regular(path, max_bytes)
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file") from None
    except PermissionError:
        raise BadInput(f"{path}: permission denied") from None
    except IsADirectoryError:
        raise BadInput(f"{path}: is a directory, not an image") from None
    except NotRegularFile as exc:
        raise BadInput(f"{path}: not a regular file ({exc.kind}); give an image file") from None
    except TooBig as exc:
        raise BadInput(f"{path}: {human_bytes(exc.size)} is over the {human_bytes(max_bytes)} limit") from None
    except OSError as exc:
        raise BadInput(f"{path}: {exc.strerror}") from None


def _open(data: bytes, label: str) -> PILImage:
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise Unsupported(f"{label}: refused, the image is too large to decode safely (decompression bomb?)") from None
    except UnidentifiedImageError:
        raise BadInput(f"{label}: not an image (or a format Pillow cannot read)") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise BadInput(f"{label}: cannot read the image ({exc})") from None
    if image.width * image.height > MAX_PIXELS:
        raise Unsupported(
            f"{label}: refused, {image.width}×{image.height} px is over the {MAX_PIXELS // 1_000_000} megapixel safety limit"
        )
    return image


def inspect(data: bytes, label: str = "image") -> ImageInfo:
    image = _open(data, label)
    return ImageInfo(image.format or "?", image.width, image.height, getattr(image, "n_frames", 1))


def prepare_upload(
    data: bytes,
    *,
    label: str = "image",
    formats: tuple[str, ...] = ("JPEG", "PNG"),
    max_bytes: int | None = None,
    max_side: int | None = None,
    min_size: tuple[int, int] | None = None,
    max_size: tuple[int, int] | None = None,
    service: str = "the service",
) -> PreparedImage:
    """Return bytes ``service`` accepts, or raise with a message saying what is wrong.

    * a format outside ``formats`` (or an animated image) → first frame, re-encoded as PNG/JPEG;
    * EXIF orientation → applied;
    * ``max_side``/``max_size`` → downscaled to fit (aspect ratio kept);
    * smaller than ``min_size`` → refused ("120×90 px; needs at least 256×256");
    * still over ``max_bytes`` after re-encoding → JPEG at lower quality, then refused.
    """
    from PIL import Image, ImageOps

    image = _open(data, label)
    fmt = (image.format or "").upper()
    width, height = image.size
    if min_size and (width < min_size[0] or height < min_size[1]):
        raise BadInput(
            f"{label}: {width}×{height} px is too small; {service} needs at least "
            f"{min_size[0]}×{min_size[1]} px (short by {max(0, min_size[0] - width)}×{max(0, min_size[1] - height)})"
        )

    needs_reencode = fmt not in formats or getattr(image, "n_frames", 1) > 1
    orientation = 1
    try:
        orientation = image.getexif().get(0x0112, 1)
    except Exception:  # noqa: BLE001 - broken EXIF is not worth failing for
        orientation = 1
    if orientation not in (1, None):
        needs_reencode = True

    target = _fit(width, height, max_side=max_side, max_size=max_size)
    if target != (width, height):
        needs_reencode = True
    if max_bytes is not None and len(data) > max_bytes:
        needs_reencode = True

    if not needs_reencode:
        return PreparedImage(data, f"{_stem(label)}.{_EXT.get(fmt, 'bin')}", _MIME.get(fmt, "application/octet-stream"), width, height)

    try:
        image.seek(0)
        image.load()
        image = ImageOps.exif_transpose(image) or image
    except (OSError, ValueError) as exc:
        raise BadInput(f"{label}: cannot decode the image ({exc})") from None
    target = _fit(image.width, image.height, max_side=max_side, max_size=max_size)
    if target != image.size:
        image = image.resize(target, Image.Resampling.LANCZOS)

    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    out_fmt = "PNG" if has_alpha and "PNG" in formats else ("JPEG" if "JPEG" in formats else formats[0])
    encoded = _encode(image, out_fmt, quality=90)
    if max_bytes is not None and len(encoded) > max_bytes and "JPEG" in formats:
        for quality in (85, 75, 60):
            encoded = _encode(image, "JPEG", quality=quality)
            out_fmt = "JPEG"
            if len(encoded) <= max_bytes:
                break
    if max_bytes is not None and len(encoded) > max_bytes:
        raise Unsupported(
            f"{label}: {human_bytes(len(encoded))} even after re-encoding; {service} accepts at most {human_bytes(max_bytes)}"
        )
    return PreparedImage(
        encoded,
        f"{_stem(label)}.{_EXT[out_fmt]}",
        _MIME[out_fmt],
        image.width,
        image.height,
        converted=True,
    )


def _stem(label: str) -> str:
    name = label.rsplit("/", 1)[-1].rsplit("?", 1)[0] or "image"
    stem = name.rsplit(".", 1)[0] if "." in name else name
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in stem)[:60]
    return safe or "image"


def _fit(width: int, height: int, *, max_side: int | None, max_size: tuple[int, int] | None) -> tuple[int, int]:
    scale = 1.0
    if max_side and max(width, height) > max_side:
        scale = min(scale, max_side / max(width, height))
    if max_size:
        long_, short = max(width, height), min(width, height)
        lim_long, lim_short = max(max_size), min(max_size)
        if long_ > lim_long or short > lim_short:
            scale = min(scale, lim_long / long_, lim_short / short)
    if scale >= 1.0:
        return width, height
    return max(1, int(width * scale)), max(1, int(height * scale))


def _encode(image: PILImage, fmt: str, *, quality: int) -> bytes:
    buffer = io.BytesIO()
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(buffer, "JPEG", quality=quality, optimize=True)
    elif fmt == "PNG":
        if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
            image = image.convert("RGBA")
        image.save(buffer, "PNG", optimize=False)
    else:
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGB")
        image.save(buffer, fmt)
    return buffer.getvalue()
