"""The main screen: header, the pane grid, footer — and the routing between panes and flows.

The first frame is the header, one titled placeholder per pane of the registry
(:mod:`animetui.ui.panes.registry`) and the footer — Textual and nothing else. Right after it
:meth:`MainScreen.mount_panes` replaces the placeholders with the real panes, each module imported
in a thread first: Files first, drawn with its folder listed, then the others (issue 11: the
listing on screen within 1.5× a bare Textual app's first frame). Keys pressed in that first
instant are ignored, not queued.

Panes post the messages of :mod:`animetui.ui.messages`; the handlers here pass them to the flows
(:mod:`animetui.ui.flows`), which own the features that span panes and dialogs. The app's keys
(scope ``app`` of :mod:`animetui.ui.bindings`) are bound on the app, so they work everywhere on
this screen and from the palette; their actions are the ``action_*`` methods here (the app's
:meth:`~animetui.ui.app.AnimeTUI.run_action` sends them this way).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from textual import on
from textual.app import ComposeResult
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget

from animetui.ui.messages import (
    CreditsChanged,
    JobChanged,
    JobRetryRequested,
    LookupFinished,
    LookupRequested,
    ServicesReady,
    SourceChanged,
)
from animetui.ui.panes.base import Pane, PanePlaceholder
from animetui.ui.panes.grid import PaneGrid
from animetui.ui.panes.registry import NAMES, PANES, PaneContext
from animetui.ui.widgets.key_footer import KeyFooter
from animetui.ui.widgets.status_header import StatusHeader

if TYPE_CHECKING:
    import asyncio

    from textual.geometry import Size

    from animetui.models import ImageSource, Job
    from animetui.ui.app import AnimeTUI
    from animetui.ui.panes.files import FilesPane
    from animetui.ui.panes.jobs import JobsPane
    from animetui.ui.panes.rankings import RankingsPane
    from animetui.ui.panes.results import ResultsPane


def start_folder(start_path: Path | None, *, demo: bool, data_dir: Path) -> tuple[Path, Path | None]:
    """(the folder Files opens, the demo samples' folder or None): the path given, else the
    samples in demo mode (created), else the working directory."""
    if start_path is not None:
        path = start_path.expanduser()
        return (path if path.is_dir() else path.parent), None
    if demo:
        from animetui import locations

        samples = locations.samples_dir(data_dir)
        samples.mkdir(parents=True, exist_ok=True)
        return samples, samples
    return Path.cwd(), None


class Flows:
    """The main screen's flows, one object per feature (their modules load with the first use,
    after the first frame: ~5 ms of imports it did not need)."""

    def __init__(self, main: "MainScreen") -> None:
        from animetui.ui.flows.accounts import AccountsFlow
        from animetui.ui.flows.batch import BatchFlow
        from animetui.ui.flows.costs import CostQuestions
        from animetui.ui.flows.history import HistoryFlow
        from animetui.ui.flows.jobs import JobFlow
        from animetui.ui.flows.lookups import LookupFlow

        self.lookups = LookupFlow(main)
        self.jobs = JobFlow(main)
        self.costs = CostQuestions(main)
        self.batch = BatchFlow(main)
        self.accounts = AccountsFlow(main)
        self.history = HistoryFlow(main)


class MainScreen(Screen[None]):
    """The app's default screen.

    ``Screen.focused`` is a repainting reactive, so moving the focus (``1``–``4``, Tab, a pane
    click) repainted all 160×48 cells: ~40 ms on a slow core, the longest event-loop stall left in
    ``tests/benchmarks/bench_images.py``. What looks different with the focus repaints itself
    anyway (``:focus`` rules restyle their widget; the focused pane's border is an inline style,
    see ``Pane._show_focus``), and the footer's keys follow the bindings signal, so the repaint
    bought nothing: here it does not repaint.
    """

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)

    def __init__(self, *, demo: bool) -> None:
        super().__init__(id="_default")
        self.demo = demo
        self._flows: Flows | None = None
        self.panes_ready = False
        self.current_source: ImageSource | None = None  # the Files pane's latest choice

    @property
    def flows(self) -> Flows:
        if self._flows is None:
            self._flows = Flows(self)
        return self._flows

    @property
    def anime_app(self) -> "AnimeTUI":
        return cast("AnimeTUI", self.app)

    def compose(self) -> ComposeResult:
        yield StatusHeader(demo=self.demo, id="header")
        placeholders = (PanePlaceholder(id=spec.name, key=spec.key, title=spec.title) for spec in PANES)
        yield PaneGrid(*placeholders, id="panes", width=self.app.size.width)
        yield KeyFooter(id="footer")

    # ------------------------------------------------------------------ panes
    async def mount_panes(self, ctx: PaneContext) -> None:
        """Replace the first frame's placeholders with the real panes, one by one in registry order
        (each pane's module is imported in a thread first). Files comes first and is on screen with
        its folder listed before the other panes' modules start loading: they would compete with
        it for the interpreter (tests/benchmarks/bench_startup.py, "Files listed")."""
        import asyncio
        import importlib

        from animetui.ui import collector
        from animetui.ui.theme import read_later_styles

        try:
            if not self._paints:
                await self.painted(1.0)  # the first frame (placeholders) first
            grid = self.grid
            for index, spec in enumerate(PANES):
                await asyncio.to_thread(importlib.import_module, spec.module)
                pane = spec.build(ctx)
                grid.place(pane)
                with self.app.batch_update():  # the pane replaces its placeholder in one frame
                    await grid.query_one(f"#{spec.name}").remove()
                    await grid.mount(pane, before=index if index < len(grid.children) else None)
                    if index == 0:
                        await cast("FilesPane", pane).listed(0.5)  # ...with its folder listed
                if index == 0:
                    self._update_now()  # the listing frame
                    # focused after that frame: the focus restyles the tree and changes the
                    # footer's keys, work the listing need not wait for (the next frame shows it)
                    pane.focus_default()
                    self.check_idle()
                    await self.painted(0.5)
                    read_later_styles(self.app)  # the other panes' and the dialogs' rules
            self.panes_ready = True
            self.files_pane.focus_default()
        finally:
            read_later_styles(self.app)
            collector.release()  # held since the CLI started (see animetui.ui.collector.hold)

    def _update_now(self) -> None:
        """Lay out and draw what is pending now, not at the screen's next update tick.

        Textual draws from a 60 Hz timer; a change made just after a tick waits up to 1/60 s for
        the next one. At start-up that wait sat between the Files listing being ready and it being
        drawn (tests/benchmarks/bench_startup.py: 15-35 ms less from the first frame to the listing).
        """
        self._on_timer_update()

    def _screen_resized(self, size: "Size") -> None:
        """Textual's resize handling, minus the full repaint for a "resize" to the size already laid
        out: the terminal's first size report arrives just after the first frame and repainted all
        of it (~5 ms of the loop and 19 kB to the terminal, on start-up's critical path)."""
        if self._paints and size == self._size:
            return
        super()._screen_resized(size)

    # ------------------------------------------------------------------ paints
    _paints = 0  # screen updates so far
    _paint_waiters: "list[asyncio.Future[None]] | None" = None

    def _compositor_refresh(self) -> None:
        """Textual's screen update, counted; :meth:`painted` waits for the next one."""
        super()._compositor_refresh()
        self._paints += 1
        waiters, self._paint_waiters = self._paint_waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    async def painted(self, timeout: float) -> None:
        """Until the screen's next update is drawn (at most ``timeout`` seconds)."""
        import asyncio

        waiter = asyncio.get_running_loop().create_future()
        self._paint_waiters = [*(self._paint_waiters or ()), waiter]
        try:
            await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            pass

    async def write_samples(self, folder: Path) -> None:
        """Demo mode: the sample pictures, written once, then shown in Files."""
        import asyncio

        from animetui.ui.samples import samples_ready, write_demo_samples

        if samples_ready(folder):
            return
        await asyncio.to_thread(write_demo_samples, folder)
        await self.files_pane.tree.reload()

    @property
    def header(self) -> StatusHeader:
        return self.query_one(StatusHeader)

    @property
    def grid(self) -> PaneGrid:
        return self.query_one(PaneGrid)

    def pane(self, name: str) -> Pane:
        return self.query_one(f"#{name}", Pane)

    @property
    def files_pane(self) -> "FilesPane":
        return cast("FilesPane", self.pane("files"))

    @property
    def results_pane(self) -> "ResultsPane":
        return cast("ResultsPane", self.pane("results"))

    @property
    def rankings_pane(self) -> "RankingsPane":
        return cast("RankingsPane", self.pane("rankings"))

    @property
    def jobs_pane(self) -> "JobsPane":
        return cast("JobsPane", self.pane("jobs"))

    def focused_pane(self) -> Pane | None:
        """The pane holding the focus (None while a dialog is on top)."""
        node: Any = self.focused if self.app.screen is self else None
        while node is not None:
            if isinstance(node, Pane):
                return node
            node = node.parent
        return None

    # ------------------------------------------------------------------ routing
    @on(ServicesReady)
    def _services_up(self) -> None:
        from animetui.ui.last_credits import seed_from_history

        app = self.anime_app
        runtime = app.runtime
        assert runtime is not None
        accounts = self.flows.accounts
        self.header.set_keys(accounts.header_keys())
        self.jobs_pane.set_jobs(runtime.runner.list())
        self.rankings_pane.services_ready()
        app.run_worker(seed_from_history(app, accounts.refresh_credits()), group="credits-seed", exit_on_error=False)
        if app.start_file is not None:
            from animetui.models import ImageSource, Job

            self.files_pane.set_source(ImageSource(path=app.start_file, name=app.start_file.name))
        self.flows.batch.offer_resume()
        accounts.ready()

    def job_reported(self, job: "Job") -> None:
        """The job runner's subscriber (any thread): the job reaches the Jobs pane as a message."""
        self.post_message(JobChanged(job))

    @on(CreditsChanged)
    def _credits(self, event: CreditsChanged) -> None:
        for screen in self.app.screen_stack:  # the header is here; any other screen's too
            for header in screen.query(StatusHeader):
                header.set_credits(event.credits)
        self.flows.accounts.credits_seen(event.credits)

    @on(SourceChanged)
    def _source_changed(self, event: SourceChanged) -> None:
        self.current_source = event.source

    @on(LookupRequested)
    def _lookup_requested(self, event: LookupRequested) -> None:
        self.flows.lookups.request(event.source, event.kinds, refresh=event.refresh)

    @on(LookupFinished)
    def _lookup_finished(self, event: LookupFinished) -> None:
        self.flows.lookups.finished(event.kind, event.providers)

    @on(JobChanged)
    def _job_changed(self, event: JobChanged) -> None:
        self.flows.jobs.changed(event.job)

    @on(JobRetryRequested)
    def _job_retry(self, event: JobRetryRequested) -> None:
        self.flows.jobs.retry(event.job, event.proceed)

    # ------------------------------------------------------------------ the app's keys
    def action_lookup(self, kind: str) -> None:
        if self.panes_ready:
            self.flows.lookups.lookup(kind)

    def action_cycle_scene_engine(self) -> None:
        if self.panes_ready:
            self.flows.lookups.cycle_engine()

    def action_cancel_lookup(self) -> None:
        if self.panes_ready:
            self.flows.lookups.cancel()

    def action_fresh_lookup(self) -> None:
        if self.panes_ready:
            self.flows.lookups.fresh()

    def action_generate(self) -> None:
        self.flows.jobs.generate()  # still starting: it says so, and the dialog opens once ready

    def action_cartoonize(self) -> None:
        if self.panes_ready:
            self.flows.jobs.cartoonize()
        else:  # the chosen image is not known yet: say it is starting, ask again once ready
            self.flows.costs.after_start("Photo-to-anime", self.flows.jobs.cartoonize)

    def action_history(self) -> None:
        self.flows.history.open()

    def action_batch(self) -> None:
        if self.panes_ready:
            self.flows.batch.open()

    async def action_library(self) -> None:
        await self.flows.history.library()

    async def action_screen(self, name: str, action: str) -> None:
        await self.flows.history.screen_action(name, action)

    def action_settings(self) -> None:
        self.flows.accounts.settings()

    def action_sign_in(self) -> None:
        self.flows.accounts.sign_in()

    def action_sign_out(self) -> None:
        self.flows.accounts.sign_out()

    def action_api_keys(self) -> None:
        self.flows.accounts.api_keys()

    def action_open_with(self, mode: str = "open") -> None:
        from animetui.ui.flows.open_with import open_with

        open_with(self.app, mode)

    def action_help(self) -> None:
        from animetui.ui.screens.help import HelpScreen

        if not isinstance(self.app.screen, HelpScreen):
            self.app.push_screen(HelpScreen())

    # ------------------------------------------------------------------ pane keys
    def action_focus_pane(self, name: str) -> None:
        if not self.panes_ready:
            return
        self.grid.show(name)
        if self.maximized is not None and self.maximized.id != name:
            self.minimize()
        self.pane(name).focus_default()

    async def action_pane(self, name: str, action: str) -> None:
        if self.panes_ready:
            self.action_focus_pane(name)
            await self.pane(name).run_action(action)

    def action_toggle_maximize(self) -> None:
        if self.maximized is not None:
            self.minimize()
            return
        pane = self.focused_pane()
        if pane is not None:
            self.maximize(pane, container=False)

    def action_toggle_pane(self, name: str) -> None:
        if not self.panes_ready:
            return
        grid = self.grid
        if self.maximized is not None:
            self.minimize()
        focused_pane = self.focused_pane()
        shown = grid.toggle(name)
        if not shown and focused_pane is not None and focused_pane.id == name:
            for other in NAMES:
                if other not in grid.hidden:
                    self.pane(other).focus_default()
                    break
        if shown:
            self.pane(name).focus_default()
