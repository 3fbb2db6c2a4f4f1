"""The picture widget's Pillow work (animetui.pictures.imaging): decode, fit to cells, boxes, crop."""

from __future__ import annotations

import pytest

from animetui.pictures import imaging


def _png(width: int, height: int, colour=(20, 20, 20)) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


def test_halfcell_render_puts_the_box_colour_in_the_right_cells():
    picture = imaging.decode(_png(800, 400), "flat.png")
    cols, rows = imaging.fit_cells(800, 400, 40, 40, (10, 20))
    assert (cols, rows) == (40, 10)
    size = imaging.target_pixels("halfcell", cols, rows, (10, 20))
    assert size == (40, 20)
    box = imaging.Box((0.25, 0.25, 0.75, 0.75), 1)
    image = imaging.render(picture, size, boxes=[box], highlight=None)
    colour = imaging.box_colour(1)
    # the outline is on the box's edges, the inside and outside keep the picture
    assert image.getpixel((9, 4)) == colour  # top-left corner: int(0.25 * 39), int(0.25 * 19)
    assert image.getpixel((29, 14)) == colour  # bottom-right corner: round(0.75 * 39), round(0.75 * 19)
    assert image.getpixel((20, 10)) == (20, 20, 20)
    assert image.getpixel((2, 2)) == (20, 20, 20)


def test_highlighted_box_stands_out_and_weak_boxes_are_dashed():
    picture = imaging.decode(_png(400, 400), "flat.png")
    boxes = [imaging.Box((0.1, 0.1, 0.4, 0.4), 1), imaging.Box((0.6, 0.6, 0.9, 0.9), 2, weak=True)]
    image = imaging.render(picture, (200, 200), boxes=boxes, highlight=2, fine=True)
    # box 1 is dimmed (not highlighted)
    dim = tuple(int(c * 0.55) for c in imaging.box_colour(1))
    assert image.getpixel((19, 40)) == dim
    # box 2 (weak) is dashed: some edge pixels carry the colour, some do not
    edge = [image.getpixel((x, 119)) for x in range(125, 175)]
    assert imaging.box_colour(2) in edge and (20, 20, 20) in edge


def test_decode_refuses_garbage_and_bombs(monkeypatch):
    from animetui.errors import BadInput, Unsupported

    with pytest.raises(BadInput, match="not an image"):
        imaging.decode(b"not an image", "x.png")
    monkeypatch.setattr(imaging, "MAX_PIXELS", 100)
    with pytest.raises(Unsupported, match="megapixel|bomb"):
        imaging.decode(_png(20, 20), "big.png")


def test_decode_keeps_pictures_small_and_takes_the_first_frame():
    import io

    from PIL import Image

    frames = [Image.new("RGB", (3000, 1000), c) for c in ((255, 0, 0), (0, 0, 255))]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    picture = imaging.decode(buffer.getvalue(), "anim.gif")
    assert max(picture.image.size) == imaging.MAX_KEEP_SIDE
    assert picture.frames == 2 and "2 frames" in picture.description
    assert picture.image.getpixel((10, 10))[0] > 200  # red: the first frame


def test_crop_zooms_into_a_box():
    picture = imaging.decode(_png(1000, 500), "flat.png")
    zoomed = imaging.crop(picture, (0.5, 0.5, 0.7, 0.9), pad=0)
    assert zoomed.image.size == (200, 200)
