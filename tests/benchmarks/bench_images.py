"""Benchmark: the longest event-loop stall while 4K pictures are scrolled through and annotated.

Superseded by ``bench_stall.py`` (issue 16): this script sends keys with ``Pilot.press`` and waits
with ``Pilot.pause``, which wait until the *process* is idle — never true while the heartbeat runs
— so its pace (and what its windows catch) depends on the machine. ``bench_stall.py`` imports the
heartbeat, the pictures and the simulator process from here and drives the app on a fixed timeline.

The whole app runs headless (``App.run_test``, 160×48) with the simulators in a child process on a
loopback port (as a remote service: their Pillow work must not count as the app's), and the
Sixel renderer by default (its output goes to Textual's headless driver, so the quantise/encode
work is real). A heartbeat task on the app's event loop wakes every millisecond and records how
late it woke; the longest lateness is the longest time input would have waited.

The same script runs three times in one process, each over a fresh app:

* ``idle``     — the app started on the 4K folder, nobody touching it (the floor);
* ``tiny``     — the script over 8 tiny (160×90) pictures: the baseline for the UI work itself;
* ``4k``       — the script over 8 pictures of 3840×2160: four noisy PNGs, three JPEGs (one of
  them ~30 MB at quality 100 with noise) and an animated WebP (first frame shown).

The script: fast scrolling through the Files tree (down ×8 and back, 30 ms apart, while the
pictures decode), then for each picture: highlight it, run character recognition (``r``), walk
through its detections (the highlighted box changes), zoom into a box (``i``, a crop of the
original file at full detail) and back. The goal is a longest stall under 16 ms (one frame at
60 Hz). The longest stall is also printed per phase: ``scroll`` (pictures previewed while the
highlight moves), ``annotate`` (boxes redrawn, zoom in and out) — the picture pipeline — and
``lookup`` (the recognition request: upload preparation, history, HTTP client set-up). Not a
pytest test: run it by hand.

    .venv/bin/python tests/benchmarks/bench_images.py [--renderer sixel|kitty|halfcell] [--size 160x48] [--where]

It also prints the longest garbage-collector pause on the loop, and with ``--where`` the places
the loop thread was sampled at during each of the longest stalls.

What has been found and fixed with it, in order (details in the commit log): picture work in a
separate process (decoders and the Sixel quantiser held the GIL); full GC passes deferred to idle
moments (animetui.ui.collector); upload preparation in a niced child (animetui.pictures.offload); no
whole-screen repaint on focus moves (MainScreen), no :focus-within restyle and an edges-only
repaint for the pane border (Pane._show_focus), a one-widget footer (KeyFooter), Sixel pictures
swapped without recomposing, one-line updates without a layout pass, no tree rebuild and reflow
on a focus move and its rendered lines kept across focus moves (ImageTree.notify_style_update).
Now (2-core VM): 14.4-15.5 ms, the same as the tiny-picture baseline, no beat over 16 ms; what is
left is Textual repainting the widgets whose look changes when the focus moves between panes (the
detection list, both pane borders, the footer) or a lookup starts: paint, not picture work.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import gc
import io
import multiprocessing
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "ui"))

FOUR_K = (3840, 2160)


def write_folder(folder: Path, size: tuple[int, int], *, heavy: bool) -> list[str]:
    """8 pictures with drawn characters; ``heavy`` adds noise so they decode like photos."""
    from PIL import Image

    from animetui.simulator.imagery import scene
    from animetui.ui.samples import column_boxes

    folder.mkdir(parents=True, exist_ok=True)
    width, height = size
    names = []
    noise = Image.effect_noise((width // 4, height // 4), 64).convert("RGB").resize((width, height)) if heavy else None
    for index in range(8):
        picture = Image.open(io.BytesIO(scene(width, height, seed=100 + index, boxes=column_boxes(1 + index % 3))))
        picture = picture.convert("RGB")
        if noise is not None:
            picture = Image.blend(picture, noise, 0.25)
        if index < 4:
            name = f"shot_{index}.png"
            picture.save(folder / name, "PNG", compress_level=1 if heavy else 6)
        elif index < 7:
            name = f"shot_{index}.jpg"
            if heavy and index == 6:  # the ~30 MB JPEG: full-resolution grain at quality 100
                grain = Image.effect_noise((width, height), 90).convert("RGB")
                picture = Image.blend(picture, grain, 0.5)
            picture.save(folder / name, "JPEG", quality=100 if (heavy and index == 6) else 92)
        else:
            name = f"shot_{index}.webp"
            second = picture.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
            picture.save(folder / name, "WEBP", save_all=True, append_images=[second], duration=200, quality=80)
        names.append(name)
    return names


class Heartbeat:
    """Wakes every millisecond on the event loop; remembers how late each wake-up was.

    With ``sample=True`` a watchdog thread records where the loop thread was when a beat is more
    than 8 ms late (``--where`` prints the most frequent places: what to fix next).
    """

    def __init__(self, period: float = 0.001, *, sample: bool = False) -> None:
        self.period = period
        self.lates: list[float] = []
        self.busy: list[float] = []
        self.phase = "idle"
        self.by_phase: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None
        self._last = time.perf_counter()
        self._sample = sample
        self._stop = threading.Event()
        self.samples: collections.Counter[str] = collections.Counter()
        self._recent: collections.deque[tuple[float, str]] = collections.deque(maxlen=2000)
        self.stalls: list[tuple[float, str, collections.Counter[str]]] = []  # (late, phase, where), with --where

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            cpu = time.thread_time()
            self._last = before
            await asyncio.sleep(self.period)
            now = time.perf_counter()
            self.busy.append(time.thread_time() - cpu)  # of that, the loop thread's own CPU time
            late = max(0.0, now - before - self.period)
            self.lates.append(late)
            self.by_phase[self.phase] = max(self.by_phase.get(self.phase, 0.0), late)
            if self._sample and late > 0.016:
                places = collections.Counter(where for at, where in tuple(self._recent) if before <= at <= now)
                self.stalls.append((late, self.phase, places))

    def _watch(self, thread_id: int) -> None:
        while not self._stop.wait(0.004):
            if time.perf_counter() - self._last > 0.008:
                for ident, frame in sys._current_frames().items():
                    if ident == threading.get_ident():
                        continue
                    stack = traceback.extract_stack(frame)[-10:]
                    top = stack[-1] if stack else None
                    if top is None or top.name in ("wait", "_worker", "select", "_wait_for_tstate_lock", "acquire") and ident != thread_id:
                        continue
                    where = " <- ".join(f"{Path(f.filename).name}:{f.lineno}:{f.name}" for f in reversed(stack))
                    where = ("LOOP " if ident == thread_id else "thread ") + where
                    self.samples[where] += 1
                    self._recent.append((time.perf_counter(), where))

    def _gc(self, phase: str, info: dict) -> None:  # noqa: ANN001 - gc.callbacks signature
        if phase == "start":
            self._gc_started = time.perf_counter()
        elif threading.get_ident() == self._loop_thread:
            took = time.perf_counter() - self._gc_started
            generation = info.get("generation", -1)
            self.gc_pauses[generation] = max(self.gc_pauses.get(generation, 0.0), took)

    def start(self) -> None:
        self._loop_thread = threading.get_ident()
        self.gc_pauses: dict[int, float] = {}
        gc.callbacks.append(self._gc)
        self._task = asyncio.get_running_loop().create_task(self._run())
        if self._sample:
            threading.Thread(target=self._watch, args=(threading.get_ident(),), daemon=True).start()

    async def stop(self) -> None:
        if self._gc in gc.callbacks:
            gc.callbacks.remove(self._gc)
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    @property
    def longest(self) -> float:
        return max(self.lates, default=0.0)

    def percentile(self, q: float) -> float:
        return quantile(self.lates, q)

    def print_stalls(self, most: int) -> None:
        """With ``--where``: the ``most`` longest stalls and where the threads were meanwhile."""
        for late, phase, places in sorted(self.stalls, key=lambda s: s[0], reverse=True)[:most]:
            print(f"    stall {late * 1000:5.1f} ms in {phase}:")
            for place, hits in places.most_common(3):
                print(f"        {hits:3d}× {place}")


def quantile(values: list[float], q: float) -> float:
    """The ``q`` quantile of ``values`` (nearest rank; 0 for none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


COUNTS: dict[str, int] = {}


def _count_work() -> None:
    """Count pictures drawn and Sixel streams emitted, so the figures are known to cover real work."""
    from animetui.ui.pictures import prepared as prepared_image
    from animetui.ui.pictures.view import ImageView

    def counted(name: str, function):  # noqa: ANN001, ANN202
        def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            COUNTS[name] = COUNTS.get(name, 0) + 1
            return function(*args, **kwargs)

        return wrapper

    ImageView._apply = counted("pictures drawn", ImageView._apply)  # type: ignore[method-assign]
    impl = prepared_image._PreparedSixelImpl
    impl.render_lines = counted("sixel frames emitted", impl.render_lines)  # type: ignore[method-assign]


def _simulators(conn) -> None:  # noqa: ANN001 - a multiprocessing Connection
    """Child process: the four simulators on a loopback port (a remote service's work is not ours)."""
    from animetui.simulator import SimulatorHub
    from animetui.simulator.server import serve

    async def run() -> None:
        async with serve(SimulatorHub(seed=7)) as base_url:
            conn.send(base_url)
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # until told to stop

    asyncio.run(run())


@dataclass(frozen=True)
class World:
    scratch: Path
    tiny: list[str]  # the 8 tiny (160×90) pictures in scratch/tiny: the baseline
    big: list[str]  # the 8 × 4K ones in scratch/4k
    base_url: str  # the simulators, in a child process
    written_in: float  # seconds it took to write the pictures


@contextlib.contextmanager
def world(prefix: str, *, kitty: bool) -> Iterator[World]:
    """What the picture benchmarks run in (this one and ``bench_stall.py``): a scratch HOME, config
    and data dir; no terminal questions (10×20 px cells, as a VT340); the work counters; the two
    picture folders; the simulators on a loopback port in a spawned child. All removed afterwards."""
    scratch = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ.update(
        HOME=str(scratch / "home"),
        ANIMETUI_DATA_DIR=str(scratch / "data"),
        ANIMETUI_CONFIG=str(scratch / "config.toml"),
        TEXTUAL_ANIMATIONS="none",
    )
    os.environ.pop("TMUX", None)
    (scratch / "home").mkdir()
    from animetui.ui.pictures import terminal as terminal_images

    terminal_images.ensure_probed()  # no terminal questions: 10×20 px cells, as a VT340
    _count_work()
    if kitty:  # textual-image writes Kitty graphics to the real stdout
        sys.__stdout__ = open(os.devnull, "w")  # noqa: SIM115 - the process ends right after
    try:
        t0 = time.perf_counter()
        tiny = write_folder(scratch / "tiny", (160, 90), heavy=False)
        big = write_folder(scratch / "4k", FOUR_K, heavy=True)
        written_in = time.perf_counter() - t0
        ours, theirs = multiprocessing.Pipe()
        server = multiprocessing.get_context("spawn").Process(target=_simulators, args=(theirs,), daemon=True)
        server.start()
        try:
            yield World(scratch, tiny, big, ours.recv(), written_in)
        finally:
            ours.send("stop")
            server.join(5)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


async def run_session(
    kind: str, folder: Path, names: list[str], renderer: str, size: tuple[int, int], base_url: str, *, where: bool = False,
) -> tuple[Heartbeat, float]:
    from ui_helpers import FAST_RETRY, settle

    from animetui.config import Settings
    from animetui.providers import Providers
    from animetui.ui.app import make_app
    from animetui.ui.pictures.view import ImageView

    from animetui.simulator import DEMO_KEYS

    settings = Settings.load()
    for name in ("animetrace", "whatanime", "animeapi", "ailab"):
        settings.set(f"providers.{name}.base_url", base_url)
        if name in DEMO_KEYS:
            settings.set(f"providers.{name}.api_key", DEMO_KEYS[name])
    providers = Providers(settings, retry=FAST_RETRY)
    app = make_app(settings, demo=True, start_path=folder, providers=providers, renderer=renderer)
    beat = Heartbeat(sample=where)
    async with app.run_test(size=size) as pilot:
        await settle(pilot, timeout=15)
        started = time.perf_counter()
        beat.start()
        if kind == "idle":
            await asyncio.sleep(3.0)
        else:
            beat.phase = "scroll"
            await pilot.press("1")
            for key in ["down"] * len(names) + ["up"] * len(names):
                await pilot.press(key)
                await asyncio.sleep(0.03)
            await settle(pilot, timeout=60)
            for index in range(len(names)):
                beat.phase = "scroll"
                await pilot.press("1", "home", *(["down"] * (index + 1)))
                await settle(pilot, timeout=60)
                beat.phase = "lookup"
                await pilot.press("r")
                await settle(pilot, timeout=60)
                beat.phase = "annotate"
                detections = app.query_one("#detections")
                count = detections.option_count
                COUNTS["detections"] = COUNTS.get("detections", 0) + count
                if count:
                    detections.focus()
                    for _ in range(count - 1):
                        await pilot.press("down")
                        await asyncio.sleep(0.03)
                    await settle(pilot, timeout=60)
                    await pilot.press("i")
                    await settle(pilot, timeout=60)
                    COUNTS["zooms"] = COUNTS.get("zooms", 0) + (app.query_one("#results-image", ImageView).zoomed is not None)
                    await pilot.press("i")
                    await settle(pilot, timeout=60)
            shown = app.query_one("#results-image", ImageView)
            if shown.error:
                print(f"  ({kind}: the last picture failed: {shown.error})")
        elapsed = time.perf_counter() - started
        await beat.stop()
        COUNTS.setdefault("sessions", 0)
    return beat, elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--renderer", default="sixel", choices=["sixel", "kitty", "halfcell", "unicode"])
    parser.add_argument("--size", default="160x48", help="terminal size, COLSxROWS (default 160x48)")
    parser.add_argument("--where", action="store_true", help="sample and print where the loop was when it stalled")
    args = parser.parse_args(argv)
    cols, rows = (int(v) for v in args.size.lower().split("x"))

    with world("animetui-bench-images-", kitty=args.renderer == "kitty") as w:
        sizes = sorted(((p.stat().st_size, p.name) for p in (w.scratch / "4k").iterdir()), reverse=True)
        print(f"pictures written in {w.written_in:.1f} s; 4K folder: "
              + ", ".join(f"{name} {size / 1e6:.1f} MB" for size, name in sizes))
        results = {}
        for kind, folder, names in (
            ("idle", w.scratch / "4k", w.big),
            ("tiny", w.scratch / "tiny", w.tiny),
            ("4k", w.scratch / "4k", w.big),
        ):
            COUNTS.clear()
            beat, elapsed = asyncio.run(run_session(kind, folder, names, args.renderer, (cols, rows), w.base_url, where=args.where))
            results[kind] = (beat, elapsed, dict(COUNTS))
    print(f"longest event-loop stall, renderer {args.renderer}, {cols}×{rows} cells of 10×20 px:")
    for kind, label in (("idle", "idle app (floor)"), ("tiny", "8 tiny pictures (baseline)"), ("4k", "8 × 4K pictures")):
        beat, elapsed, counts = results[kind]
        counts.pop("sessions", None)
        print(
            f"  {label:28s} longest {beat.longest * 1000:6.1f} ms   p99 {beat.percentile(0.99) * 1000:5.1f} ms   "
            f"median {statistics.median(beat.lates or [0]) * 1000:4.1f} ms   ({len(beat.lates)} beats in {elapsed:.1f} s, "
            f"{sum(late > 0.016 for late in beat.lates)} over 16 ms)"
        )
        if counts:
            print("  " + " " * 28 + " " + ", ".join(f"{name}: {value}" for name, value in sorted(counts.items())))
        if kind != "idle":
            phases = ", ".join(f"{name} {beat.by_phase.get(name, 0) * 1000:.1f} ms" for name in ("scroll", "annotate", "lookup"))
            print("  " + " " * 28 + f" longest by phase: {phases}")
        pauses = ", ".join(f"gen {g} {t * 1000:.1f} ms" for g, t in sorted(beat.gc_pauses.items()))
        print("  " + " " * 28 + f" longest garbage-collector pause on the loop: {pauses or 'none'}")
        for place, hits in beat.samples.most_common(6):
            print(f"      {hits:4d}× {place}")
        beat.print_stalls(8)
    worst = results["4k"][0].longest * 1000
    print(f"  goal: 4K longest < 16 ms → {'OK' if worst < 16 else 'OVER'} ({worst:.1f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
