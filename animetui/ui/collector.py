"""Full garbage collections while the user is idle, not in the middle of their key presses.

CPython's collector runs a full (generation 2) pass on its own whenever enough objects have
survived; with a Textual app's heap that pass takes 25-45 ms on a slow core (more on a loaded
one), and it lands in the middle of whatever the user is doing: it was the longest event-loop
stall left in ``tests/benchmarks/bench_stall.py`` once the picture work had moved to its own process.

:class:`IdleCollector` keeps the young collections (generations 0 and 1: about a millisecond,
automatic as before) and takes over the full ones:

* at start-up what exists is frozen (``gc.freeze``): it lives as long as the app and full passes
  never need to look at it again;
* automatic full passes are switched off (a generation-2 threshold no count reaches);
* a timer checks a few times a second: once there has been no key press or mouse event for
  ``idle_after`` seconds and young collections have moved objects into generation 2 since the
  last full pass, it runs one (``gc.collect()``), then freezes what survived it. A full pass
  therefore only looks at what was made since the previous one (Textual's line caches, result
  rows…: milliseconds), not at the whole heap again — the heap the app builds while it is used
  (~50,000 objects after a few minutes with pictures) made each pass 35-150 ms;
* what was frozen and later became cyclic garbage (a closed screen, removed widgets) is not
  found by those passes, so after ``deep_every`` of them a deep pass (``gc.unfreeze()``, a full
  pass over everything, freeze again) runs — only once input has been quiet for ``deep_after``
  seconds, since it looks at the whole heap;
* a busy session that is never idle still gets a (short) full pass after ``force_after`` young
  collections, at the first pause in its input of ``gap`` seconds (not inside a burst of
  auto-repeat), or after twice that many whatever the input, so memory stays bounded.

``stop()`` puts the thresholds back and unfreezes (tests run many apps in one process).

Start-up comes before all that: :func:`hold` switches the collector off entirely while the app
starts (the CLI calls it before importing Textual), since what start-up makes — modules, classes,
the stylesheet, the first widgets — lives as long as the app, and the collector's passes over it
were 60-100 ms of a loaded start-up (a full pass of ~40 ms between the first frame and the Files
listing, a young pass every few milliseconds before). :func:`release` (once the panes are
mounted) freezes what start-up made and switches the collector back on; :meth:`IdleCollector.start`
(once the services run) makes its first full pass over everything, the frozen part included, as it
did before.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

#: generation-2 threshold while we schedule the full passes ourselves (``gc.get_count()[2]``
#: counts young collections since the last full pass; it never gets near this)
_OFF = 1 << 30

_held = False  # hold() switched the collector off and release() has not switched it back on


def hold() -> None:
    """No garbage collection at all until :func:`release` (start-up); does nothing if the collector
    is already off (someone else's choice, kept)."""
    global _held
    if not _held and gc.isenabled():
        gc.disable()
        _held = True


def release() -> None:
    """End :func:`hold`: freeze what was made meanwhile (everything sits in the youngest generation,
    which the next young pass would otherwise walk whole) and switch the collector back on."""
    global _held
    if _held:
        _held = False
        gc.freeze()
        gc.enable()


def held() -> bool:
    return _held


class IdleCollector:
    def __init__(
        self,
        *,
        idle_after: float = 3.0,
        min_young: int = 10,
        force_after: int = 400,
        gap: float = 0.25,
        deep_every: int = 20,
        deep_after: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.idle_after = idle_after
        self.min_young = min_young  # CPython's own default: a full pass after 10 gen-1 passes
        self.force_after = force_after
        self.gap = gap
        self.deep_every = deep_every
        self.deep_after = deep_after
        self.clock = clock
        self.full_passes = 0
        self.deep_passes = 0
        self._since_deep = 0
        self._last_input = clock()
        self._saved: tuple[int, int, int] | None = None

    def start(self) -> None:
        if self._saved is not None:
            return
        release()
        gc.unfreeze()  # the first full pass looks at everything, start-up's objects included
        gc.collect()
        gc.freeze()
        self._saved = gc.get_threshold()
        young, middle, _ = self._saved
        gc.set_threshold(young, middle, _OFF)

    def stop(self) -> None:
        release()  # an app that stops before its start-up finished
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
        quiet = self.clock() - self._last_input
        if self._since_deep >= self.deep_every and quiet >= self.deep_after:
            gc.unfreeze()  # everything, back in generation 2: cyclic garbage among it is found
            gc.collect()
            gc.freeze()
            self.deep_passes += 1
            self._since_deep = 0
            return True
        due = (quiet >= self.idle_after and pending >= self.min_young)
        due = due or (pending >= self.force_after and quiet >= self.gap) or pending >= 2 * self.force_after
        if due:
            gc.collect()  # only what is not frozen: what was made since the previous pass
            gc.freeze()
            self.full_passes += 1
            self._since_deep += 1
            return True
        return False
