"""A partial repaint that draws only the widgets it repaints.

Textual's compositor repaints the dirty parts of the screen (``render_partial_update``) by taking
the rectangle around *all* of them, then rendering every widget whose clip overlaps that
rectangle, whole, and cutting every line of the rectangle into pieces. Two small changes far apart
— a pane's border (its left and right edges run the full height) and the footer, or a tree line
and a table row — make that rectangle the whole screen: each of ~60 widgets is rendered and
every line divided, for a few cells of change. At 160×48 on a slow core that was most of the
event loop's longest stalls while typing through pictures (a focus move: ~20 ms, 8-10 ms of it
compositing; ``tests/benchmarks/bench_stall.py --explain``).

:func:`install` replaces that one method with the same algorithm restricted to the widgets whose
visible area overlaps a dirty region, and to the lines of those regions; a line is cut only into
the pieces the update writes (those overlapping a dirty span, not yet filled by a widget in
front), not at every widget edge across it: cutting lines was half of a repaint's cost (a zoom
into a box, 160×48). The output is the same: every piece of a line that lies in a dirty region is still filled front to back (a piece lies
wholly inside or outside each widget's visible area, since the cuts are those areas' edges), and
pieces outside the dirty regions were never written to the terminal (``ChopsUpdate`` writes only
the spans of the dirty regions). ``tests/ui/test_partial_paint.py`` compares both byte for byte.

Textual is pinned exactly (pyproject.toml); on another version this does nothing, so a Textual
upgrade cannot break the screen through it (the test then fails, to be looked at again).

It also keeps a layout from being worked out twice. ``Compositor.reflow`` arranges every widget
and stores that as the full map, but leaves the flag saying the full map is stale as it was; the
flag is set by a scroll (``reflow_visible``) and whenever a widget off the visible map refreshes,
so after most layouts the first widget asking for its region (``Widget.size``, which each scroll
view's ``_size_updated`` reads right after the layout) arranged the whole screen again from
scratch: the same map, ~a third of the loop's CPU in the Files jump box opening or a lookup's
results arriving (``tests/benchmarks/bench_stall.py --profile``: ``full_map`` <- ``find_widget``
<- ``region`` under ``_refresh_layout``). :func:`reflow` marks the map it just built as current.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import textual
from textual._compositor import ChopsUpdate, Compositor, ReflowResult
from textual.geometry import Region, Size
from textual.widget import Widget

TEXTUAL_VERSION = "8.2.8"  # the version whose compositor this was written against

_installed = False
TEXTUAL_RENDER_PARTIAL_UPDATE = Compositor.render_partial_update  # Textual's own (the tests compare with it)
TEXTUAL_REFLOW = Compositor.reflow


def installed() -> bool:
    return _installed


def render_partial_update(self: Compositor) -> ChopsUpdate | None:
    """``Compositor.render_partial_update``, rendering only the widgets the dirty regions touch."""
    screen_region = self.size.region
    update_regions = self._dirty_regions.copy()
    self._dirty_regions.clear()
    regions = [r for r in (region.intersection(screen_region) for region in update_regions) if r]
    if not regions:
        return None
    spans = list(self._regions_to_spans(regions))
    spans_at: dict[int, list[tuple[int, int]]] = {}
    for y, x1, x2 in spans:
        spans_at.setdefault(y, []).append((x1, x2))
    cuts = self.cuts
    chops: list[dict[int, Any]] = [dict.fromkeys(cut_set[:-1]) for cut_set in cuts]
    intersection = Region.intersection
    overlaps = Region.overlaps
    box = Region.from_union(regions)
    for widget, (region, clip) in self.visible_widgets.items():  # front to back
        visible = intersection(region, clip)
        if not overlaps(box, visible) or not any(overlaps(visible, dirty) for dirty in regions):
            continue
        if clip.contains_region(region):
            strips = widget.render_lines(Region(0, 0, region.width, region.height))
        else:
            x, y, width, height = visible
            if not (width and height):
                continue
            strips = widget.render_lines(Region(x - region.x, y - region.y, width, height))
        render_x = visible.x
        first_cut, last_cut = visible.column_span
        for y, strip in zip(visible.line_range, strips):
            line_spans = spans_at.get(y)
            if line_spans is None:
                continue
            chops_line = chops[y]
            final_cuts = [cut for cut in cuts[y] if last_cut >= cut >= first_cut]
            get = chops_line.get
            # the pieces still empty that the update writes (ChopsUpdate skips a piece with x > x2 or end <= x1)
            wanted = [
                (cut, end)
                for cut, end in zip(final_cuts, final_cuts[1:])
                if get(cut) is None and any(not (cut > x2 or end <= x1) for x1, x2 in line_spans)
            ]
            if not wanted:
                continue
            if len(wanted) == len(final_cuts) - 1:
                for cut, piece in zip(final_cuts, strip.divide([cut - render_x for cut in final_cuts[1:]])):
                    chops_line[cut] = piece
                continue
            # cut only around the wanted pieces: the same pieces, without making the others
            bounds = sorted({edge - render_x for piece_edges in wanted for edge in piece_edges} - {0})
            wanted_starts = {cut for cut, _end in wanted}
            for start, piece in zip([0, *bounds], strip.divide(bounds)):
                if start + render_x in wanted_starts:
                    chops_line[start + render_x] = piece
    chop_ends = [cut_set[1:] for cut_set in cuts]
    return ChopsUpdate(chops, spans, chop_ends)


def reflow(self: Compositor, parent: Widget, size: Size) -> ReflowResult:
    """``Compositor.reflow``, after which the full map it built counts as current.

    It is what ``Compositor.full_map`` would build (``_arrange_root`` of the same root and size,
    every widget, not only the visible ones), and Textual's ``reflow`` already drops the visible
    map and widgets that ``full_map`` drops when it rebuilds.
    """
    result = TEXTUAL_REFLOW(self, parent, size)
    self._full_map_invalidated = False
    return result


def textual_version() -> str:
    """Textual's version, from its ``dist-info`` folder's name when there is one beside the package:
    ``textual.__version__`` asks ``importlib.metadata``, whose import (email, zipfile, csv…) was
    ~15 ms of start-up before the first frame."""
    site = Path(textual.__file__).resolve().parent.parent
    try:
        found = [entry.name for entry in os.scandir(site) if entry.name.startswith("textual-") and entry.name.endswith(".dist-info")]
    except OSError:
        found = []
    if len(found) == 1:
        return found[0].removeprefix("textual-").removesuffix(".dist-info")
    return str(textual.__version__)


def install() -> bool:
    """Use :func:`render_partial_update` and :func:`reflow` (once; only on the Textual they were
    written for)."""
    global _installed
    if _installed:
        return True
    if textual_version() != TEXTUAL_VERSION:
        return False
    Compositor.render_partial_update = render_partial_update  # type: ignore[method-assign]
    Compositor.reflow = reflow  # type: ignore[method-assign]
    _installed = True
    return True
