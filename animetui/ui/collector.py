"""Full garbage collections while the user is idle, not in the middle of their key presses.

CPython's collector runs a full (generation 2) pass on its own whenever enough objects have
survived; with a Textual app's heap that pass takes 25-45 ms on a slow core, and it lands in the
middle of whatever the user is doing: it was the longest event-loop stall left in
``tests/benchmarks/bench_images.py`` once the picture work had moved to its own process.

:class:`IdleCollector` keeps the young collections (generations 0 and 1: about a millisecond,
automatic as before) and takes over the full ones:

* at start-up what exists is frozen (``gc.freeze``): it lives as long as the app and full passes
  never need to look at it again;
* automatic full passes are switched off (a generation-2 threshold no count reaches);
* a timer checks twice a second: once there has been no key press or mouse event for
  ``idle_after`` seconds and young collections have moved objects into generation 2 since the last
  full pass, it runs one (``gc.collect()``): the user is not typing, so nobody waits for it;
* a busy session that is never idle still gets a full pass after ``force_after`` young
  collections, so memory held by cyclic garbage stays bounded.

``stop()`` puts the thresholds back and unfreezes (tests run many apps in one process). Nothing here is
frozen again after a full pass: a frozen object is never collected, and widgets that the app
removes later (old result rows, closed screens) must stay collectable.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

#: generation-2 threshold while we schedule the full passes ourselves (``gc.get_count()[2]``
#: counts young collections since the last full pass; it never gets near this)
_OFF = 1 << 30


class IdleCollector:
    def __init__(
        self,
        *,
        idle_after: float = 1.5,
        min_young: int = 10,
        force_after: int = 400,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.idle_after = idle_after
        self.min_young = min_young  # CPython's own default: a full pass after 10 gen-1 passes
        self.force_after = force_after
        self.clock = clock
        self.full_passes = 0
        self._last_input = clock()
        self._saved: tuple[int, int, int] | None = None

    def start(self) -> None:
        if self._saved is not None:
            return
        gc.collect()
        gc.freeze()
        self._saved = gc.get_threshold()
        young, middle, _ = self._saved
        gc.set_threshold(young, middle, _OFF)

    def stop(self) -> None:
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            gc.unfreeze()  # back to the collector's care (tests run many apps in one process)
            self._saved = None

    def note_input(self) -> None:
        self._last_input = self.clock()

    def tick(self) -> bool:
        """Run a full pass if it is time; returns True if one ran."""
        if self._saved is None:
            return False
        pending = gc.get_count()[2]
        idle = self.clock() - self._last_input >= self.idle_after
        if (idle and pending >= self.min_young) or pending >= self.force_after:
            gc.collect()
            self.full_passes += 1
            return True
        return False
