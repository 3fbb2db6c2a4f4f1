"""Rendered lines that the reference count frees, not the garbage collector.

Textual's ``Strip`` (one rendered line) keeps small caches of what it was turned into. Two of
them store the strip itself when the operation changes nothing: ``divide`` at the strip's own
length (``[self]``: the compositor does it to every line of a full-width widget on every
repaint) and ``crop_extend`` over exactly its own cells. A strip that holds itself is a
reference cycle, so no line drawn on screen is freed when it is replaced: each one, with its
seven caches and its segments, waits for a full garbage-collector pass. In a minute of scrolling
and annotating pictures that was ~70,000 objects (``tests/benchmarks/bench_stall.py``,
``BENCH_GARBAGE=1``): the bulk of what every full pass had to look at, and why those passes
took 35-150 ms on the event loop.

:func:`install` wraps those two methods so that the no-change case returns the strip without
caching it (the same result, no cycle); every other case goes to Textual's own code. Harmless
if a later Textual stops caching ``self``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.style import Style
from textual.strip import Strip

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    divide = Strip.divide
    crop_extend = Strip.crop_extend

    def divide_no_cycle(self: Strip, cuts: Iterable[int]) -> Sequence[Strip]:  # as Textual's
        cuts = list(cuts)
        length = self.cell_length
        if [cut for cut in cuts if cut <= length] == [length]:
            return [self]
        return divide(self, cuts)

    def crop_extend_no_cycle(self: Strip, start: int, end: int, style: Style | None) -> Strip:
        if start <= 0 and end == self.cell_length:  # extend and crop both give the strip itself
            return self
        return crop_extend(self, start, end, style)

    divide_no_cycle.__doc__ = divide.__doc__
    crop_extend_no_cycle.__doc__ = crop_extend.__doc__
    Strip.divide = divide_no_cycle  # type: ignore[method-assign]
    Strip.crop_extend = crop_extend_no_cycle  # type: ignore[method-assign]
