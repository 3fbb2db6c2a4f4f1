"""Half-cell pictures: cells built in the worker (animetui.ui.pictures.halfcell), the same as textual-image's.

* ``build_cells`` gives, segment for segment, what textual-image's half-cell renderable yields for
  the same picture (text and style), on a noisy picture with many colours;
* in the app, the picture widget is the prepared one, its lines come from the worker's strips
  (textual-image's renderable is made to fail and is never asked), and they are the lines
  textual-image's own widget draws for the same picture and size;
* a new picture with the same size (a box highlighted) is shown from its strips too, and a widget
  whose size is not the one the strips were made for falls back to textual-image.
"""

from __future__ import annotations

import io
import random

import pytest
from rich.console import Console
from textual.app import App, ComposeResult
from textual.geometry import Region
from ui_helpers import wait_for

from animetui.pictures import imaging
from animetui.ui.pictures import terminal as terminal_images
from animetui.ui.pictures.view import ImageView

COLS, ROWS = 40, 10


def _noise(width: int, height: int, seed: int = 7):  # noqa: ANN202 - a PIL image
    from PIL import Image

    rng = random.Random(seed)
    data = bytes(rng.choice((0, 17, 128, 200, 255)) for _ in range(width * height * 3))
    return Image.frombytes("RGB", (width, height), data)


def _textual_image_segments(image, cols: int, rows: int) -> list[list[tuple[str, object]]]:  # noqa: ANN001
    from textual_image.renderable.halfcell import Image as HalfcellRenderable

    terminal_images.ensure_probed()
    console = Console(width=cols, height=rows, color_system="truecolor", file=io.StringIO())
    lines: list[list[tuple[str, object]]] = [[]]
    for segment in console.render(HalfcellRenderable(image, cols, rows), console.options.update(width=cols, height=rows)):
        if segment.text == "\n":
            lines.append([])
        else:
            lines[-1].append((segment.text, segment.style))
    return [line for line in lines if line]


def test_build_cells_matches_textual_image():
    from animetui.ui.pictures.halfcell import build_cells

    image = _noise(COLS, ROWS * 2)
    cells = build_cells(image, COLS, ROWS)
    assert cells.cells == (COLS, ROWS)
    ours = [[(segment.text, segment.style) for segment in strip] for strip in cells.strips]
    assert ours == _textual_image_segments(image, COLS, ROWS)
    assert all(strip.cell_length == COLS for strip in cells.strips)


def test_build_cells_scales_a_picture_of_another_size_as_textual_image_does():
    from animetui.ui.pictures.halfcell import build_cells

    image = _noise(97, 31)
    ours = [[(segment.text, segment.style) for segment in strip] for strip in build_cells(image, COLS, ROWS).strips]
    assert ours == _textual_image_segments(image, COLS, ROWS)


def _png(width: int = 800, height: int = 400) -> bytes:
    buffer = io.BytesIO()
    _noise(width // 10, height // 10).resize((width, height)).save(buffer, "PNG")
    return buffer.getvalue()


class ViewApp(App[None]):
    CSS = "ImageView { width: 40; height: 13; }"

    def compose(self) -> ComposeResult:
        yield ImageView(renderer="halfcell", id="view")


def _lines(widget, cols: int, rows: int) -> list[list[tuple[str, object]]]:  # noqa: ANN001
    return [[(segment.text, segment.style) for segment in strip] for strip in widget.render_lines(Region(0, 0, cols, rows))]


async def _drawn(pilot, view: ImageView) -> None:
    await wait_for(
        pilot,
        lambda: view.settled and view._inner is not None and view._inner.is_mounted,
        what=f"the picture to be drawn (error: {view.error})",
    )
    await pilot.pause()


@pytest.mark.parametrize("use_process", [True, False], ids=["process", "thread"])
async def test_the_app_shows_the_worker_cells_not_textual_images(monkeypatch, use_process):
    from textual_image.renderable.halfcell import Image as HalfcellRenderable
    from textual_image.widget import HalfcellImage

    from animetui.ui.pictures.halfcell import PreparedHalfcellImage, cells_for

    monkeypatch.setattr(ImageView, "use_process", use_process)
    async with ViewApp().run_test(size=(60, 20)) as pilot:
        view = pilot.app.query_one("#view", ImageView)
        view.show(_png(), key="noise", label="noise.png")
        view.set_boxes([imaging.Box((0.25, 0.25, 0.75, 0.75), 1)], highlight=1)
        await _drawn(pilot, view)
        inner = view._inner
        assert isinstance(inner, PreparedHalfcellImage)
        assert tuple(inner.content_size) == (COLS, ROWS)
        image = inner.image
        assert cells_for(image) is not None and cells_for(image).cells == (COLS, ROWS)

        # what textual-image's own widget draws for this picture at this size, on this screen
        plain = HalfcellImage(image)
        plain.styles.width, plain.styles.height = COLS, ROWS
        await pilot.app.mount(plain)
        await pilot.pause()
        expected = _lines(plain, COLS, ROWS)
        await plain.remove()

        def refused(*_args: object, **_kwargs: object) -> None:
            raise AssertionError("textual-image made the cells on the loop")

        monkeypatch.setattr(HalfcellRenderable, "__rich_console__", refused)
        inner.refresh()
        assert _lines(inner, COLS, ROWS) == expected

        # another picture of the same size (box 1 no longer highlighted): its strips, not textual-image
        view.set_highlight(None)
        await _drawn(pilot, view)
        assert view._inner is inner and inner.image is not image
        assert cells_for(inner.image) is not None
        assert len(_lines(inner, COLS, ROWS)) == ROWS


async def test_a_size_the_cells_were_not_made_for_falls_back_to_textual_image():
    from animetui.ui.pictures.halfcell import PreparedHalfcellImage

    image = _noise(COLS, ROWS * 2)
    PreparedHalfcellImage.prepare_off_loop(image, (COLS, ROWS))

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            widget = PreparedHalfcellImage(image)
            widget.styles.width, widget.styles.height = COLS - 4, ROWS - 2
            yield widget

    async with Bare().run_test(size=(60, 20)) as pilot:
        widget = pilot.app.query_one(PreparedHalfcellImage)
        lines = _lines(widget, COLS - 4, ROWS - 2)
        assert len(lines) == ROWS - 2
        assert all(len(line) == COLS - 4 and all(text == "▀" for text, _ in line) for line in lines)
        assert lines == _textual_image_segments(image, COLS - 4, ROWS - 2)


@pytest.mark.parametrize("system", ["truecolor", "256", "standard"])
def test_escape_codes_worked_out_in_the_worker_are_the_consoles(system):
    """The styles' escape codes are made in the worker (Rich keeps them on the style) for the
    console's colour system: what the terminal gets is what textual-image's fresh styles give."""
    from textual.strip import Strip

    from animetui.ui.pictures.halfcell import build_cells

    image = _noise(COLS, ROWS * 2, seed=3)
    console = Console(color_system=system, force_terminal=True, file=io.StringIO())
    strips = build_cells(image, COLS, ROWS, console.color_system).strips
    assert all(segment.style._ansi is not None for segment in strips[0])  # worked out already
    ours = [strip.render(console) for strip in strips]
    theirs = [
        "".join(Strip.render_style(style, text, console._color_system) for text, style in line)
        for line in _textual_image_segments(image, COLS, ROWS)
    ]
    assert ours == theirs
    assert ("38;2;" in ours[0]) == (system == "truecolor")
