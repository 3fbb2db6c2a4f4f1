"""Rendered lines are freed by their reference count (animetui.ui.strip_cycles)."""

from __future__ import annotations

import gc

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from animetui.ui import strip_cycles


def _count_cycles(make) -> int:  # noqa: ANN001
    gc.collect()
    gc.disable()
    try:
        for _ in range(50):
            make()
        return gc.collect()  # what only the collector could free
    finally:
        gc.enable()


def test_no_change_divide_and_crop_extend_leave_no_cycle():
    strip_cycles.install()

    def make() -> None:
        strip = Strip([Segment("hello ", Style(bold=True)), Segment("world")])
        assert strip.divide([11]) == [strip]
        assert strip.crop_extend(0, 11, None) is strip

    assert _count_cycles(make) == 0


def test_other_divides_and_crops_are_textuals_own():
    strip_cycles.install()
    strip = Strip([Segment("hello ", Style(bold=True)), Segment("world")])
    left, right = strip.divide([6, 11])
    assert (left.text, right.text) == ("hello ", "world")
    assert strip.divide([6, 11]) is strip.divide([6, 11]), "still cached"
    assert strip.crop_extend(2, 14, None).text == "llo world   "
    assert strip.crop_extend(0, 5, None).text == "hello"
