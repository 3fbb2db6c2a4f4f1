"""animetui.pictures.sources: validation, conversion and downscaling with messages that say what is wrong."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from animetui.errors import BadInput, Unsupported
from animetui.pictures.sources import inspect, prepare_upload, read_source
from animetui.simulator.imagery import scene


def test_passthrough_when_acceptable():
    data = scene(400, 300, fmt="PNG")
    prepared = prepare_upload(data, label="a.png", formats=("JPEG", "PNG"))
    assert prepared.data == data and not prepared.converted and prepared.content_type == "image/png"


def test_webp_converted_for_jpeg_png_only_service():
    prepared = prepare_upload(scene(300, 300, fmt="WEBP"), label="x.webp", formats=("JPEG", "PNG"))
    assert prepared.converted and prepared.content_type in ("image/jpeg", "image/png")
    assert Image.open(io.BytesIO(prepared.data)).format in ("JPEG", "PNG")


def test_downscale_keeps_aspect():
    prepared = prepare_upload(scene(4000, 2000, fmt="JPEG"), label="big.jpg", max_side=1280)
    assert (prepared.width, prepared.height) == (1280, 640)


def test_too_small_says_by_how_much():
    with pytest.raises(BadInput) as info:
        prepare_upload(scene(120, 90), label="tiny.png", min_size=(256, 256), service="AILabTools")
    assert "120×90" in str(info.value) and "256×256" in str(info.value)


def test_exif_orientation_applied():
    image = Image.new("RGB", (400, 200), "red")
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° when displayed
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    prepared = prepare_upload(buffer.getvalue(), label="r.jpg")
    assert (prepared.width, prepared.height) == (200, 400)


def test_animated_gif_first_frame():
    frames = [Image.new("RGB", (300, 300), c) for c in ("red", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    prepared = prepare_upload(buffer.getvalue(), label="a.gif")
    assert prepared.converted and Image.open(io.BytesIO(prepared.data)).getpixel((5, 5))[0] > 200


def test_not_an_image_and_missing_file(tmp_path):
    with pytest.raises(BadInput, match="not an image"):
        inspect(b"hello world", "notes.txt")
    with pytest.raises(BadInput, match="no such file"):
        read_source(tmp_path / "nope.png")
    with pytest.raises(BadInput, match="directory"):
        read_source(tmp_path)


def test_decompression_bomb_refused():
    image = Image.new("1", (12000, 12000))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    with pytest.raises(Unsupported, match="refused"):
        inspect(buffer.getvalue(), "bomb.png")
