"""Picture work in a separate process, so it never competes with the event loop for the GIL.

Threads were not enough: Pillow's decoders, ``quantize`` and textual-image's Sixel encoder hold
the GIL for tens of milliseconds at a time, and the event loop waited for it — the image benchmark
(``tests/benchmarks/bench_images.py``) measured 140–190 ms stalls with thread workers while 4K
pictures were scrolled through. Here one child process (``spawn``: no copy of the app's threads or
sockets) decodes, scales, draws the boxes and encodes; the view's thread worker just waits for
the answer (waiting releases the GIL) and rebuilds the small picture from raw bytes.

The child keeps the last few decoded pictures (by key), so moving the highlight between boxes
redraws without decoding again. If the process cannot start or dies, :func:`render` raises
:class:`ProcessUnavailable` and the view does the same work (:func:`draw`) in its thread instead.

Assumptions: a request is small (a path, or bytes for downloaded pictures) and so is the answer
(the picture at the widget's pixel size plus its encoded stream); one process is enough, since
only the newest request per view matters and stale ones are skipped before they are sent.
"""

from __future__ import annotations

from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from animetui.errors import AnimetuiError
from animetui.pictures import imaging
from animetui.pictures.offload import ChildProcess, quiet_child

_CACHE_SIZE = 6
_pictures = imaging.PictureCache(_CACHE_SIZE)  # in the child


#: attribute set on the PIL image handed to the widget (see ``animetui.ui.pictures.prepared``)
PREPARED_ATTR = "_animetui_prepared"


@dataclass(frozen=True, slots=True)
class Prepared:
    """An encoded picture: ``kind`` (sixel|kitty), the cells and cell size it was made for, the data."""

    kind: str
    cells: tuple[int, int]
    cell_size: tuple[int, int]
    data: str


def encode(renderer: str, image: Any, cells: tuple[int, int], cell_size: tuple[int, int]) -> Prepared | None:
    """Encode ``image`` (already ``cells × cell_size`` pixels) for ``renderer`` and attach it.

    Safe in a thread or the picture process: it imports ``textual_image._sixel`` only (Pillow,
    numpy), never ``textual_image.widget``, whose import asks the terminal questions.
    Returns None (and attaches nothing) for renderers that need no pre-encoding.
    """
    if renderer == "sixel":
        from textual_image._sixel import image_to_sixels

        data = image_to_sixels(image)
    elif renderer == "kitty":
        import base64
        import io

        buffer = io.BytesIO()
        image.save(buffer, format="png", compress_level=2)  # what textual-image itself sends
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
    else:
        return None
    prepared = Prepared(renderer, (int(cells[0]), int(cells[1])), (int(cell_size[0]), int(cell_size[1])), data)
    attach(image, prepared)
    return prepared


def attach(image: Any, prepared: Prepared | None) -> None:
    if prepared is not None:
        setattr(image, PREPARED_ATTR, prepared)


def prepared_for(image: Any, kind: str) -> Prepared | None:
    prepared = getattr(image, PREPARED_ATTR, None)
    return prepared if isinstance(prepared, Prepared) and prepared.kind == kind else None


class ProcessUnavailable(Exception):
    """The picture process could not be used; do the work in the calling thread."""


@dataclass(frozen=True, slots=True)
class Request:
    source: Path | bytes
    key: str
    label: str
    renderer: str
    boxes: tuple[imaging.Box, ...]
    highlight: int | None
    show_boxes: bool
    zoom_box: imaging.Box | None
    cols: int
    rows: int
    cell: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Answer:
    """Either ``error`` (a user-facing sentence) or a picture: raw RGB bytes, its size, the cells."""

    error: str | None = None
    mode: str = "RGB"
    size: tuple[int, int] = (0, 0)
    pixels: bytes = b""
    cols: int = 0
    rows: int = 0
    description: str = ""  # imaging.Picture.description of what is shown
    encoded: Prepared | None = None


_process = ChildProcess(quiet_child)
shutdown = _process.shutdown


def render(request: Request, timeout: float = 60.0) -> Answer:
    """Run :func:`_work` in the picture process (blocks the calling thread, not the loop)."""
    try:
        future = _process.get().submit(_work, request)
        return future.result(timeout=timeout)
    except (BrokenProcessPool, OSError, RuntimeError) as exc:
        shutdown()
        raise ProcessUnavailable(str(exc)) from exc


@dataclass(frozen=True, slots=True)
class Drawn:
    """What :func:`draw` made: the pictures worth keeping and the image to show."""

    picture: imaging.Picture  # the whole picture, decoded (kept by key)
    zoomed: imaging.Picture | None  # the zoomed box, cropped from the original (kept by its zoom key)
    image: Any  # PIL image at the widget's pixel size, boxes drawn, encoded stream attached
    cols: int
    rows: int
    encoded: Prepared | None


def draw(request: Request, cached: imaging.Picture | None = None, cached_zoom: imaging.Picture | None = None,
         *, encoded: bool = True) -> Drawn:
    """The picture work, wherever it runs (the picture process, or a view's thread): decode unless
    ``cached``, crop the zoomed box unless ``cached_zoom``, fit to the cells, draw the boxes and, if
    ``encoded``, encode for Sixel/Kitty. Raises what decoding raises (see :func:`failure_text`)."""
    picture = cached or imaging.decode(request.source, request.label)
    zoomed: imaging.Picture | None = None
    if request.zoom_box is not None:
        # the crop comes from the original file at full detail, not from the kept copy
        zoomed = cached_zoom or imaging.crop_original(request.source, request.zoom_box.rect, request.label, kept=picture)
    shown = zoomed or picture
    width, height = shown.image.size
    cols, rows = imaging.fit_cells(width, height, request.cols, request.rows, request.cell)
    size = imaging.target_pixels(request.renderer, cols, rows, request.cell)
    image = imaging.render(
        shown,
        size,
        boxes=request.boxes if request.zoom_box is None else (),
        highlight=request.highlight,
        show_boxes=request.show_boxes,
        fine=request.renderer in ("sixel", "kitty"),
    )
    prepared = encode(request.renderer, image, (cols, rows), request.cell) if encoded else None
    return Drawn(picture, zoomed, image, cols, rows, prepared)


def failure_text(exc: Exception, label: str) -> str:
    """The one line shown instead of a picture that cannot be drawn (never a traceback)."""
    if isinstance(exc, AnimetuiError):
        return str(exc)
    return f"{label}: cannot show the picture ({type(exc).__name__})"


def _work(request: Request) -> Answer:  # runs in the child process
    try:
        cached = _pictures.get(request.key)
        zoom = imaging.zoom_key(request.key, request.zoom_box) if request.zoom_box is not None else None
        cached_zoom = _pictures.get(zoom) if zoom is not None else None
        drawn = draw(request, cached, cached_zoom)
        if cached is None:
            _pictures.put(request.key, drawn.picture)
        if zoom is not None and cached_zoom is None and drawn.zoomed is not None:
            _pictures.put(zoom, drawn.zoomed)
        return Answer(
            mode=drawn.image.mode,
            size=drawn.image.size,
            pixels=drawn.image.tobytes(),
            cols=drawn.cols,
            rows=drawn.rows,
            description=drawn.picture.description,
            encoded=drawn.encoded,
        )
    except Exception as exc:  # noqa: BLE001 - a bad picture must never take the app down
        return Answer(error=failure_text(exc, request.label))
