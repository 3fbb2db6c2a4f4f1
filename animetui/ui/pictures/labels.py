"""Numbers on the detection boxes where the picture is made of character cells.

Sixel and Kitty pictures carry their labels in the pixels ("1", "2", "1?" at each box's corner,
``animetui.pictures.imaging._label``). Half-cell blocks show 1×2 pixels per cell, far too coarse for a
digit, so there the numbers are text: one small widget per box, in the box's colour, placed
(``position: absolute``, in the container that holds the picture and is its size) on the cell of
the box's top-left corner, over the picture. The same
numbers as in the detections list, ``?`` for a low-confidence box, so a box is matched to the list
by its number in every renderer, not by colour alone.

Kept apart from the pixel code (``animetui.pictures.imaging``, ``view``): positions are worked out from the
boxes and the size the picture was drawn at; nothing here touches pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from rich.text import Text
from textual.widget import Widget
from textual.widgets import Static

from animetui.pictures.imaging import Box, box_colour_hex

#: renderers whose pictures cannot carry readable numbers in their pixels
TEXT_LABEL_RENDERERS = ("halfcell", "unicode")


class Label(NamedTuple):
    number: int
    text: str
    x: int  # cell column inside the picture
    y: int  # cell row inside the picture


def label_cells(boxes: Sequence[Box], cols: int, rows: int, renderer: str) -> list[Label]:
    """Where each box's number goes, in cells of a picture drawn ``cols``×``rows`` cells big."""
    if renderer not in TEXT_LABEL_RENDERERS or cols <= 0 or rows <= 0:
        return []
    per_cell = 2 if renderer == "halfcell" else 1  # pixel rows per cell row
    width, height = cols, rows * per_cell
    out: list[Label] = []
    taken: set[tuple[int, int]] = set()
    for box in sorted(boxes, key=lambda b: b.number):
        x1, y1, _x2, _y2 = (min(max(v, 0.0), 1.0) for v in box.rect)
        x = int(x1 * (width - 1))
        y = int(y1 * (height - 1)) // per_cell
        text = f"{box.number}?" if box.weak else str(box.number)
        x = max(0, min(x, cols - len(text)))
        y = max(0, min(y, rows - 1))
        while (x, y) in taken and y < rows - 1:  # two boxes starting on one cell: stack the numbers
            y += 1
        taken.add((x, y))
        out.append(Label(box.number, text, x, y))
    return out


class BoxLabel(Static):
    label_text = ""  # the number shown

    DEFAULT_CSS = """
    BoxLabel {
        position: absolute;
        width: auto;
        height: 1;
        color: #000000;
        text-style: bold;
    }
    """


def place_labels(box: Widget, labels: Sequence[Label], highlight: int | None) -> None:
    """Show ``labels`` in ``box`` (the picture's own container, exactly the picture's size, so a
    label's offset is its cell in the picture); none: remove them."""
    old = list(box.query_children(BoxLabel))
    placed = []
    for label in labels:
        colour = box_colour_hex(label.number)
        if highlight is not None and label.number != highlight:
            colour = _dim(colour)
        placed.append((label.text, colour, (label.x, label.y)))
    if placed and len(old) == len(placed) and all(widget.is_mounted and widget.display for widget in old):  # none being removed
        # the same number of boxes (another one highlighted, the picture redrawn): the labels stay
        # mounted and change in place; a new colour is a repaint, and only a moved or longer number
        # lays the screen out again (removing and mounting them did, twice, at every step)
        for widget, (text, colour, offset) in zip(old, placed):
            if widget.label_text != text:
                widget.update(Text(text), layout=len(text) != len(widget.label_text))
                widget.label_text = text
            widget.styles.background = colour
            widget.styles.offset = offset
        return
    if old:
        box.remove_children(old)
    widgets = []
    for text, colour, offset in placed:
        widget = BoxLabel(Text(text), classes="box-label")
        widget.label_text = text
        widget.styles.background = colour
        widget.styles.offset = offset
        widgets.append(widget)
    if widgets:
        box.mount_all(widgets)


def _dim(colour: str) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#{:02x}{:02x}{:02x}".format(*(int(c * 0.55) for c in (r, g, b)))
