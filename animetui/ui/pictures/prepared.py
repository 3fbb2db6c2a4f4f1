"""textual-image widgets that show a picture *encoded in a worker thread*, not on the event loop.

textual-image encodes on the event loop: the Sixel widget quantises and encodes inside
``render_lines`` and the Kitty (TGP) renderable PNG-encodes and base64s inside
``__rich_console__``. For a picture filling a pane that is 15–60 ms of frozen input per picture
(more without numpy), every time the picture changes. So :func:`animetui.pictures.process.encode`
runs off the loop (in the picture process, or the view's thread worker), right after the boxes are
drawn, and the encoded stream is attached to the (small, already scaled) PIL image; the widgets here
use it when the widget's size and the terminal's cell size are the ones it was encoded for, and
fall back to textual-image's own path otherwise (a resize before the next worker run, a crop).

Unicode pictures need nothing of the kind: textual-image turns a picture already
sized to (columns, rows) pixels into cells in a few milliseconds. Half-cell pictures, which are
bigger, get their cells built in the worker too (``animetui.ui.pictures.halfcell``).

This module imports Pillow and ``textual_image.widget``: import it off the event loop
(:func:`animetui.ui.pictures.terminal.widget_class` does, from the worker). It relies on private
parts of textual-image 0.14.2 (``_ImageSixelImpl``, ``_send_tgp_message``), which is pinned.
"""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from textual.dom import NoScreen
from textual.geometry import Region
from textual.strip import Strip
from textual_image._terminal import get_cell_size
from textual_image.renderable import tgp as _tgp
from textual_image.widget import SixelImage, TGPImage
from textual_image.widget.sixel import _ImageSixelImpl, _NoopRenderable

from animetui.pictures.process import PREPARED_ATTR, Prepared, encode, prepared_for  # noqa: F401 - re-exported


def _cell_size() -> tuple[int, int]:
    cell = get_cell_size()
    return (int(cell.width), int(cell.height))


# --------------------------------------------------------------------------- Sixel
class _PreparedSixelImpl(_ImageSixelImpl):
    """Emits the thread-encoded Sixel stream when it fits; textual-image's encoder otherwise."""

    def render_lines(self, crop: Region) -> list[Strip]:
        prepared = prepared_for(self.image, "sixel")
        if prepared is None:
            return super().render_lines(crop)
        try:
            if not self.image or not self.screen.is_active:
                return []
        except NoScreen:
            return []
        size = self.content_size
        whole = crop.x == 0 and crop.y == 0 and (crop.width, crop.height) == (size.width, size.height)
        if not whole or prepared.cells != (size.width, size.height) or prepared.cell_size != _cell_size():
            return super().render_lines(crop)
        clear = Segment(" " * crop.width, style=self._get_clear_style())
        lines = [Strip([clear], cell_length=crop.width) for _ in range(crop.height - 1)]
        lines.append(Strip([clear, *self._get_sixel_segments(prepared.data)], cell_length=crop.width))
        return lines


class PreparedSixelImage(SixelImage, Renderable=_NoopRenderable):
    """textual-image's Sixel widget, fed a stream encoded off the event loop.

    A new picture goes to the existing inner widget: textual-image's setter recomposes (removes
    and mounts the inner widget, then lays the screen out again) on every picture, a few
    milliseconds of event loop each time the highlight moves in the Files pane. The pictures we
    give it are already sized, and our ImageView sets this widget's size in cells itself, so the
    picture's own size never changes the layout.
    """

    @property
    def image(self) -> Any:
        return self._image

    @image.setter
    def image(self, value: Any) -> None:
        inner = next((child for child in self.children if isinstance(child, _PreparedSixelImpl)), None)
        if inner is None or value is None or not hasattr(value, "size"):
            SixelImage.image.fset(self, value)  # first picture, or not a PIL image
            return
        self._image = value
        self._image_width, self._image_height = value.size
        inner.image = value
        inner._cached_sixels = None  # noqa: SLF001 - textual-image's encode cache, keyed on the old picture
        inner.refresh()

    def compose(self):  # noqa: ANN201 - ComposeResult
        yield _PreparedSixelImpl(self.image, self._sixel_options)


# --------------------------------------------------------------------------- Kitty graphics protocol
class _PreparedTGPRenderable(_tgp.Image):
    """Sends the thread-encoded PNG when it fits the placement; textual-image's encoder otherwise."""

    def __init__(self, image: Any, width: int | str | None = None, height: int | str | None = None) -> None:
        self._prepared = prepared_for(image, "kitty")
        super().__init__(image, width, height)

    def _send_image_to_terminal(self, width: int, height: int) -> None:
        prepared = self._prepared
        cell_w, cell_h = _cell_size()
        if prepared is None or prepared.cell_size != (cell_w, cell_h) or (
            prepared.cells[0] * cell_w,
            prepared.cells[1] * cell_h,
        ) != (width, height):
            super()._send_image_to_terminal(width, height)
            return
        self.terminal_image_id = next(_tgp.Image._image_id_counter)
        data = prepared.data
        while data:
            chunk, data = data[:4096], data[4096:]
            _tgp._send_tgp_message(i=self.terminal_image_id, m=1 if data else 0, f=100, payload=chunk, q=2)


class PreparedTGPImage(TGPImage, Renderable=_PreparedTGPRenderable):
    """textual-image's Kitty-protocol widget, fed a PNG encoded off the event loop."""
