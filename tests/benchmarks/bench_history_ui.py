"""Benchmark: the history screen (``h``) over 10,000 lookups, driven in the app with Textual's pilot.

Prints (medians over several runs):

* open — from pressing ``h`` until the first page is in the table and the first lookup is shown;
* filter — from the filter being applied (the debounce already elapsed: ``apply_filter`` is what
  the debounce timer calls) until the table holds the matching rows, for a few queries;
* page — from moving the cursor near the end of the first page until the next page is in.

Goal: filtering under 100 ms. The app runs headless over the in-process simulators with a fresh
data dir; the history is seeded directly in SQLite first. Not a timed test: run it by hand.

    .venv/bin/python tests/benchmarks/bench_history_ui.py [--rows 10000] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from animetui.history import History  # noqa: E402
from animetui.models import SceneMatch, SceneResult  # noqa: E402

TITLES = ["Frieren", "Bocchi the Rock!", "Spy x Family", "Chainsaw Man", "Oshi no Ko", "Mushoku Tensei",
          "Jujutsu Kaisen", "Kusuriya no Hitorigoto", "Dandadan", "Blue Lock", "Yuru Camp", "Lycoris Recoil"]
QUERIES = ["frieren", "shot_0042", "blue lock", "nothing-matches"]


def seed(path: Path, rows: int) -> None:
    history = History(path)
    history._db.execute("BEGIN")  # noqa: SLF001 - one transaction: seeding speed is not what we measure
    for n in range(rows):
        title = TITLES[n % len(TITLES)]
        history.add(
            kind="scene",
            provider="whatanime",
            sha256=f"{n:064x}",
            params={},
            result=SceneResult(matches=(SceneMatch(title=title, episode=str(n % 24 + 1), start=1.0, end=2.0, similarity=0.95),)),
            source_label=f"shot_{n:05d}.png",
            source_path=f"/gone/shot_{n:05d}.png",
            created_at=1_767_225_600.0 + n,
        )
    history._db.execute("COMMIT")  # noqa: SLF001
    history.close()


async def wait_until(pilot, predicate, timeout: float = 10.0) -> None:
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise TimeoutError("the history screen did not answer")
        await asyncio.sleep(0)


async def measure(rows: int) -> dict[str, list[float]]:
    from animetui.config import Settings
    from animetui.ui.app import make_app
    from animetui.ui.screens.history import HistoryScreen

    times: dict[str, list[float]] = {"open": [], "page": [], **{q: [] for q in QUERIES}}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ANIMETUI_DATA_DIR"] = tmp
        settings = Settings.load(Path(tmp) / "config.toml", demo=True)
        seed(settings.data_dir / "history.sqlite3", rows)
        from animetui.providers import Providers
        from animetui.simulator import SimulatorHub

        providers = Providers(settings, hub=SimulatorHub(seed=7))  # instant simulators, as in the UI tests
        app = make_app(settings, demo=True, start_path=Path(tmp), providers=providers, renderer="halfcell")
        async with app.run_test(size=(160, 48)) as pilot:
            await wait_until(pilot, lambda: app._services_ready.is_set(), timeout=30)  # noqa: SLF001
            for _ in range(ARGS.runs):
                start = time.perf_counter()
                await pilot.press("h")
                await wait_until(pilot, lambda: isinstance(app.screen, HistoryScreen) and app.screen.table.row_count > 0 and app.screen.shown_id is not None)
                times["open"].append(time.perf_counter() - start)
                screen = app.screen
                start = time.perf_counter()
                screen.table.move_cursor(row=screen.table.row_count - 1)
                await wait_until(pilot, lambda: screen.table.row_count > 100)
                times["page"].append(time.perf_counter() - start)
                for query in QUERIES:
                    start = time.perf_counter()
                    screen.apply_filter(query)
                    await wait_until(pilot, lambda: not any(w.is_running for w in screen.workers if w.group == "history-load") and screen.query_text == query and (screen.table.row_count > 0 or screen.exhausted))
                    await pilot.pause()
                    times[query].append(time.perf_counter() - start)
                    screen.apply_filter("")
                    await wait_until(pilot, lambda: screen.query_text == "" and screen.table.row_count > 0)
                    await pilot.pause()
                await pilot.press("escape")
                await wait_until(pilot, lambda: not isinstance(app.screen, HistoryScreen))
            report(times)
            # leave at once: the numbers are printed, and the headless app's shutdown is not what we measure
            sys.stdout.flush()
            os._exit(0)
    return times


def main() -> None:
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    ARGS = parser.parse_args()
    asyncio.run(measure(ARGS.rows))


def report(times: dict[str, list[float]]) -> None:
    print(f"history screen over {ARGS.rows:,} lookups (median of {ARGS.runs} runs)")
    for name, runs in times.items():
        label = "open (h → first page shown)" if name == "open" else "next page" if name == "page" else f"filter {name!r}"
        ms = statistics.median(runs) * 1000
        flag = "" if name in ("open", "page") else ("  ok (< 100 ms)" if ms < 100 else "  SLOW (goal < 100 ms)")
        print(f"  {label:<34} {ms:7.1f} ms{flag}")


ARGS: argparse.Namespace

if __name__ == "__main__":
    main()
