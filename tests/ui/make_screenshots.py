"""Regenerate ``screenshots/*.svg``: every pane and dialog of ``animetui --demo``.

Run from the repository root::

    .venv/bin/python tests/ui/make_screenshots.py            # 160×48 (and the overview at 80×24)
    .venv/bin/python tests/ui/make_screenshots.py --size 120x40 --out /tmp/shots

It drives the real app against the in-process simulators, exactly as the snapshot tests do
(frozen clock, half-cell pictures, a throw-away HOME and data dir), so the pictures are stable
from run to run and show nothing of the machine they were made on.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


def _prepare_environment(scratch: Path) -> None:
    os.environ["HOME"] = str(scratch / "home")
    os.environ["ANIMETUI_DATA_DIR"] = str(scratch / "data")
    os.environ["ANIMETUI_CONFIG"] = str(scratch / "config.toml")
    os.environ["TEXTUAL_ANIMATIONS"] = "none"
    os.environ["TZ"] = "UTC"
    time.tzset()
    for name in ("ANIMETUI_WHATANIME_API_KEY", "ANIMETUI_ANIMEAPI_KEY", "ANIMETUI_AILAB_KEY"):
        os.environ.pop(name, None)
    (scratch / "home").mkdir(parents=True)
    # no terminal questions: pictures as half-cell blocks with 10×20 px cells
    from textual_image._terminal import CellSize, TerminalCapabilities, probe_terminal

    setattr(probe_terminal, "_result", TerminalCapabilities(CellSize(10, 20), sixel=False, tgp=False))
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(REPO))


Scenario = Callable[[object], Awaitable[None]]


def _scenarios() -> dict[str, tuple[Scenario, str]]:
    from ui_helpers import highlight_file, look_up, settle, wait_for

    async def overview(pilot) -> None:
        await settle(pilot)
        await look_up(pilot, "festival", "b")
        pilot.app.query_one("#detections").focus()
        await pilot.press("down")
        await settle(pilot)

    async def files(pilot) -> None:
        await settle(pilot)
        await highlight_file(pilot, "beach")
        await pilot.press("z")
        await settle(pilot)

    async def results(pilot) -> None:
        await overview(pilot)
        await pilot.press("z")
        await settle(pilot)

    async def rankings(pilot) -> None:
        await settle(pilot)
        await pilot.press("3", "z")
        await settle(pilot)

    async def recent(pilot) -> None:
        await settle(pilot)
        await pilot.press("3", "t", "z")
        await settle(pilot)

    async def jobs(pilot) -> None:
        from animetui.models import JobState
        from animetui.ui.panes.jobs import JobsPane

        await settle(pilot)
        await pilot.press("g")
        await pilot.pause()
        await pilot.press(*"two cats on a rooftop at dusk, watercolour")
        await pilot.press("ctrl+s", "y")  # y: the cost question
        await highlight_file(pilot, "portrait")
        await pilot.press("a", "enter", "y")
        pane = pilot.app.query_one(JobsPane)
        await wait_for(pilot, lambda: any(j.state is JobState.RUNNING for j in pane.jobs.values()), what="jobs")
        pilot.app._screenshot_clock.advance(30)
        await wait_for(pilot, lambda: all(j.state.terminal for j in pane.jobs.values()), what="jobs to end")
        await highlight_file(pilot, "rooftop")
        await pilot.press("a", "down", "down", "down", "enter", "y")
        await wait_for(pilot, lambda: len(pane.jobs) == 3, what="a third job")
        pilot.app.clear_notifications()
        await pilot.press("4", "down", "z")
        await settle(pilot)

    async def generate(pilot) -> None:
        await settle(pilot)
        await pilot.press("g")
        await pilot.pause()
        await pilot.press(*"a girl reading under a cherry tree, soft morning light")
        await settle(pilot)

    async def cartoonize(pilot) -> None:
        await settle(pilot)
        await highlight_file(pilot, "portrait")
        await pilot.press("a", "down", "down", "down", "down", "down")
        await settle(pilot)

    async def help_screen(pilot) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)

    return {
        "overview": (overview, "all four panes after both lookups"),
        "files": (files, "Files pane maximised, with the preview"),
        "results": (results, "Results pane maximised: boxes on the picture, the second character highlighted"),
        "rankings": (rankings, "Rankings pane maximised"),
        "recent": (recent, "Recent searches tab"),
        "jobs": (jobs, "Jobs pane maximised with finished and running jobs"),
        "generate": (generate, "new text-to-image job"),
        "cartoonize": (cartoonize, "new photo-to-anime job"),
        "help": (help_screen, "the key list"),
    }


async def _shoot(name: str, scenario: Scenario, size: tuple[int, int], out: Path, scratch: Path) -> Path:
    from ui_helpers import FAST_RETRY, FrozenClock

    from animetui.config import Settings
    from animetui.jobs import JobRunner
    from animetui.providers import Providers
    from animetui.simulator import SimulatorHub
    from animetui.store import JobJournal
    from animetui.ui.app import make_app
    from animetui.ui.samples import write_demo_samples

    run_dir = scratch / f"{name}-{size[0]}x{size[1]}"
    os.environ["ANIMETUI_DATA_DIR"] = str(run_dir / "data")
    pictures = Path.home() / "Pictures"
    if not pictures.exists():
        write_demo_samples(pictures)
    settings = Settings.load(demo=True)
    # providers.ailab.poll_interval is at least 5 s now; the runner below polls fast instead
    clock = FrozenClock()
    hub = SimulatorHub(seed=7, clock=clock)
    providers = Providers(settings, hub=hub, retry=FAST_RETRY)
    runner = JobRunner(
        providers,
        JobJournal(settings.data_dir / "jobs.sqlite3"),
        downloads_dir=Path.home() / "Downloads" / "animetui",
        clock=clock.now,
        poll_interval=0.05,
    )
    app = make_app(
        settings, demo=True, start_path=pictures, providers=providers, runner=runner, clock=clock.now, renderer="halfcell"
    )
    app._screenshot_clock = clock  # type: ignore[attr-defined]
    target = out / (f"{name}.svg" if size == (160, 48) else f"{name}-{size[0]}x{size[1]}.svg")
    async with app.run_test(size=size) as pilot:
        await scenario(pilot)
        app.save_screenshot(filename=target.name, path=str(target.parent))
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO / "screenshots", help="folder for the SVGs (default: screenshots/)")
    parser.add_argument("--size", default="160x48", help="terminal size WxH (default 160x48)")
    parser.add_argument("--only", nargs="*", help="only these screenshots (names: see the list printed)")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    scratch = Path(tempfile.mkdtemp(prefix="animetui-shots-"))
    try:
        _prepare_environment(scratch)
        out = args.out.resolve()
        out.mkdir(parents=True, exist_ok=True)
        scenarios = _scenarios()
        jobs = [(name, (width, height)) for name in scenarios if not args.only or name in args.only]
        if not args.only and (width, height) == (160, 48):
            jobs.append(("overview", (80, 24)))
        for name, size in jobs:
            scenario, what = scenarios[name]
            path = asyncio.run(_shoot(name, scenario, size, out, scratch))
            print(f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path}  ({what}, {size[0]}×{size[1]})")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
