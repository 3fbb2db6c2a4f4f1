"""An annotated picture through every renderer class, checked in the renderer's own output.

Each test mounts one :class:`ImageView` (40×12 cells for the picture, 10×20 px cells from the
seeded probe) in a bare app, shows an 800×400 dark picture with detection box 1 highlighted,
waits until the worker has drawn it, and reads what the renderer produced:

* Sixel: the DCS stream's raster size is the widget's cells × cell pixels, and decoding the
  stream (a small decoder below) finds the box colour on the box's edge and the picture inside;
  the stream was encoded in the worker thread (textual-image's encoder never ran on the loop);
* Kitty (TGP): the escape stream textual-image writes straight to ``sys.__stdout__`` is captured
  (patched, so pytest's output stays clean), the PNG it carries is the widget's pixel size and
  has the box colour on the box edge; the placement is columns × rows;
* half-cell: the ``▀`` cells on the box's edge carry the box colour, the others the picture's;
* Unicode: grey-scale characters, the box edge brighter than the picture.
"""

from __future__ import annotations

import base64
import io
import re
import sys

import pytest
from textual.app import App, ComposeResult
from textual.geometry import Region
from ui_helpers import wait_for

from animetui.pictures import imaging
from animetui.ui.pictures.view import ImageView

BACKGROUND = (20, 20, 20)
BOX = imaging.Box((0.25, 0.25, 0.75, 0.75), 1)
WEAK = imaging.Box((0.02, 0.05, 0.15, 0.4), 2, weak=True)
COLS, ROWS = 40, 10  # 800×400 fitted into 40×12 cells of 10×20 px
CELL = (10, 20)


def _png(width: int = 800, height: int = 400) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), BACKGROUND).save(buffer, "PNG")
    return buffer.getvalue()


class ViewApp(App[None]):
    CSS = "ImageView { width: 40; height: 13; }"

    def __init__(self, renderer: str) -> None:
        super().__init__()
        self.renderer = renderer

    def compose(self) -> ComposeResult:
        yield ImageView(renderer=self.renderer, id="view")


async def _drawn(pilot, view: ImageView) -> None:
    await wait_for(
        pilot,
        lambda: view.settled and view._inner is not None and view._inner.is_mounted,
        what=f"the picture to be drawn (error: {view.error})",
    )
    await pilot.pause()


async def _show_annotated(pilot) -> ImageView:
    view = pilot.app.query_one("#view", ImageView)
    view.show(_png(), key="flat", label="flat.png")
    view.set_boxes([BOX, WEAK], highlight=1)
    await _drawn(pilot, view)
    return view


def _close(a: tuple[int, ...], b: tuple[int, ...], tolerance: int = 12) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b))


# --------------------------------------------------------------------------- Sixel
_COLOUR = re.compile(r"#(\d+)(?:;2;(\d+);(\d+);(\d+))?")
_REPEAT = re.compile(r"!(\d+)([?-~])")


def decode_sixel(stream: str) -> tuple[tuple[int, int], dict[tuple[int, int], tuple[int, int, int]]]:
    """(raster width, height) and {(x, y): rgb} of a Sixel stream (enough of the format for tests)."""
    start = stream.index("\x1bP")
    body = stream[stream.index("q", start) + 1 : stream.index("\x1b\\", start)]
    raster = re.match(r'"1;1;(\d+);(\d+)', body)
    assert raster is not None, "no raster attributes"
    size = (int(raster[1]), int(raster[2]))
    palette: dict[int, tuple[int, int, int]] = {}
    pixels: dict[tuple[int, int], tuple[int, int, int]] = {}
    colour, x, band, i = 0, 0, 0, raster.end()
    while i < len(body):
        char = body[i]
        if char == "#":
            match = _COLOUR.match(body, i)
            assert match is not None
            colour = int(match[1])
            if match[2] is not None:
                palette[colour] = tuple(round(int(v) * 255 / 100) for v in match.group(2, 3, 4))  # type: ignore[assignment]
            i = match.end()
            continue
        if char == "$":
            x, i = 0, i + 1
            continue
        if char == "-":
            x, band, i = 0, band + 1, i + 1
            continue
        if char == "!":
            match = _REPEAT.match(body, i)
            assert match is not None
            count, sixel, i = int(match[1]), match[2], match.end()
        elif "?" <= char <= "~":
            count, sixel, i = 1, char, i + 1
        else:
            i += 1
            continue
        bits = ord(sixel) - 63
        for dx in range(count):
            for bit in range(6):
                if bits >> bit & 1:
                    pixels[(x + dx, band * 6 + bit)] = palette[colour]
        x += count
    return size, pixels


async def test_sixel_stream_is_sized_to_the_widget_and_shows_the_box(monkeypatch):
    from textual_image.widget.sixel import _ImageSixelImpl

    from animetui.ui.pictures.prepared import PreparedSixelImage, _PreparedSixelImpl

    encoded_on_loop: list[tuple[int, int]] = []
    original = _ImageSixelImpl._image_to_sixels

    def spy(self, image, *args, **kwargs):  # noqa: ANN001
        encoded_on_loop.append(image.size)
        return original(self, image, *args, **kwargs)

    monkeypatch.setattr(_ImageSixelImpl, "_image_to_sixels", spy)
    async with ViewApp("sixel").run_test(size=(60, 20)) as pilot:
        view = await _show_annotated(pilot)
        assert isinstance(view._inner, PreparedSixelImage)
        impl = view._inner.query_one(_PreparedSixelImpl)
        assert tuple(impl.content_size) == (COLS, ROWS)
        lines = impl.render_lines(Region(0, 0, COLS, ROWS))
        assert len(lines) == ROWS
        stream = "".join(segment.text for line in lines for segment in line)
        (width, height), pixels = decode_sixel(stream)
        assert (width, height) == (COLS * CELL[0], ROWS * CELL[1])
        # box 1: right edge at round(0.75 * 399) = 299, inside and outside keep the picture
        colour = imaging.box_colour(1)
        assert _close(pixels[(299, 100)], colour)
        assert _close(pixels[(200, 100)], BACKGROUND)
        assert _close(pixels[(380, 20)], BACKGROUND)
        # the weak box is dimmed (box 1 is highlighted) and dashed: its left edge has gaps
        dim = tuple(int(c * 0.55) for c in imaging.box_colour(2))
        edge = [pixels[(7, y)] for y in range(30, 80)]
        assert any(_close(p, dim) for p in edge) and any(_close(p, BACKGROUND) for p in edge)
        # the whole-widget stream came from the worker thread: textual-image encoded nothing
        assert encoded_on_loop == []
        # a partial crop (scrolled) falls back to textual-image's own encoder, same geometry
        partial = impl.render_lines(Region(0, 0, 20, 5))
        (p_width, p_height), _ = decode_sixel("".join(s.text for line in partial for s in line))
        assert (p_width, p_height) == (200, 100) and encoded_on_loop == [(200, 100)]


async def test_sixel_next_picture_reuses_the_inner_widget_and_emits_its_stream():
    """A new picture is handed to the mounted inner widget (no recompose), and it is what is drawn."""
    from animetui.ui.pictures.prepared import _PreparedSixelImpl

    async with ViewApp("sixel").run_test(size=(60, 20)) as pilot:
        view = await _show_annotated(pilot)
        impl = view._inner.query_one(_PreparedSixelImpl)
        first = "".join(s.text for line in impl.render_lines(Region(0, 0, COLS, ROWS)) for s in line)
        before = impl.image
        view.set_boxes([BOX], highlight=None)  # the same picture, box 1 no longer highlighted, box 2 gone
        await wait_for(pilot, lambda: impl.image is not before and view.settled, what="the new picture in the inner widget")
        assert view._inner.query_one(_PreparedSixelImpl) is impl, "the inner widget was kept"
        assert impl.image is view._inner.image
        second = "".join(s.text for line in impl.render_lines(Region(0, 0, COLS, ROWS)) for s in line)
        assert second != first
        _, pixels = decode_sixel(second)
        edge = [pixels[(7, y)] for y in range(30, 80)]
        assert all(_close(p, BACKGROUND) for p in edge), "box 2 is no longer drawn"


# --------------------------------------------------------------------------- Kitty graphics protocol
_TGP = re.compile(r"\x1b_G([^;\x1b]*)(?:;([^\x1b]*))?\x1b\\")


def _tgp_messages(text: str) -> list[tuple[dict[str, str], str]]:
    out = []
    for keys, payload in _TGP.findall(text):
        fields = dict(item.split("=", 1) for item in keys.split(",") if "=" in item)
        out.append((fields, payload))
    return out


async def test_kitty_stream_is_sized_to_the_widget_and_shows_the_box(monkeypatch):
    from PIL import Image

    from animetui.ui.pictures.prepared import PreparedTGPImage

    # textual-image writes Kitty graphics straight to sys.__stdout__, past Textual and pytest
    captured = io.StringIO()
    monkeypatch.setattr(sys, "__stdout__", captured)
    monkeypatch.delenv("TMUX", raising=False)
    async with ViewApp("kitty").run_test(size=(60, 20)) as pilot:
        view = await _show_annotated(pilot)
        assert isinstance(view._inner, PreparedTGPImage)
        await pilot.pause()
    messages = _tgp_messages(captured.getvalue())
    chunks = [(f, p) for f, p in messages if f.get("f") == "100"]
    assert chunks, f"no image was transmitted: {captured.getvalue()[:200]!r}"
    image_id = chunks[0][0]["i"]
    data = "".join(p for f, p in chunks if f["i"] == image_id)
    assert [f.get("m") for f, _ in chunks if f["i"] == image_id][-1] == "0"
    picture = Image.open(io.BytesIO(base64.b64decode(data)))
    assert picture.format == "PNG" and picture.size == (COLS * CELL[0], ROWS * CELL[1])
    picture = picture.convert("RGB")
    assert picture.getpixel((299, 100)) == imaging.box_colour(1)
    assert picture.getpixel((200, 100)) == BACKGROUND
    placements = [f for f, _ in messages if f.get("a") == "p" and f.get("i") == image_id]
    assert placements and (placements[0]["c"], placements[0]["r"]) == (str(COLS), str(ROWS))


# --------------------------------------------------------------------------- half-cell and Unicode
def _cells(widget, cols: int, rows: int):  # noqa: ANN001, ANN202
    lines = widget.render_lines(Region(0, 0, cols, rows))
    grid = []
    for line in lines:
        row = []
        for segment in line:
            for char in segment.text:
                row.append((char, segment.style))
        grid.append(row)
    return grid


def _rgb(color) -> tuple[int, int, int]:  # noqa: ANN001
    triplet = color.get_truecolor()
    return (triplet.red, triplet.green, triplet.blue)


async def test_halfcell_cells_carry_the_box_colour():
    from textual_image.widget import HalfcellImage

    async with ViewApp("halfcell").run_test(size=(60, 20)) as pilot:
        view = await _show_annotated(pilot)
        assert isinstance(view._inner, HalfcellImage)
        assert tuple(view._inner.content_size) == (COLS, ROWS)
        grid = _cells(view._inner, COLS, ROWS)
        # the picture is 40×20 px: box 1's right edge is column round(0.75 * 39) = 29,
        # rows int(0.25 * 19) = 4 … round(0.75 * 19) = 14 → cells 2 … 7
        colour = imaging.box_colour(1)
        for row in range(3, 7):
            char, style = grid[row][29]
            assert char == "▀"
            assert _rgb(style.color) == colour and _rgb(style.bgcolor) == colour
        char, style = grid[5][20]  # inside the box: the picture
        assert _rgb(style.color) == BACKGROUND and _rgb(style.bgcolor) == BACKGROUND
        # the highlighted box is 2 px thick: its top edge (rows 4–5) fills cell row 2, its
        # bottom edge (rows 13–14) is the lower half of cell row 6 and the upper half of row 7
        char, style = grid[2][20]
        assert _rgb(style.color) == colour and _rgb(style.bgcolor) == colour
        char, style = grid[7][20]
        assert _rgb(style.color) == colour and _rgb(style.bgcolor) == BACKGROUND
        char, style = grid[6][20]
        assert _rgb(style.color) == BACKGROUND and _rgb(style.bgcolor) == colour


async def test_unicode_shades_the_box_edge():
    from textual_image.widget import UnicodeImage

    async with ViewApp("unicode").run_test(size=(60, 20)) as pilot:
        view = await _show_annotated(pilot)
        assert isinstance(view._inner, UnicodeImage)
        grid = _cells(view._inner, COLS, ROWS)
        assert len(grid) == ROWS and all(len(row) == COLS for row in grid)
        # 40×10 px: the right edge of box 1 is column 29, rows 2 … 7
        shades = " ░▒▓█"
        edge = grid[5][29][0]
        inside = grid[5][20][0]
        assert edge in shades and inside in shades
        assert shades.index(edge) > shades.index(inside)


# --------------------------------------------------------------------------- the view's behaviour
async def test_latest_request_wins_and_bombs_are_refused(monkeypatch):
    async with ViewApp("halfcell").run_test(size=(60, 20)) as pilot:
        view = pilot.app.query_one("#view", ImageView)
        for index in range(6):  # scrolling fast: only the last one may end up on screen
            view.show(_png(300 + index, 200), key=f"p{index}", label=f"p{index}.png")
        await _drawn(pilot, view)
        assert view.key == "p5" and view.caption_text.startswith("p5.png") and "305×200" in view.caption_text
        # the limit is patched in this process: draw this one in a thread, not the picture process
        monkeypatch.setattr(ImageView, "use_process", False)
        monkeypatch.setattr(imaging, "MAX_PIXELS", 1000)
        view.show(_png(), key="bomb", label="bomb.png")
        await wait_for(pilot, lambda: view.settled and view.error, what="the refusal")
        assert "refused" in view.error and "megapixel" in view.error
        assert view._inner is None  # the message replaces the picture


async def test_zoom_crops_the_original_at_full_detail():
    from PIL import Image, ImageDraw

    big = Image.new("RGB", (4000, 2000), BACKGROUND)
    ImageDraw.Draw(big).rectangle((2000, 1000, 2399, 1399), fill=(250, 250, 250))
    buffer = io.BytesIO()
    big.save(buffer, "PNG")
    data = buffer.getvalue()
    kept = imaging.decode(data, "big.png")
    assert max(kept.image.size) == imaging.MAX_KEEP_SIDE
    zoomed = imaging.crop_original(data, (0.5, 0.5, 0.6, 0.7), "big.png", kept=kept, pad=0)
    assert zoomed.image.size == (400, 400)  # original pixels, not the 2048-wide copy's 205×205
    assert zoomed.image.getpixel((0, 0)) == (250, 250, 250)
    small = imaging.decode(_png(), "small.png")
    assert imaging.crop_original(b"never read", BOX.rect, kept=small, pad=0).image.size == (400, 200)

    async with ViewApp("halfcell").run_test(size=(60, 20)) as pilot:
        view = pilot.app.query_one("#view", ImageView)
        view.show(data, key="big", label="big.png")
        view.set_boxes([imaging.Box((0.5, 0.5, 0.6, 0.7), 1)], highlight=1)
        await _drawn(pilot, view)
        view.zoom(1)
        await _drawn(pilot, view)
        assert view.zoomed == 1 and "box 1 zoomed" in view.caption_text
        grid = _cells(view._inner, *view._inner.content_size)
        mid = grid[len(grid) // 2][len(grid[0]) // 2][1]
        assert _rgb(mid.color) == (250, 250, 250)


@pytest.mark.parametrize("renderer", ["sixel", "kitty"])
def test_prepared_stream_is_only_used_when_it_fits(renderer):
    from PIL import Image

    from animetui.ui.pictures import prepared as prepared_image

    image = Image.new("RGB", (COLS * CELL[0], ROWS * CELL[1]), BACKGROUND)
    prepared = prepared_image.encode(renderer, image, (COLS, ROWS), CELL)
    assert prepared is not None and prepared_image.prepared_for(image, renderer) is prepared
    assert prepared_image.prepared_for(image, "sixel" if renderer == "kitty" else "kitty") is None
    assert prepared_image.encode("halfcell", image, (COLS, ROWS), CELL) is None
