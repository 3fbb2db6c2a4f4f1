"""Half-cell pictures whose cells are made in a worker thread, not at every repaint on the loop.

textual-image's half-cell renderable turns the picture into cells inside ``__rich_console__``:
a copy and an RGB conversion of the picture, a resize, then one ``Color``, ``Style`` and
``Segment`` per cell, all on the event loop, every time the widget is painted (a new picture, a
scroll, a label moving over it). For a picture filling a pane that is 35–45 ms of frozen input.

Here the view's thread worker calls :meth:`PreparedHalfcellImage.prepare_off_loop` on the small
picture it is about to show (already ``cols × 2·rows`` pixels, ``animetui.pictures.imaging.target_pixels``):
the cells are built there, once per picture and size, as Textual ``Strip`` s of
``Segment("▀", Style(color=upper, bgcolor=lower))`` — exactly what textual-image yields — and
attached to the picture. The widget's ``render_line`` then hands out those strips; Textual crops
them for scrolling and overlays (the box numbers of ``animetui.ui.pictures.labels``) as usual.
When the widget's size is not the one the cells were made for (a resize before the next worker
run) it falls back to textual-image's own path.

This module imports Pillow and ``textual_image.widget``: import it off the event loop
(:func:`animetui.ui.pictures.terminal.widget_class` does, from the worker).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.color import Color, ColorSystem
from rich.color_triplet import ColorTriplet
from rich.console import COLOR_SYSTEMS
from rich.segment import Segment
from rich.style import Style
from textual.color import Color as TextualColor
from textual.filter import LineFilter
from textual.geometry import Region
from textual.strip import Strip
from textual_image.renderable.halfcell import Image as HalfcellRenderable
from textual_image.widget import HalfcellImage

#: attribute set on the PIL image handed to the widget
CELLS_ATTR = "_animetui_halfcells"

_PLAIN = Style()
_HALF = "▀"  # the upper half block: foreground = upper pixel, background = lower pixel


@dataclass(frozen=True, slots=True)
class Cells:
    """The picture as half-cell strips, made for ``cells`` (columns, rows)."""

    cells: tuple[int, int]
    strips: tuple[Strip, ...]


def build_cells(image: Any, cols: int, rows: int, color_system: str | None = None) -> Cells:
    """``image`` (a PIL image) as ``rows`` strips of ``cols`` half cells, as textual-image draws them.

    The picture is scaled to ``cols × 2·rows`` pixels first if it is not that size already (the
    same ``resize`` textual-image does; a no-op for pictures from ``imaging.render``).
    ``color_system`` (the app console's, e.g. ``"truecolor"``): each style's escape codes are
    worked out here too — Rich keeps them on the style, and Textual otherwise makes them on the
    loop the first time the style is written (~8 µs a style: 40 ms for a big noisy picture).
    """
    system = COLOR_SYSTEMS.get(color_system or "truecolor", ColorSystem.TRUECOLOR)
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    size = (max(1, cols), max(1, rows * 2))
    if rgb.size != size:
        rgb = rgb.resize(size)
    width = size[0]
    data = rgb.tobytes()
    row_bytes = width * 3
    segments: dict[bytes, Segment] = {}  # one Segment (and Style) per distinct colour pair
    colours: dict[bytes, Color] = {}

    def colour(rgb_bytes: bytes) -> Color:
        found = colours.get(rgb_bytes)
        if found is None:
            found = colours[rgb_bytes] = Color.from_triplet(ColorTriplet(*rgb_bytes))
        return found

    strips: list[Strip] = []
    for row in range(max(0, rows)):
        upper = data[2 * row * row_bytes : (2 * row + 1) * row_bytes]
        lower = data[(2 * row + 1) * row_bytes : (2 * row + 2) * row_bytes]
        line: list[Segment] = []
        for x in range(0, row_bytes, 3):
            key = upper[x : x + 3] + lower[x : x + 3]
            segment = segments.get(key)
            if segment is None:
                style = Style(color=colour(key[:3]), bgcolor=colour(key[3:]))
                segment = segments[key] = Segment(_HALF, style)
                Strip.render_style(style, _HALF, system)  # caches the style's escape codes
            line.append(segment)
        strips.append(Strip(line, cell_length=width))
    return Cells((int(cols), int(rows)), tuple(strips))


def cells_for(image: Any) -> Cells | None:
    cells = getattr(image, CELLS_ATTR, None)
    return cells if isinstance(cells, Cells) else None


class PreparedHalfcellImage(HalfcellImage, Renderable=HalfcellRenderable):
    """textual-image's half-cell widget, showing strips made off the event loop.

    ``render_lines`` hands out the worker's strips with the app's line filters applied (Textual's
    ``Strip.apply_filter`` keeps the result on the strip, and the worker applies them ahead with
    the filters this widget last drew with), skipping the styles cache — which would rebuild every
    strip, so that each new picture paid the filters (a few µs a cell) again on the loop. Only
    while the widget is a bare box (no border, padding, outline, tint, opacity or hatch: how the
    view mounts it); otherwise, and for a size the strips were not made for, Textual's own path.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._styled: tuple[Cells, Style, tuple[Strip, ...]] | None = None
        #: the line filters and background this widget last drew with (read by the worker)
        self.last_filters: tuple[tuple[LineFilter, ...], TextualColor] | None = None
        super().__init__(*args, **kwargs)

    @staticmethod
    def prepare_off_loop(image: Any, cells: tuple[int, int], widget: Any = None, color_system: str | None = None) -> None:
        """Build the strips for ``image`` shown in ``cells`` and attach them (call in a thread).

        ``widget``: the picture widget now shown (if any), whose last line filters are applied
        ahead to the new strips, so the loop finds them done; ``color_system``: the app console's.
        """
        built = build_cells(image, cells[0], cells[1], color_system)
        filters = widget.last_filters if isinstance(widget, PreparedHalfcellImage) else None
        if filters is not None:
            for strip in built.strips:
                for line_filter in filters[0]:
                    strip = strip.apply_filter(line_filter, filters[1])
        setattr(image, CELLS_ATTR, built)

    @property
    def image(self) -> Any:
        return self._image

    @image.setter
    def image(self, value: Any) -> None:
        if cells_for(value) is None or not self.is_mounted:
            HalfcellImage.image.fset(self, value)  # type: ignore[attr-defined]  # first picture, or no cells: textual-image
            return
        # the view sets this widget's size in cells itself: a new picture needs a repaint, not a layout
        self._image = value
        self._image_width, self._image_height = value.size
        self.refresh()

    def _usable(self) -> Cells | None:
        """The worker's cells if they fit this widget's size now."""
        cells = cells_for(self._image)
        size = self.content_size
        return cells if cells is not None and cells.cells == (size.width, size.height) else None

    def _bare(self) -> bool:
        styles = self.styles
        return (
            self.content_size == self.size
            and not any(edge for edge, _ in styles.outline)
            and not styles.tint.a
            and self.opacity == 1.0
            and styles.text_opacity == 1.0
            and not (styles.has_rule("hatch") and styles.hatch != "none")
        )

    def render_lines(self, crop: Region) -> list[Strip]:
        cells = self._usable()
        if cells is None or not self._bare():
            return super().render_lines(crop)
        filters = tuple(self.get_line_filters())
        background = self.background_colors[1]
        self.last_filters = (filters, background)
        strips = self._strips(cells)
        out: list[Strip] = []
        for strip in strips[crop.y : crop.bottom]:
            for line_filter in filters:
                strip = strip.apply_filter(line_filter, background)
            out.append(strip if crop.column_span == (0, cells.cells[0]) else strip.crop(crop.x, crop.right))
        return out

    def render_line(self, y: int) -> Strip:
        cells = self._usable()
        if cells is None or not 0 <= y < len(cells.strips):
            return super().render_line(y)
        return self._strips(cells)[y]

    def _strips(self, cells: Cells) -> tuple[Strip, ...]:
        """The strips with the widget's own style under them, as Textual would apply it (cached).

        Textual adds the widget's style under every segment (``base + segment style``); every
        cell sets both colours, so with a base of colours only that changes nothing.
        """
        base = self.visual_style.rich_style
        if base.without_color == _PLAIN and not base.link and not base.meta:
            return cells.strips
        styled = self._styled
        if styled is None or styled[0] is not cells or styled[1] != base:
            styled = (cells, base, tuple(strip.apply_style(base) for strip in cells.strips))
            self._styled = styled
        return styled[2]
