"""Updating a one-line ``Static`` whose size is fixed by the stylesheet (``height: 1``).

``Static.update`` lays the whole screen out again by default (the content might change the
widget's size); for the status lines, captions and section titles it cannot, and those are updated
while the user scrolls and while lookups run: each needless reflow cost 2-4 ms of event loop at
160×48 (tests/benchmarks/bench_images.py). :func:`update_line` repaints only the line, and skips
even that when the content is what is already shown.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Static


def update_line(widget: Static, content: Any, *, layout: bool = False) -> None:
    """Show ``content`` in ``widget``; ``layout=True`` when its height can change (a wrapping error)."""
    if not layout and getattr(widget, "_animetui_line", None) == content:
        return
    widget._animetui_line = content  # type: ignore[attr-defined]
    widget.update(content, layout=layout)
