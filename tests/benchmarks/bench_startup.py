"""Benchmark: time from launch to the first frame of ``animetui --demo``, beside a bare Textual app.

Both programs run in a pseudo-terminal (120×40) exactly as a user would start them; the clock
starts just before the process is spawned and stops when the first frame's text appears in the
terminal output ("Files", the Files pane's title, for animetui; "bare-ready" for the bare app).
The harness answers the terminal's Primary Device Attributes query the way xterm does, so
textual-image's start-up probe gets its answer at once, as in a real terminal (a PTY with no
terminal behind it would make the probe wait for its 2 s timeout).

Bytecode caching is on for both (``PYTHONDONTWRITEBYTECODE`` is dropped; the warm-up run writes
the ``.pyc`` files an installed wheel would have).

The bare app is ``App`` composing one ``Static``: the least any Textual app costs here. Runs are
interleaved (bare, animetui, bare, …) and the medians compared; the goal is animetui ≤ 1.3× the
bare app. It also prints when the Files pane's listing is on screen (the demo folder's first file
name), which follows the first frame; issue 11's goal for it is ≤ 1.5× the bare app's first frame.
Not a timed test: run it by hand.

    .venv/bin/python tests/benchmarks/bench_startup.py [--runs 9]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import shutil
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COLS, ROWS = 120, 40
ANSI = re.compile(r"\x1b\[[0-9;?<>=$]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[P_^][^\x1b]*\x1b\\|\x1b[()][A-Za-z0-9]|\x1b[=>78]")
DA1_QUERY = b"\x1b[c"
DA1_REPLY = b"\x1b[?62;22c"  # a VT220-class terminal without Sixel: textual-image picks half-cells

BARE_APP = """
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("bare-ready")

Bare().run()
"""


def _animetui_command() -> list[str]:
    script = Path(sys.executable).with_name("animetui")
    if script.exists():
        return [str(script), "--demo"]
    return [sys.executable, "-m", "animetui", "--demo"]


def time_to_first_frame(argv: list[str], marker: str, env: dict[str, str], timeout: float = 20.0, then: str | None = None) -> float:
    """Seconds from spawn to ``marker`` appearing on the (pseudo-)screen.

    With ``then``, keeps reading until that text appears too and returns that time instead.
    """
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # child
        try:
            os.execvpe(argv[0], argv, env)
        finally:
            os._exit(127)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, COLS * 10, ROWS * 20))
    raw = b""
    answered = 0
    elapsed: float | None = None
    try:
        while time.perf_counter() - start < timeout:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            raw += chunk
            while raw.count(DA1_QUERY) > answered:
                os.write(fd, DA1_REPLY)
                answered += 1
            screen = ANSI.sub("", raw.decode("utf-8", "replace"))
            if marker in screen and (then is None or then in screen):
                elapsed = time.perf_counter() - start
                break
    finally:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.perf_counter() + 3
        while time.perf_counter() < deadline:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            try:  # keep draining so the child is not blocked writing
                if select.select([fd], [], [], 0.05)[0]:
                    os.read(fd, 65536)
            except OSError:
                pass
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    if elapsed is None:
        tail = ANSI.sub("", raw.decode("utf-8", "replace"))[-400:]
        raise RuntimeError(f"{argv[0]}: no first frame with {marker!r} within {timeout:.0f} s; output ended: {tail!r}")
    return elapsed


def _load_average() -> str:
    """The box's 1/5/15-minute load (wall-clock figures move with it), "?" where there is none."""
    try:
        with open("/proc/loadavg") as load:
            return " ".join(load.read().split()[:3])
    except OSError:
        return "?"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9, help="runs of each program (default 9)")
    args = parser.parse_args(argv)

    load_before = _load_average()
    scratch = Path(tempfile.mkdtemp(prefix="animetui-bench-"))
    env = dict(os.environ)
    # an installed wheel has its bytecode compiled; without it every run would recompile
    # animetui's modules while Textual's come from site-packages' .pyc files: not a fair race
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        TERM="xterm-256color",
        COLORTERM="truecolor",
        HOME=str(scratch / "home"),
        ANIMETUI_DATA_DIR=str(scratch / "data"),
        ANIMETUI_CONFIG=str(scratch / "config.toml"),
    )
    (scratch / "home").mkdir()
    bare = [sys.executable, "-c", BARE_APP]
    animetui = _animetui_command()
    try:
        # warm the file-system cache and the demo pictures once; not measured. The warm-up waits
        # for the listing: the first launch writes the demo pictures (~1.5 s), and a warm-up
        # stopped at the first frame left that to the first measured run (a 2 s outlier per batch)
        time_to_first_frame(bare, "bare-ready", env)
        time_to_first_frame(animetui, "Files", env, then="beach_duo")
        time.sleep(1.0)
        bare_times: list[float] = []
        app_times: list[float] = []
        ready_times: list[float] = []
        for _ in range(args.runs):
            bare_times.append(time_to_first_frame(bare, "bare-ready", env))
            app_times.append(time_to_first_frame(animetui, "Files", env))
            ready_times.append(time_to_first_frame(animetui, "Files", env, then="beach_duo"))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    bare_median = statistics.median(bare_times)
    app_median = statistics.median(app_times)
    ratio = app_median / bare_median
    print(f"launch → first frame, median of {args.runs} runs in a {COLS}×{ROWS} PTY:")
    print(f"  bare Textual app   {bare_median * 1000:7.0f} ms   (min {min(bare_times) * 1000:.0f}, max {max(bare_times) * 1000:.0f})")
    print(f"  animetui --demo    {app_median * 1000:7.0f} ms   (min {min(app_times) * 1000:.0f}, max {max(app_times) * 1000:.0f})")
    print(f"  ratio              {ratio:7.2f}×   (goal ≤ 1.30×) {'OK' if ratio <= 1.3 else 'OVER'}")
    ready = statistics.median(ready_times)
    listed = ready / bare_median
    print(f"  Files listed       {ready * 1000:7.0f} ms   (min {min(ready_times) * 1000:.0f}, max {max(ready_times) * 1000:.0f}): "
          f"{listed:.2f}× bare (goal ≤ 1.50×) {'OK' if listed <= 1.5 else 'OVER'}")
    print(f"  load average       {load_before} before, {_load_average()} after")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
