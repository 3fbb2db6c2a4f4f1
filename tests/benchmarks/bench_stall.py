"""Benchmark: event-loop stalls while a user types through 8 × 4K pictures, at a person's pace.

Same app, pictures and heartbeat as ``bench_images.py`` (headless ``App.run_test``, simulators in a
child process on a loopback port, a 1 ms heartbeat on the app's loop), but the input does not
depend on the machine's speed: no ``Pilot.press``/``pause`` (they wait for the *process* to be
idle, which never happens while the heartbeat runs, so each key waited out a 1 s timeout and a
run took minutes). Keys are sent to the app's driver as a terminal would send them, on a fixed
timeline:

* scrolling: auto-repeat, one key every 30 ms;
* between actions: a person's pause (300 ms by default, ``--gap``);
* where the next key only makes sense once something happened, the script waits on the app's own
  state — every picture drawn (``ImageView.settled``), the lookup finished (no lookup running,
  detections listed) — polled every 5 ms, never on process idleness. Each wait has a slot (how
  long a person would wait, e.g. 2 s for a lookup); the next action starts when the slot ends,
  so the total length is fixed as long as the app keeps up. A wait that overruns its slot is
  counted ("behind") and the timeline moves on from when it came.

The script, per session: scroll down ×8 and up ×8 through the Files tree; then for each of the 8
pictures: highlight it, recognise the characters (``r``), step through the detections (``2``,
then down, 300 ms apart: each step redraws the boxes), zoom into the box (``i``) and back out.

Sessions, in one process, the same timeline each: the 8 tiny (160×90) pictures — the baseline,
the UI work alone — then the 8 × 4K ones, for each renderer (default: Sixel and half-block, what
tmux and SSH users get). Printed per session: longest stall, p99, p99.9, beats over 16 ms, the
longest garbage-collector pause on the loop while the script ran, how many full (gen 2) passes
ran, and with ``--where`` where the loop thread was during the worst stalls. Not a pytest test.

    .venv/bin/python tests/benchmarks/bench_stall.py [--renderer sixel,halfcell] [--where] [--rounds 1] [--burn]

Options for finding causes (each slows the app somewhat): ``--where`` samples the loop thread's
stack during stalls; ``--explain`` lists, per loop callback over 8 ms of the loop thread's CPU,
the widgets it repainted (CPU and lines drawn afresh), the layouts (which widgets' geometry
changed) and whole-widget refreshes with who asked, then groups them by kind; ``--profile``
runs each loop callback under cProfile and prints the costliest (``loop_profile.py``).
``--only tiny`` for one quick session. ``--burn`` runs a CPU-bound process pinned to the last
core for the whole run (the issue's "under a second CPU-bound process" check). Prefer the loop
thread's own CPU time per beat over wall-clock stalls on a shared machine: a wall-clock stall
also counts the time the process waited for a core.

What it found, and what was removed (``--explain``, loop CPU per callback at load 7-12, 160×48):
every long callback was a repaint, and most of each was Textual compositing, not picture work.

* a partial repaint composited the rectangle around *all* dirty regions: a pane border's left and
  right edges plus the footer made it the whole screen, ~60 widgets rendered and every line cut
  (a focus move ~20 ms, the jump box ~20 ms). ``animetui.ui.partial_paint`` renders only the
  widgets a dirty region touches (same bytes, tests/ui/test_partial_paint.py): 13 / 10 ms.
* each key typed into an ``Input`` (the jump box) laid the whole screen out (``virtual_size`` is
  a layout reactive): ~6 ms → ~2 ms per key (``SafeInput``).
* the jump box opening or closing resized the tree, and ``Tree`` drops its rendered lines on any
  resize; ``ImageTree`` keeps them when only the height changed, and works out its own style once
  per repaint rather than once per line.
* what is left over 16 ms: the first paint of the rankings table (~30 ms, start-up: the script
  now starts after it), the jump box appearing in the same frame as a focus move (~25 ms), a
  focus move between panes (~13-22 ms: the two panes' borders, the tree's cursor, the footer),
  a lookup's tables filling (~15-20 ms).
* half-block (``--renderer halfcell``) is worse than Sixel: textual-image turns the picture into
  cells on the loop at every repaint of it, 35-45 ms for a pane-sized picture, and nearly every
  repaint is a new picture (a box highlighted, a lookup's boxes drawn), so keeping the cells did
  not help. Now (``animetui.ui.pictures.halfcell``) the view's worker thread builds the strips,
  applies the app's line filters ahead and works out each style's escape codes (Rich keeps them
  on the style; cold, they were ~40 ms for a big picture at the first write): 4K session, load
  ~1.4, loop CPU longest 77.1 → 28.6 ms, p99.9 26.3 → 13.5 ms, beats over 16 ms 79 → 28; what is
  left over 16 ms is the same UI compositing as under Sixel.

Figures (loop thread's CPU per beat, longest / p99.9 / beats over 16 ms): Sixel tiny 29.7 / 15.3
/ 36 and 4K 31.3 / 11.2 / 28 at load 12.4 / 11.0, vs 44.1 / 17.5 / 60 and 39.8 at load 0.2 before
these fixes; half-block tiny 65.9 / 30.7 / 79 at load 8.5.

Goal (issue 16): for 8 × 4K, longest stall < 16 ms and within 2 ms of the tiny baseline, and no
GC pause on the loop over 10 ms, for each renderer. The load average is printed with the figures:
the machine is shared, and a stall figure from a loaded box says little on its own.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing
import os
import statistics
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_images import COUNTS, Heartbeat, quantile, world  # noqa: E402

REPEAT = 0.030  # keyboard auto-repeat
TYPING = 0.080  # a name typed into the jump box
BOX_STEPS = 3  # detections stepped through per picture (the simulator finds 0-3)


def _burn(cpu: int) -> None:
    """A CPU-bound process on one core (``--burn``): what a second busy program does to the app."""
    os.sched_setaffinity(0, {cpu})
    while True:
        pass


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


class GcWatch:
    """Every collector pass on the loop thread while the script runs: (generation, seconds)."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self.cpu = 0.0  # the longest pass in CPU time of the loop thread (wall time includes waiting for a core)
        self._thread = threading.get_ident()
        self._started = 0.0
        self.on = False
        self.verbose = bool(os.environ.get("BENCH_GC"))

    def __call__(self, phase: str, info: dict) -> None:  # gc.callbacks signature
        if threading.get_ident() != self._thread:
            return
        if phase == "start":
            if self.on and self.verbose and info.get("generation") == 2:
                self._tracked = len(gc.get_objects())
            self._started = time.perf_counter()
            self._cpu = time.thread_time()
        elif self.on:
            took = time.perf_counter() - self._started
            cpu = time.thread_time() - self._cpu
            self.pauses.append((info.get("generation", -1), took))
            self.cpu = max(self.cpu, cpu)
            if self.verbose and info.get("generation") == 2:
                print(f"      gen 2 pass {took * 1000:.1f} ms (CPU {cpu * 1000:.1f} ms) over {self._tracked} tracked, "
                      f"collected {info.get('collected')}")

    def longest(self, generation: int | None = None) -> float:
        return max((t for g, t in self.pauses if generation is None or g == generation), default=0.0)


class Script:
    """Sends keys on a timeline; waits on the app's state within fixed slots."""

    def __init__(self, app, gap: float) -> None:  # noqa: ANN001
        self.app = app
        self.gap = gap
        self.next_at = time.perf_counter()
        self.behind: list[str] = []
        self.beat = None  # the heartbeat: its ``step`` names the keys last sent (for --explain)

    def key(self, key: str) -> None:
        from textual import events

        event = events.Key(key, key if len(key) == 1 else None)
        event.set_sender(self.app)
        self.app._driver.send_message(event)  # noqa: SLF001 - as the terminal driver delivers keys

    async def at_slot(self) -> None:
        delay = self.next_at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        self.next_at = max(self.next_at, time.perf_counter())

    async def keys(self, *keys: str, every: float = REPEAT) -> None:
        """Keys ``every`` seconds apart from the current slot; then a person's pause."""
        await self.at_slot()
        for index, key in enumerate(keys):
            if index:
                self.next_at += every
                await self.at_slot()
            if self.beat is not None:
                self.beat.step = key if len(key) == 1 and index < 2 else f"<{key}>" if len(key) > 1 else "typed"
            self.key(key)
        self.next_at += self.gap

    async def wait(self, what: str, predicate, slot: float, state=None) -> None:  # noqa: ANN001
        """Wait (polling the app's state every 5 ms) for ``predicate``; the next action comes
        ``slot`` seconds after the last key at the earliest."""
        start = self.next_at - self.gap
        deadline = start + slot
        hard = time.perf_counter() + 60
        while not predicate():
            if time.perf_counter() > hard:
                raise AssertionError(f"the app never got to: {what}" + (f" ({state()})" if state else ""))
            await asyncio.sleep(0.005)
        now = time.perf_counter()
        if now > deadline:
            self.behind.append(f"{what} +{(now - deadline) * 1000:.0f} ms")
            self.next_at = now + self.gap
        else:
            self.next_at = max(self.next_at, deadline)


def _drawn(app) -> bool:  # noqa: ANN001
    from animetui.ui.pictures.view import ImageView

    return all(view.settled for screen in app.screen_stack for view in screen.query(ImageView))


def _highlighted(app) -> str | None:  # noqa: ANN001
    node = app.query_one("#tree").cursor_node
    data = getattr(node, "data", None)
    return getattr(getattr(data, "path", None), "name", None)


def _no_work(app) -> bool:  # noqa: ANN001
    from textual.worker import WorkerState

    return not any(
        w.group in ("lookup", "image-view") and w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers
    )


async def run_session(
    folder: Path, names: list[str], renderer: str, size: tuple[int, int], base_url: str, *, gap: float, where: bool,
    profile: str = "",
) -> dict:
    from animetui.config import Settings
    from animetui.net import RetryPolicy
    from animetui.providers import Providers
    from animetui.simulator import DEMO_KEYS
    from animetui.ui.app import make_app
    from animetui.ui.pictures.view import ImageView

    settings = Settings.load()
    for name in ("animetrace", "whatanime", "animeapi", "ailab"):
        settings.set(f"providers.{name}.base_url", base_url)
        if name in DEMO_KEYS:
            settings.set(f"providers.{name}.api_key", DEMO_KEYS[name])
    retry = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, max_retry_after=2.0)
    app = make_app(settings, demo=True, start_path=folder, providers=Providers(settings, retry=retry), renderer=renderer)
    beat = Heartbeat(sample=where)
    profiler = None
    if profile == "profile":
        from loop_profile import LoopProfile

        profiler = LoopProfile()
    elif profile == "explain":
        from loop_profile import Explain

        profiler = Explain()
    watch = GcWatch()
    async with app.run_test(size=size):
        loop_start = time.perf_counter()
        while not (app._services_ready.is_set() and app.panes_ready and _drawn(app)):  # noqa: SLF001
            if time.perf_counter() - loop_start > 60:
                raise AssertionError("the app did not start")
            await asyncio.sleep(0.01)
        rankings = app.query_one("#rankings-table")
        while not rankings.row_count:  # start-up's rankings drawn before the script, not in the middle of it
            if time.perf_counter() - loop_start > 60:
                raise AssertionError("the rankings never loaded")
            await asyncio.sleep(0.01)
        await asyncio.sleep(1.0)  # start-up's last work (the idle collector starts with the services)
        results = app.query_one("#results")
        detections = app.query_one("#detections")
        script = Script(app, gap)
        script.beat = beat
        gc.callbacks.append(watch)
        watch.on = True
        if os.environ.get("BENCH_GARBAGE"):
            gc.set_debug(gc.DEBUG_SAVEALL)
        started = time.perf_counter()
        beat.start()
        if profiler is not None:
            profiler.install()
            profiler.on = True
            profiler.beat = beat
        try:
            beat.phase = "scroll"
            await script.keys("1")
            await script.keys(*(["down"] * len(names) + ["up"] * len(names)))
            await script.wait("scrolled pictures drawn", lambda: _drawn(app) and _no_work(app), slot=1.5)
            for name in names:
                beat.phase = "scroll"
                await script.keys("1", "slash", *name, "enter", every=TYPING)
                await script.wait("picture drawn", lambda: _drawn(app) and _no_work(app) and _highlighted(app) == name, slot=1.0)
                beat.phase = "lookup"
                await script.keys("r")
                await script.wait(
                    "lookup finished",
                    lambda: results.source is not None and results.source.name == name and not results.running
                    and _no_work(app) and _drawn(app),
                    slot=2.0,
                )
                beat.phase = "annotate"
                COUNTS["detections"] = COUNTS.get("detections", 0) + detections.option_count
                await script.keys("2")
                for _ in range(BOX_STEPS):  # the same keys whatever was found: one timeline for every run
                    await script.keys("down")
                    await script.wait("box drawn", lambda: _drawn(app), slot=0.3)
                image = app.query_one("#results-image", ImageView)
                boxes = detections.option_count > 0
                await script.keys("i")
                await script.wait("zoomed", lambda: (image.zoomed is not None or not boxes) and _drawn(app) and _no_work(app), slot=1.0)
                COUNTS["zooms"] = COUNTS.get("zooms", 0) + (image.zoomed is not None)
                await script.keys("i")
                await script.wait("zoomed out", lambda: image.zoomed is None and _drawn(app) and _no_work(app), slot=1.0)
            await script.at_slot()
        finally:
            elapsed = time.perf_counter() - started
            watch.on = False
            if profiler is not None:
                profiler.on = False
                profiler.uninstall()
            if watch in gc.callbacks:
                gc.callbacks.remove(watch)
            await beat.stop()
        error = app.query_one("#results-image", ImageView).error
        if os.environ.get("BENCH_GARBAGE"):
            import collections

            gc.collect()
            gc.set_debug(0)
            kinds = collections.Counter(type(o).__module__ + "." + type(o).__qualname__ for o in gc.garbage)
            print(f"    cyclic garbage: {len(gc.garbage)} objects; " + ", ".join(f"{k} {v}" for k, v in kinds.most_common(40)))
            gc.garbage.clear()
        if os.environ.get("BENCH_HEAP"):
            import collections

            objects = gc.get_objects()
            kinds = collections.Counter(type(o).__qualname__ for o in objects)
            print(f"    heap: {len(objects)} tracked, {gc.get_freeze_count()} frozen; " + ", ".join(f"{k} {v}" for k, v in kinds.most_common(25)))
            del objects
    return {"beat": beat, "gc": watch, "elapsed": elapsed, "behind": script.behind, "error": error, "counts": dict(COUNTS),
            "profile": profiler}


def report(label: str, result: dict, load: str) -> None:
    beat: Heartbeat = result["beat"]
    watch: GcWatch = result["gc"]
    lates = sorted(beat.lates) or [0.0]

    def q(p: float) -> float:
        return quantile(lates, p) * 1000

    full = sum(1 for g, _ in watch.pauses if g == 2)
    print(
        f"  {label:22s} longest {lates[-1] * 1000:6.1f} ms  p99 {q(0.99):5.1f}  p99.9 {q(0.999):5.1f}  "
        f"over 16 ms {sum(x > 0.016 for x in lates):3d}  GC longest {watch.longest() * 1000:5.1f} ms (CPU {watch.cpu * 1000:.1f}) "
        f"(gen 2: {full} passes, {watch.longest(2) * 1000:.1f} ms)  "
        f"[{len(beat.lates)} beats, {result['elapsed']:.1f} s, load {load}]"
    )
    busy = beat.busy or [0.0]
    print(
        f"  {'':22s} loop thread's own CPU time per beat: longest {max(busy) * 1000:.1f} ms, "
        f"p99.9 {quantile(busy, 0.999) * 1000:.1f} ms, over 16 ms {sum(x > 0.016 for x in busy)} "
        "(a stall longer than this was waiting for a core or the GIL)"
    )
    phases = ", ".join(f"{name} {beat.by_phase.get(name, 0) * 1000:.1f}" for name in ("scroll", "lookup", "annotate"))
    counts = ", ".join(f"{k} {v}" for k, v in sorted(result["counts"].items()))
    print(f"  {'':22s} by phase (ms): {phases}; {counts}; median {statistics.median(lates) * 1000:.2f} ms")
    if result["behind"]:
        print(f"  {'':22s} app behind the timeline {len(result['behind'])}×: " + ", ".join(result["behind"][:4]))
    if result["error"]:
        print(f"  {'':22s} (the last picture failed: {result['error']})")
    if result.get("profile") is not None:
        result["profile"].report()
    beat.print_stalls(5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--renderer", default="sixel,halfcell", help="comma-separated: sixel, halfcell, kitty, unicode")
    parser.add_argument("--size", default="160x48", help="terminal size, COLSxROWS (default 160x48)")
    parser.add_argument("--gap", type=float, default=0.3, help="seconds between a person's actions (default 0.3)")
    parser.add_argument("--rounds", type=int, default=1, help="tiny+4K pairs per renderer (default 1)")
    parser.add_argument("--only", choices=["tiny", "4k"], help="one session per renderer (quicker, for finding causes)")
    parser.add_argument("--where", action="store_true", help="sample where the loop was during stalls over 16 ms")
    parser.add_argument("--profile", action="store_true",
                        help="profile each loop callback; print the costliest ones (slows the app ~2x: for finding causes)")
    parser.add_argument("--explain", action="store_true",
                        help="per long loop callback: which widgets were repainted whole, who asked, style updates")
    parser.add_argument("--burn", action="store_true",
                        help="run a CPU-bound process pinned to the last core for the whole run (the issue's second check)")
    args = parser.parse_args(argv)
    cols, rows = (int(v) for v in args.size.lower().split("x"))
    renderers = [r.strip() for r in args.renderer.split(",") if r.strip()]

    verdicts = []
    with world("animetui-bench-stall-", kitty="kitty" in renderers) as w:
        print(f"pictures written in {w.written_in:.1f} s; load average {loadavg()}; "
              f"{os.cpu_count()} CPUs; gap {args.gap * 1000:.0f} ms, auto-repeat {REPEAT * 1000:.0f} ms")
        burner = None
        if args.burn:
            core = max(os.sched_getaffinity(0))
            burner = multiprocessing.get_context("spawn").Process(target=_burn, args=(core,), daemon=True)
            burner.start()
            print(f"burning: a CPU-bound process (pid {burner.pid}) pinned to core {core}")
        for renderer in renderers:
            print(f"renderer {renderer}, {cols}×{rows} cells of 10×20 px:")
            for round_ in range(args.rounds):
                pair = {}
                for kind, folder, names in (("tiny", w.scratch / "tiny", w.tiny), ("4k", w.scratch / "4k", w.big)):
                    if args.only and kind != args.only:
                        continue
                    COUNTS.clear()
                    result = asyncio.run(
                        run_session(folder, names, renderer, (cols, rows), w.base_url, gap=args.gap, where=args.where,
                                    profile="profile" if args.profile else "explain" if args.explain else "")
                    )
                    load = loadavg()
                    report("8 tiny (baseline)" if kind == "tiny" else "8 × 4K", result, load)
                    pair[kind] = result
                if len(pair) < 2:
                    continue
                worst = pair["4k"]["beat"].longest * 1000
                base = pair["tiny"]["beat"].longest * 1000
                gc_worst = pair["4k"]["gc"].longest() * 1000
                ok = worst < 16 and worst - base <= 2 and gc_worst <= 10
                verdicts.append(ok)
                print(f"  goal ({renderer}): 4K longest {worst:.1f} ms < 16 and ≤ baseline {base:.1f} + 2; "
                      f"GC on the loop {gc_worst:.1f} ms ≤ 10 → {'OK' if ok else 'NOT MET'}")
        if burner is not None:
            burner.terminate()
            burner.join(5)
    if verdicts:
        print(f"verdict: {'OK' if all(verdicts) else 'NOT MET'} ({sum(verdicts)}/{len(verdicts)} pairs); load average {loadavg()}"
              + ("; with a CPU burner on the last core" if args.burn else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
