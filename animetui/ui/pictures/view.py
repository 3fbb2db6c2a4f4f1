"""A picture in a pane: textual-image when the terminal can show one, a text line when not.

Everything slow happens off the event loop (decode, scale, draw boxes — ``animetui.pictures.imaging`` —
and the Sixel/Kitty encoding): in the picture process (``animetui.pictures.process``, so Pillow
never holds the GIL the event loop needs), or in the view's thread worker if that process cannot run
(that worker also builds the half-cell strips, ``animetui.ui.pictures.halfcell``);
the widget hands textual-image a small picture already sized to the cells it will fill, so
textual-image's own on-the-loop decode/scale is trivial. Each request bumps a generation number
and only the newest result is applied: scrolling fast through a folder never shows a stale
picture, and an old decode finishing late is dropped.

The renderer is fixed per view (``kitty``, ``sixel``, ``halfcell``, ``unicode`` or ``none``;
``auto`` is resolved by :mod:`animetui.ui.pictures.terminal` before the app starts). Tests force
``halfcell`` so snapshots are stable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Container, Vertical
from textual.widgets import Static

from animetui.pictures.imaging import Box, Picture, PictureCache, zoom_key
from animetui.text import safe
from animetui.ui.pictures import terminal as terminal_images
from animetui.ui.widgets.line import update_line

if TYPE_CHECKING:
    from textual.widget import Widget

    from animetui.pictures.process import Request

_CACHE_SIZE = 6


def _prepare_off_loop(widget_class: type | None, image: Any, cols: int, rows: int, shown: Any, colours: str | None) -> None:
    """Let the widget class do its per-picture work here, in the worker (half-cell strips);
    ``shown`` is the picture widget on screen now (or None), ``colours`` the console's colour system."""
    prepare = getattr(widget_class, "prepare_off_loop", None)
    if prepare is not None:
        prepare(image, (cols, rows), shown, colours)


class ImageFrame(Container):
    """The area the picture fits into; tells the view when its size changes."""

    def on_resize(self) -> None:
        parent = self.parent
        if isinstance(parent, ImageView):
            parent.refresh_picture()


class PictureBox(Container):
    """The picture widget and its box numbers, sized to the picture (the frame centres it).

    A number's offset is then its cell in the picture (``labels.place_labels``), known when the
    picture is applied: nothing waits for a layout to learn where the picture landed.
    """

    DEFAULT_CSS = "PictureBox { width: auto; height: auto; overflow: hidden hidden; }"


class ImageView(Vertical):
    """Shows one picture, optionally with numbered detection boxes."""

    #: do the Pillow work in the picture process (``animetui.pictures.process``); threads if False
    use_process: ClassVar[bool] = True

    DEFAULT_CSS = """
    ImageView { height: 1fr; width: 1fr; }
    ImageView > .image-caption { height: 1; width: 1fr; color: $text-muted; }
    ImageView > ImageFrame { height: 1fr; width: 1fr; align: center middle; }
    ImageView > ImageFrame > .image-placeholder { width: 1fr; height: auto; content-align: center middle; color: $text-muted; }
    """

    def __init__(
        self,
        *,
        renderer: str = "halfcell",
        placeholder: str = "No picture",
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.renderer = renderer
        self.placeholder = placeholder
        self._source: Path | bytes | None = None
        self._key: str | None = None
        self._label = ""
        self._boxes: tuple[Box, ...] = ()
        self._highlight: int | None = None
        self._show_boxes = True
        self._zoom: int | None = None
        self._gen = 0
        self._applied_gen = 0
        self._pictures = PictureCache(_CACHE_SIZE)
        self._inner: Any = None
        self._box: PictureBox | None = None  # holds _inner and its box numbers
        self._widget_class: type[Widget] | None = None
        self.caption_text = ""
        self.error: str | None = None

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Static("", classes="image-caption")
        with ImageFrame():
            yield Static(Text(safe(self.placeholder, line=False)), classes="image-placeholder")

    # ------------------------------------------------------------------ public API
    @property
    def key(self) -> str | None:
        return self._key

    @property
    def boxes_shown(self) -> bool:
        return self._show_boxes

    @property
    def zoomed(self) -> int | None:
        return self._zoom

    @property
    def settled(self) -> bool:
        """True when the newest request has been drawn, box numbers included (tests wait for this)."""
        return self._applied_gen == self._gen

    def show(self, source: Path | bytes | None, *, key: str | None = None, label: str = "") -> None:
        """Show ``source`` (a file or image bytes); ``key`` identifies it for the decode cache."""
        if source is None:
            self.clear()
            return
        new_key = key or (str(source) if isinstance(source, Path) else f"bytes:{hash(source)}")
        if new_key == self._key and self.error is None:
            return
        self._source, self._key = source, new_key
        self._label = label or (source.name if isinstance(source, Path) else "image")
        self._boxes, self._highlight, self._zoom = (), None, None
        self.refresh_picture()

    def clear(self, message: str | None = None) -> None:
        self._gen += 1
        self._applied_gen = self._gen
        self._source, self._key, self._label = None, None, ""
        self._boxes, self._highlight, self._zoom = (), None, None
        self.error = None
        self._set_caption("")
        self._show_placeholder(message or self.placeholder)

    def set_boxes(self, boxes: Sequence[Box], highlight: int | None = None) -> None:
        self._boxes = tuple(boxes)
        self._highlight = highlight
        self._zoom = None
        self.refresh_picture()

    def set_highlight(self, number: int | None) -> None:
        if number == self._highlight:
            return
        self._highlight = number
        if self._zoom is not None and number is not None:
            self._zoom = number
        if self._boxes:
            self.refresh_picture()

    def toggle_boxes(self) -> bool:
        self._show_boxes = not self._show_boxes
        self.refresh_picture()
        return self._show_boxes

    def zoom(self, number: int | None) -> None:
        """Show only box ``number`` at full detail (None: the whole picture again)."""
        self._zoom = number if any(b.number == number for b in self._boxes) else None
        self.refresh_picture()

    # ------------------------------------------------------------------ drawing
    def refresh_picture(self) -> None:
        """Draw again for the current size and state (latest call wins)."""
        if not self.is_mounted:
            return
        self._gen += 1
        if self._source is None:
            self._applied_gen = self._gen
            return
        if self.renderer == "none":
            self._applied_gen = self._gen
            self._set_caption(self._caption(None))
            self._show_placeholder("Pictures are off (renderer: none)")
            return
        frame = self.query_one(ImageFrame)
        cols, rows = frame.content_size.width, frame.content_size.height
        if cols <= 0 or rows <= 0:
            self._applied_gen = self._gen  # nothing to draw into; a resize will ask again
            return
        from animetui.pictures import process

        zoom_box = next((b for b in self._boxes if b.number == self._zoom), None)
        key = self._key or ""
        request = process.Request(
            self._source, key, self._label, self.renderer, self._boxes if zoom_box is None else (), self._highlight,
            self._show_boxes, zoom_box, cols, rows, cell=(0, 0),  # the cell size is asked for in the worker
        )
        cached_zoom = self._pictures.get(zoom_key(key, zoom_box)) if zoom_box is not None else None
        self._prepare(self._gen, request, self._pictures.get(key), cached_zoom)

    @work(thread=True, exclusive=True, group="image-view", exit_on_error=False)
    def _prepare(self, gen: int, request: Request, cached: Picture | None, cached_zoom: Picture | None) -> None:
        from animetui.pictures import process

        if gen != self._gen:  # a newer request exists: its worker draws
            return
        try:
            widget_class = self._widget_class or terminal_images.widget_class(self.renderer, prepared=True)
            caps = terminal_images.capabilities()
            request = replace(request, cell=(caps.cell_width, caps.cell_height))
            if ImageView.use_process and widget_class is not None:
                if self._in_process(gen, request, widget_class):
                    return
            drawn = process.draw(request, cached, cached_zoom, encoded=widget_class is not None)
            _prepare_off_loop(widget_class, drawn.image, drawn.cols, drawn.rows, self._inner, self.app.console.color_system)
        except Exception as exc:  # noqa: BLE001 - a bad picture must never take the app down
            self._from_thread(self._apply_error, gen, process.failure_text(exc, request.label))
            return
        self._from_thread(
            self._apply, gen, request.key, drawn.picture, drawn.picture.description, drawn.image, drawn.cols, drawn.rows,
            widget_class, request.zoom_box, drawn.zoomed,
        )

    def _in_process(self, gen: int, request: Request, widget_class: type) -> bool:
        """The same work in the picture process (``animetui.pictures.process``); False if it is unusable."""
        from PIL import Image

        from animetui.pictures import process

        try:
            answer = process.render(request)
        except process.ProcessUnavailable as exc:
            ImageView.use_process = False  # for every view from now on: threads it is
            self._from_thread(self.log.warning, f"picture process unavailable, using threads: {exc}")
            return False
        if answer.error is not None:
            self._from_thread(self._apply_error, gen, answer.error)
            return True
        image = Image.frombytes(answer.mode, answer.size, answer.pixels)
        process.attach(image, answer.encoded)
        try:
            _prepare_off_loop(widget_class, image, answer.cols, answer.rows, self._inner, self.app.console.color_system)
        except Exception as exc:  # noqa: BLE001 - a bad picture must never take the app down
            self._from_thread(self._apply_error, gen, process.failure_text(exc, request.label))
            return True
        self._from_thread(
            self._apply, gen, request.key, None, answer.description, image, answer.cols, answer.rows, widget_class,
            request.zoom_box, None,
        )
        return True

    def _from_thread(self, callback: Any, *args: Any) -> None:
        try:
            self.app.call_from_thread(callback, *args)
        except RuntimeError:  # the app is shutting down
            pass

    def _apply(
        self,
        gen: int,
        key: str,
        picture: Picture | None,
        description: str,
        image: Any,
        cols: int,
        rows: int,
        widget_class: type[Widget] | None,
        zoom_box: Box | None,
        zoomed: Picture | None = None,
    ) -> None:
        if key and picture is not None:
            self._pictures.put(key, picture)
            if zoomed is not None and zoom_box is not None:
                self._pictures.put(zoom_key(key, zoom_box), zoomed)
        if gen != self._gen:
            return
        self._widget_class = widget_class
        self.error = None
        self._set_caption(self._caption(description, zoom_box))
        frame = self.query_one(ImageFrame)
        if widget_class is None:
            self._show_placeholder("Pictures are unavailable in this terminal")
            self._applied_gen = gen
            return
        for placeholder in frame.query(".image-placeholder"):
            placeholder.remove()
        inner: Any = self._inner
        same_kind = type(inner) is widget_class
        if self._box is None or not self._box.is_attached or not same_kind:
            self._remove_picture()
            inner = widget_class(image, classes="image-inner")
            self._inner, self._box = inner, PictureBox(inner)
            frame.mount(self._box)
        else:
            inner.image = image
        for node in (self._box, inner):
            node.styles.width = cols
            node.styles.height = rows
        self._applied_gen = gen
        self._label_boxes(cols, rows, zoom_box)

    def _label_boxes(self, cols: int, rows: int, zoom_box: Box | None) -> None:
        """Half-cell/Unicode pictures: the boxes' numbers as text over the picture (see box_labels)."""
        from animetui.ui.pictures.labels import label_cells, place_labels

        boxes = self._boxes if self._show_boxes and zoom_box is None else ()
        if self._box is not None:
            place_labels(self._box, label_cells(boxes, cols, rows, self.renderer), self._highlight)

    def _apply_error(self, gen: int, message: str) -> None:
        if gen != self._gen:
            return
        self.error = message
        self._set_caption(self._label)
        self._show_placeholder(message)
        self._applied_gen = gen

    # ------------------------------------------------------------------ helpers
    def _caption(self, description: str | None, zoom_box: Box | None = None) -> str:
        parts = [self._label]
        if description:
            parts.append(description)
        if zoom_box is not None:
            parts.append(f"box {zoom_box.number} zoomed")
        elif self._boxes:
            count = len(self._boxes)
            parts.append(f"{count} box{'es' if count != 1 else ''}" + ("" if self._show_boxes else " (hidden)"))
        return " · ".join(p for p in parts if p)

    def _set_caption(self, text: str) -> None:
        text = safe(text)  # a file name, a server title: never raw on screen
        self.caption_text = text
        update_line(self.query_one(".image-caption", Static), Text(text, no_wrap=True, overflow="ellipsis"))

    def _remove_picture(self) -> None:
        if self._box is not None:
            self._box.remove()  # the picture widget and its box numbers with it
        self._box = self._inner = None

    def _show_placeholder(self, message: str) -> None:
        message = safe(message, line=False)  # may quote a file name or an error
        frame = self.query_one(ImageFrame)
        self._remove_picture()
        existing = frame.query(".image-placeholder")
        if existing:
            existing.first(Static).update(Text(message))
        else:
            frame.mount(Static(Text(message), classes="image-placeholder"))

