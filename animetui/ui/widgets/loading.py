"""Textual's loading indicator, repainting only the line its dots are on.

A table or list that is loading (``widget.loading = True``) is covered by a ``LoadingIndicator``,
which animates its dots 16 times a second by repainting itself whole: for the detections list at
160×48 that was 18 lines of mostly blank cells, ~2 ms of event loop each time, plus the widgets
behind it composited again — most of what the loop did while a lookup ran, and each frame landed
on top of whatever else that loop iteration had to do (``tests/benchmarks/bench_stall.py
--explain``: 131 repaints in 8 half-block lookups). Here the animation repaints the dots' line only;
the blank lines around it do not change. Looks the same, frame for frame.
"""

from __future__ import annotations

from textual.geometry import Region
from textual.widgets import LoadingIndicator


class LineLoadingIndicator(LoadingIndicator):
    """What our tables and lists show while they load (their ``get_loading_widget``)."""

    def dots_row(self) -> int:
        """The content line the dots are drawn on (``content-align: center middle``)."""
        return max(0, (self.content_size.height - 1) // 2)

    def automatic_refresh(self) -> None:
        if self.is_on_screen:
            self.refresh(Region(0, self.dots_row(), self.content_size.width, 1))
