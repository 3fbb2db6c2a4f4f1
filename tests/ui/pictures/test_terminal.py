"""The terminal probe guard and renderer choice (animetui.ui.pictures.terminal)."""

from __future__ import annotations

import termios

import pytest

from animetui.ui.pictures import terminal as terminal_images


def test_image_probe_seed_is_in_effect():
    """The root conftest seeds textual-image's probe (a private attribute: textual-image is pinned)."""
    from textual_image._terminal import CellSize, probe_terminal

    result = probe_terminal()
    assert result.cell_size == CellSize(10, 20)
    assert not result.sixel and not result.tgp


@pytest.mark.parametrize("error", [ZeroDivisionError("division by zero"), termios.error(25, "Inappropriate ioctl"), OSError(5, "EIO")])
def test_a_failing_probe_falls_back_to_halfcell_with_a_note(monkeypatch, error):
    from textual_image._terminal import probe_terminal

    seeded = probe_terminal._result
    monkeypatch.delattr(probe_terminal, "_result")

    def broken() -> None:
        raise error

    try:
        note = terminal_images.probe_before_start("auto", probe=broken)
        assert note is not None and type(error).__name__ in note and "--renderer" in note
        assert "half-cell" in note
        assert probe_terminal._result.sixel is False and probe_terminal._result.tgp is False
        assert probe_terminal._result.cell_size == (10, 20)
    finally:
        probe_terminal._result = seeded


def test_probe_is_not_repeated_once_cached():
    calls = []
    assert terminal_images.probe_before_start("auto", probe=lambda: calls.append(1)) is None
    assert calls == []


def test_renderer_resolution():
    assert terminal_images.resolve("halfcell") == "halfcell"
    assert terminal_images.resolve("none") == "none"
    assert terminal_images.resolve("bogus") in terminal_images.RENDERERS
    # no TTY under pytest: textual-image itself would pick its Unicode renderer
    assert terminal_images.resolve("auto") == "unicode"
    from textual_image.widget import HalfcellImage, SixelImage, TGPImage

    assert terminal_images.widget_class("halfcell") is HalfcellImage
    assert terminal_images.widget_class("sixel") is SixelImage
    assert terminal_images.widget_class("kitty") is TGPImage
    assert terminal_images.widget_class("none") is None
