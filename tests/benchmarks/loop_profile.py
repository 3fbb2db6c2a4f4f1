"""Which loop callbacks cost the most CPU, and what inside them (``bench_stall.py --profile``).

Every callback the event loop runs on its thread (``asyncio.Handle._run``: a task step, a timer,
a ``call_soon``) runs under its own ``cProfile`` profiler; the loop thread's CPU time for the
callback is measured around it. Callbacks over ``threshold`` CPU keep their profile: printed are
the longest ones, each with the functions that took most of it (cumulative), and a summary of
which functions were in the most long callbacks. The profiler slows everything down (~2×), so
the absolute figures are inflated; what matters is where the time goes inside a long callback.
"""

from __future__ import annotations

import asyncio
import collections
import cProfile
import pstats
import threading
import time
from pathlib import Path


def _name(func: tuple[str, int, str]) -> str:
    filename, line, name = func
    return f"{Path(filename).name}:{line}:{name}" if filename != "~" else name


class LoopProfile:
    def __init__(self, threshold: float = 0.010, keep: int = 60) -> None:
        self.threshold = threshold
        self.keep = keep
        self.long: list[tuple[float, str, str, list[tuple[float, float, str]]]] = []  # (cpu, phase, callback, top)
        self.beat = None  # the heartbeat, whose ``phase`` the script sets
        self._thread = 0
        self._original = None
        self.on = False

    def install(self) -> None:
        self._thread = threading.get_ident()
        original = asyncio.events.Handle._run
        self._original = original
        profile = self

        def _run(handle: asyncio.events.Handle) -> None:
            if not profile.on or threading.get_ident() != profile._thread:
                return original(handle)
            prof = cProfile.Profile(time.thread_time)
            cpu = time.thread_time()
            prof.enable()
            try:
                return original(handle)
            finally:
                prof.disable()
                took = time.thread_time() - cpu
                if took > profile.threshold:
                    profile._remember(took, handle, prof)

        asyncio.events.Handle._run = _run  # type: ignore[method-assign]

    def uninstall(self) -> None:
        if self._original is not None:
            asyncio.events.Handle._run = self._original  # type: ignore[method-assign]
            self._original = None

    def _remember(self, took: float, handle: asyncio.events.Handle, prof: cProfile.Profile) -> None:
        stats = pstats.Stats(prof)
        rows = []
        for func, (_cc, _nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            rows.append((ct, tt, _name(func)))
        rows.sort(reverse=True)
        callback = repr(handle)[:160]
        self.long.append((took, getattr(self.beat, "phase", "?"), callback, rows[:40]))
        self.long.sort(key=lambda r: r[0], reverse=True)
        del self.long[self.keep :]

    def report(self, show: int = 8, lines: int = 28) -> None:
        print(f"    {len(self.long)} callbacks over {self.threshold * 1000:.0f} ms of loop CPU (profiled, inflated):")
        interesting = collections.Counter()
        for took, phase, callback, rows in self.long:
            for ct, _tt, name in rows:
                if ct > took * 0.25:
                    interesting[name] += 1
        for took, phase, callback, rows in self.long[:show]:
            print(f"    --- {took * 1000:.1f} ms CPU in {phase}: {callback}")
            for ct, tt, name in rows[:lines]:
                print(f"        {ct * 1000:7.1f} cum {tt * 1000:6.1f} own  {name}")
        print("    functions over a quarter of a long callback, in how many of them:")
        for name, count in interesting.most_common(40):
            print(f"        {count:3d}  {name}")


class Explain:
    """What the UI did inside each long loop callback (``bench_stall.py --explain``), without a profiler.

    Recorded per callback: whole-widget refreshes (``Widget.refresh()`` with no region: every line
    of the widget is rendered again) and layout requests, with who asked (the first frames outside
    Textual); style updates (``App.update_styles``: how many nodes the CSS was re-applied to, for
    which node); and per widget, how many lines the compositor had it render. Callbacks over
    ``threshold`` of loop CPU keep their record; the longest are printed.
    """

    def __init__(self, threshold: float = 0.008, keep: int = 400) -> None:
        self.threshold = threshold
        self.keep = keep
        self.long: list[tuple[float, str, str, list[str], collections.Counter[str]]] = []
        self.beat = None
        self.on = False
        self._events: list[str] = []
        self._lines: collections.Counter[str] = collections.Counter()
        self._cpu: collections.Counter[str] = collections.Counter()
        self._undo: list[tuple[object, str, object]] = []
        self.totals: collections.Counter[str] = collections.Counter()  # refresh requests by asker, whole session

    @staticmethod
    def _who(widget: object) -> str:
        ident = getattr(widget, "id", None)
        return type(widget).__name__ + (f"#{ident}" if ident else "")

    @staticmethod
    def _asker(skip: int = 2) -> str:
        import sys

        frame = sys._getframe(skip)
        frames = []
        while frame is not None and len(frames) < 5:
            name = frame.f_code.co_filename
            if "/textual/" not in name or len(frames) < 2:
                frames.append(f"{Path(name).name}:{frame.f_lineno}:{frame.f_code.co_name}")
            frame = frame.f_back
        return " <- ".join(frames)

    def _patch(self, owner: object, name: str, wrapper_factory) -> None:  # noqa: ANN001
        original = getattr(owner, name)
        self._undo.append((owner, name, original))
        setattr(owner, name, wrapper_factory(original))

    def install(self) -> None:
        from textual.app import App
        from textual.widget import Widget

        self._thread = threading.get_ident()
        explain = self

        def refresh(original):  # noqa: ANN001, ANN202
            def wrapper(widget, *regions, repaint=True, layout=False, recompose=False):  # noqa: ANN001, ANN202
                if explain.on and (not regions or layout or recompose) and getattr(widget, "_is_mounted", False):
                    kind = "layout" if layout else "recompose" if recompose else "whole"
                    event = f"refresh({kind}) {explain._who(widget)} by {explain._asker()}"
                    explain._events.append(event)
                    explain.totals[event] += 1
                return original(widget, *regions, repaint=repaint, layout=layout, recompose=recompose)

            return wrapper

        def render_widget(original):  # noqa: ANN001, ANN202
            def wrapper(cache, widget, crop):  # noqa: ANN001, ANN202
                if not explain.on:
                    return original(cache, widget, crop)
                fresh = sum(1 for y in crop.line_range if y in cache._dirty_lines or y not in cache._cache)
                if widget.region.width != cache._width:
                    fresh = crop.height
                cpu = time.thread_time()
                try:
                    return original(cache, widget, crop)
                finally:
                    who = explain._who(widget)
                    explain._lines[who] += fresh
                    explain._cpu[who] += time.thread_time() - cpu

            return wrapper

        def reflow(original):  # noqa: ANN001, ANN202
            def wrapper(compositor, parent, size):  # noqa: ANN001, ANN202
                old = dict(compositor._full_map) if explain.on else {}
                result = original(compositor, parent, size)
                if explain.on:
                    fields = ("region", "order", "clip", "virtual_size", "container_size", "virtual_region", "dock_gutter")
                    changed = []
                    for widget, geometry in compositor._full_map.items():
                        before = old.get(widget)
                        if before is None:
                            changed.append(f"{explain._who(widget)}(new)")
                        elif before != geometry:
                            what = [f for f, a, b in zip(fields, before, geometry) if a != b]
                            changed.append(f"{explain._who(widget)}({'/'.join(what)})")
                    explain._events.append(f"reflow: {len(changed)} changed: " + ", ".join(changed[:14]))
                return result

            return wrapper

        def render_update(original):  # noqa: ANN001, ANN202
            def wrapper(compositor, full=False, screen_stack=None, simplify=False):  # noqa: ANN001, ANN202
                if explain.on and compositor._dirty_regions:
                    from textual.geometry import Region

                    regions = compositor._dirty_regions
                    box = Region.from_union(list(regions))
                    area = sum(r.area for r in regions)
                    full_screen = compositor.size.region in regions
                    explain._events.append(
                        f"render_update: {len(regions)} dirty regions, {area} cells, bounding {box.width}x{box.height}"
                        + (" FULL SCREEN" if full_screen or full else "")
                    )
                return original(compositor, full, screen_stack, simplify)

            return wrapper

        def update_styles(original):  # noqa: ANN001, ANN202
            def wrapper(app, node, animate=True):  # noqa: ANN001, ANN202
                if explain.on:
                    count = sum(1 for _ in node.walk_children(with_self=True)) if not isinstance(node, App) else -1
                    event = f"update_styles({explain._who(node)}: {count} nodes) by {explain._asker()}"
                    explain._events.append(event)
                    explain.totals[event] += 1
                return original(app, node, animate)

            return wrapper

        self._patch(Widget, "refresh", refresh)
        from textual._compositor import Compositor
        from textual._styles_cache import StylesCache

        self._patch(StylesCache, "render_widget", render_widget)
        self._patch(Compositor, "reflow", reflow)
        self._patch(Compositor, "render_update", render_update)
        self._patch(App, "update_styles", update_styles)

        original_run = asyncio.events.Handle._run
        self._undo.append((asyncio.events.Handle, "_run", original_run))

        def _run(handle: asyncio.events.Handle) -> None:
            if not explain.on or threading.get_ident() != explain._thread:
                return original_run(handle)
            explain._events = []
            explain._lines = collections.Counter()
            explain._cpu = collections.Counter()
            cpu = time.thread_time()
            try:
                return original_run(handle)
            finally:
                took = time.thread_time() - cpu
                if took > explain.threshold:
                    phase = f'{getattr(explain.beat, "phase", "?")} {getattr(explain.beat, "step", "")}'
                    explain.long.append((took, phase, repr(handle)[:120], explain._events, explain._lines, explain._cpu))
                    explain.long.sort(key=lambda r: r[0], reverse=True)
                    del explain.long[explain.keep :]

        asyncio.events.Handle._run = _run  # type: ignore[method-assign]

    def uninstall(self) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)
        self._undo.clear()

    def report(self, show: int = 15) -> None:
        print(f"    {len(self.long)} callbacks over {self.threshold * 1000:.0f} ms of loop CPU:")
        for took, phase, callback, events, lines, cpu in self.long[:show]:
            print(f"    --- {took * 1000:.1f} ms CPU in {phase}: {callback}")
            print("        widgets rendered (ms CPU, lines drawn afresh): "
                  + ", ".join(f"{k} {v * 1000:.1f}/{lines[k]}" for k, v in cpu.most_common(14)))
            for event in events[:25]:
                print(f"        {event}")
        print("    long callbacks grouped by what they did (count, longest ms CPU, widgets drawn afresh):")
        groups: dict[str, list[float]] = {}
        for took, phase, callback, events, lines, cpu in self.long:
            kinds = sorted({e.split(" by ")[0].split(":")[0] if e.startswith(("render_update", "reflow")) else e.split(" by ")[0] for e in events})
            drawn = sorted(k for k, v in lines.items() if v)
            key = f"{phase}: " + "; ".join(kinds) + " | drawn: " + ", ".join(drawn)
            groups.setdefault(key, []).append(took)
        for key, tooks in sorted(groups.items(), key=lambda kv: max(kv[1]), reverse=True)[:25]:
            print(f"      {len(tooks):3d}× {max(tooks) * 1000:5.1f}  {key}")
        print("    refresh requests (whole widget / layout) and style updates over the session:")
        for event, count in self.totals.most_common(30):
            print(f"        {count:4d}× {event}")
