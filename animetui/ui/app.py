"""The Textual app: wires settings, providers, history, the job runner and the four panes.

Kept thin on purpose (Posting's ``app.py`` grew to 1,800 lines because every feature landed in
the app object): features live in their pane (``animetui.ui.panes``) or in the service layers; the
app builds the services, routes the panes' messages and owns the global actions.

Start-up is a feature: the first frame is the header, the four pane frames (titled placeholders)
and the footer — Textual and nothing else. Right after it, the pane modules (DirectoryTree,
DataTable, TabbedContent, …) are imported in a thread and the real panes replace the placeholders;
then providers (httpx), the simulators, the job journal, history (SQLite) and Pillow are imported
and built, off the event loop where they are slow (:meth:`AnimeTUI.services` waits for them).
Keys pressed in that first instant are ignored, not queued.
The terminal's image capabilities are probed before ``App.run()`` by :func:`run_tui` (see
``animetui.ui.pictures.terminal``) — the only terminal I/O that must happen before Textual starts.

* :func:`run_tui` — the CLI's entry point (``animetui [PATH] [--demo] [--renderer R]``);
* :func:`make_app` — the factory tests use (inject providers, a runner, a fixed clock, a renderer).

The services (providers, history, lookups, batches, job runner, downloads, logging) are built and
closed by :class:`animetui.runtime.Runtime`, the same as for the CLI, so ``animetui jobs`` and the
TUI see the same jobs and the TUI writes the log it points users to. Panes reach them with
:func:`animetui.ui.services.services_of`. In demo mode the simulators' state is kept between runs
(``animetui.simulator.persist``) so a job still running at quit resumes at the next start.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget

from animetui.ui.accounts import AccountsMixin
from animetui.ui.bindings import LOOKUP_KINDS, bindings
from animetui.ui import partial_paint, strip_cycles
from animetui.ui.collector import IdleCollector
from animetui.ui.messages import (
    CreditsChanged,
    JobChanged,
    LookupFinished,
    LookupRequested,
    ServicesReady,
    SourceChanged,
)
from animetui.ui.panes.base import Pane, PanePlaceholder
from animetui.ui.widgets.key_footer import KeyFooter
from animetui.ui.widgets.status_header import StatusHeader

if TYPE_CHECKING:
    from textual.command import Provider

    from animetui.config import Settings
    from animetui.jobs import JobRunner
    from animetui.models import GenerateRequest, ImageSource, Job
    from animetui.providers import Providers
    from animetui.runtime import Runtime
    from animetui.ui.panes.files import FilesPane
    from animetui.ui.panes.jobs import JobsPane
    from animetui.ui.panes.rankings import RankingsPane
    from animetui.ui.panes.results import ResultsPane

PANES = ("files", "results", "rankings", "jobs")
PANE_TITLES = {"files": ("1", "Files"), "results": ("2", "Results"), "rankings": ("3", "Rankings"), "jobs": ("4", "Jobs")}
WIDE = 120  # columns from which the panes sit in three columns


def styles_dir() -> Path:
    """``styles/``: inside the package in a wheel (force-include), at the repo root in a checkout."""
    package = Path(__file__).resolve().parent.parent
    packaged = package / "styles"
    if packaged.is_dir():
        return packaged
    return package.parent / "styles"


class PaneGrid(Container):
    """Lays the visible panes out: 2×2 when narrow, three columns when wide (≥ 120 columns).

    Narrow: Files | Results on top (3/5 of the height), Rankings | Jobs below. Wide: Files,
    Results, and Rankings over Jobs. A hidden pane gives its room to its row/column neighbours.
    """

    def __init__(self, *children: Widget, id: str | None = None, width: int = 0) -> None:
        super().__init__(*children, id=id)
        self.hidden: set[str] = set()
        if width:  # styles set before mounting cost no extra layout pass
            self.relayout(width, panes={pane.id: pane for pane in children if pane.id})

    def on_resize(self) -> None:
        self.relayout()

    def toggle(self, name: str) -> bool:
        """Hide or show pane ``name``; returns True if it is now shown. The last pane stays."""
        if name in self.hidden:
            self.hidden.discard(name)
        elif len(self.hidden) < len(PANES) - 1:
            self.hidden.add(name)
        self.relayout()
        return name not in self.hidden

    def relayout(self, width: int | None = None, *, force: bool = False, panes: dict[str, Widget] | None = None) -> None:
        width = self.size.width if width is None else width
        if panes is None:
            panes = {child.id: child for child in self.children if child.id in PANES}
        visible = [name for name in PANES if name not in self.hidden]
        primary = [n for n in ("files", "results") if n in visible]
        secondary = [n for n in ("rankings", "jobs") if n in visible]
        spans = {name: (1, 1) for name in visible}  # (rows, columns)
        if width >= WIDE:
            if primary and secondary:
                columns = [{"files": "2fr", "results": "3fr"}[n] for n in primary] + ["2fr"]
                rows = len(secondary)
                for name in primary:
                    spans[name] = (rows, 1)
            else:
                only = primary or secondary
                columns = [{"files": "2fr", "results": "3fr", "rankings": "1fr", "jobs": "1fr"}[n] for n in only]
                rows = 1
            grid_columns = " ".join(columns)
            grid_rows = " ".join(["1fr"] * rows)
            size = (len(columns), rows)
        else:
            lines = [line for line in (primary, secondary) if line]
            count = max(len(line) for line in lines)
            for line in lines:
                if len(line) < count:
                    spans[line[0]] = (1, count)
            grid_columns = "2fr 3fr" if count == 2 else "1fr"
            grid_rows = "3fr 2fr" if len(lines) == 2 else "1fr"
            size = (count, len(lines))
        layout = (size, grid_columns, grid_rows, tuple(sorted(spans.items())))
        if not force and layout == getattr(self, "_layout", None) and all(p.display == (n in visible) for n, p in panes.items()):
            return
        self._layout = layout
        styles = self.styles
        styles.grid_size_columns, styles.grid_size_rows = size
        styles.grid_columns = grid_columns
        styles.grid_rows = grid_rows
        for name, pane in panes.items():
            pane.display = name in visible
            rows_span, columns_span = spans.get(name, (1, 1))
            pane.styles.row_span = rows_span
            pane.styles.column_span = columns_span


class MainScreen(Screen[None]):
    """The app's default screen: Textual's, minus a whole-screen repaint on every focus change.

    ``Screen.focused`` is a repainting reactive, so moving the focus (``1``–``4``, Tab, a pane
    click) repainted all 160×48 cells: ~40 ms on a slow core, the longest event-loop stall left in
    ``tests/benchmarks/bench_images.py``. What looks different with the focus repaints itself
    anyway (``:focus`` rules restyle their widget; the focused pane's border is an inline style,
    see ``Pane._show_focus``), and the footer's keys follow the bindings signal, so the repaint
    bought nothing.
    """

    focused: Reactive[Widget | None] = Reactive(None, repaint=False)


def _anime_commands() -> "type[Provider]":
    from animetui.ui.commands import AnimeCommands  # the palette module loads when the palette opens

    return AnimeCommands


def _import_runtime() -> None:
    """The services' modules (httpx, SQLite, the providers): imported in a thread, off the loop."""
    import animetui.history  # noqa: F401
    import animetui.jobs.runner  # noqa: F401
    import animetui.lookups  # noqa: F401
    import animetui.providers  # noqa: F401
    import animetui.runtime  # noqa: F401
    import animetui.store  # noqa: F401


def _import_panes() -> None:
    """The pane modules and the widgets they use (~70 ms): imported in a thread after the first frame."""
    import animetui.ui.panes.files  # noqa: F401
    import animetui.ui.panes.jobs  # noqa: F401
    import animetui.ui.panes.rankings  # noqa: F401
    import animetui.ui.panes.results  # noqa: F401


class AnimeTUI(AccountsMixin, App[int]):
    """animetui's full-screen app."""

    TITLE = "animetui"
    CSS_PATH = [styles_dir() / "app.tcss"]
    #: ``x`` cancels the lookup from anywhere on the main screen: while both lookups load, Results
    #: cannot take the focus, so its own ``x`` was out of reach. Jobs and the batch screen keep
    #: their own ``x`` (the focused widget's binding wins).
    BINDINGS = [*bindings("app"), Binding("x", "cancel_lookup", "Cancel", show=False, id="animetui.cancel-lookup.app")]
    COMMANDS = App.COMMANDS | {_anime_commands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (WIDE, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (36, "-tall")]
    ALLOW_IN_MAXIMIZED_VIEW = "StatusHeader, KeyFooter"

    def __init__(
        self,
        settings: "Settings",
        *,
        demo: bool,
        start_path: Path | None,
        providers: "Providers | None" = None,
        runner: "JobRunner | None" = None,
        clock: Callable[[], float] | None = None,
        renderer: str = "halfcell",
        probe_note: str | None = None,
    ) -> None:
        super().__init__()
        from animetui.ui.theme import ANIMETUI_THEME

        # set before the first style pass: changing the theme later restyles every widget
        self.register_theme(ANIMETUI_THEME)
        wanted = str(settings.get("general.theme", "animetui") or "animetui")
        self.theme = wanted if wanted in self.available_themes else "animetui"
        self.settings = settings
        self.demo = demo
        self.clock: Callable[[], float] = clock or time.time
        self.renderer = renderer
        self.probe_note = probe_note
        self._given_providers = providers
        self._given_runner = runner
        self._services: Runtime | None = None
        self._services_error: str | None = None
        self._services_ready = asyncio.Event()
        self._unsubscribe: Callable[[], None] | None = None
        self._services_closed = False  # (not `_closed`: Textual's MessagePump owns that name)
        #: the SIGTERM/SIGHUP that is stopping the app (None: not stopped by a signal)
        self.stop_signal: int | None = None
        self._uninstall_signals: Callable[[], None] | None = None
        self.panes_ready = False
        self.samples_dir: Path | None = None
        self.current_source: ImageSource | None = None
        self.start_dir = self._start_dir(start_path)
        self.start_file = start_path if start_path is not None and start_path.is_file() else None
        self.batch_session: Any = None  # animetui.ui.screens.batch.BatchSession, the latest batch
        self.batch_clock: Callable[[], float] = time.monotonic  # rate/ETA of batches (tests inject one)
        self._collector = IdleCollector()
        strip_cycles.install()  # rendered lines freed by their reference count (see the module)
        partial_paint.install()  # a partial repaint draws only the widgets it touches (see the module)
        from animetui.ui.keymap import apply as apply_keymap

        self.keymap_problem = apply_keymap(self, settings)  # the effective keys, before the first frame

    def _start_dir(self, start_path: Path | None) -> Path:
        if start_path is not None:
            path = start_path.expanduser()
            return path if path.is_dir() else path.parent
        if self.demo:
            from animetui import locations

            self.samples_dir = locations.samples_dir(self.settings.data_dir)
            self.samples_dir.mkdir(parents=True, exist_ok=True)
            return self.samples_dir
        return Path.cwd()

    def get_system_commands(self, screen: Screen[Any]) -> Any:
        """Textual's palette commands, minus those ours replace (one "Maximise pane", one "Quit")."""
        from animetui.ui.commands import REPLACED_SYSTEM_COMMANDS

        for command in super().get_system_commands(screen):
            if command.title not in REPLACED_SYSTEM_COMMANDS:
                yield command

    def get_default_screen(self) -> Screen[None]:
        return MainScreen(id="_default")

    # ------------------------------------------------------------------ layout
    def notify(self, message: str, *, title: str = "", severity: Any = "information", timeout: float | None = None, markup: bool = True) -> None:
        """Every notification, whoever raises it, is made safe to show (:func:`animetui.text.safe`).

        A message with ``markup=True`` is the app's own markup: its text is still made safe (escapes
        add no brackets, so the markup is unchanged); a file name or server text goes with ``markup=False``.
        """
        from animetui.text import safe

        super().notify(safe(message, line=False, limit=2000), title=safe(title, limit=200), severity=severity, timeout=timeout, markup=markup)

    def compose(self) -> ComposeResult:
        yield StatusHeader(demo=self.demo, id="header")
        yield PaneGrid(
            *(PanePlaceholder(id=name, key=key, title=title) for name, (key, title) in PANE_TITLES.items()),
            id="panes",
            width=self.size.width,
        )
        yield KeyFooter(id="footer")

    def on_mount(self) -> None:
        if self.keymap_problem:
            self.notify(self.keymap_problem, title="Keys", severity="warning", timeout=10, markup=False)
        from animetui.ui.remember import follow_theme

        follow_theme(self)  # a theme picked in the palette is saved (general.theme)
        if not self.is_headless:  # a real terminal: SIGTERM/SIGHUP quit like Ctrl-C, never kill
            from animetui import stopping

            self._uninstall_signals = stopping.install(asyncio.get_running_loop(), self._stop_signalled)
        if self.probe_note:
            self.notify(self.probe_note, title="Pictures", severity="warning", timeout=8, markup=False)
        self.call_after_refresh(self._start_up)

    # ------------------------------------------------------------------ panes
    async def _mount_panes(self) -> None:
        """Replace the first frame's placeholders with the real panes."""
        from animetui.ui.panes.files import FilesPane
        from animetui.ui.panes.jobs import JobsPane
        from animetui.ui.panes.rankings import RankingsPane
        from animetui.ui.panes.results import ResultsPane

        grid = self.query_one(PaneGrid)
        await grid.remove_children()
        await grid.mount_all(
            [
                FilesPane(self.start_dir, renderer=self.renderer),
                ResultsPane(renderer=self.renderer),
                RankingsPane(
                    period=str(self.settings.get("rankings.period", "weekly")),
                    limit=int(self.settings.get("rankings.limit", 25) or 25),
                    include_adult=bool(self.settings.get("providers.whatanime.include_adult", False)),
                    clock=self.clock,
                ),
                JobsPane(renderer=self.renderer, clock=self.clock),
            ]
        )
        grid.relayout(force=True)
        self.panes_ready = True
        self.files_pane.focus_default()
        if self.demo:  # the Results pane shows it until the first lookup, whatever repaints its status
            results = self.results_pane
            results.idle_hint = (  # type: ignore[attr-defined]
                "Demo mode: simulated services, no keys, no network. Highlight a picture in Files, "
                "then press b (or s / r). ? lists every key."
            )
            results._update_status()

    @property
    def files_pane(self) -> "FilesPane":
        return self.query_one("#files")  # type: ignore[return-value]

    @property
    def results_pane(self) -> "ResultsPane":
        return self.query_one("#results")  # type: ignore[return-value]

    @property
    def rankings_pane(self) -> "RankingsPane":
        return self.query_one("#rankings")  # type: ignore[return-value]

    @property
    def jobs_pane(self) -> "JobsPane":
        return self.query_one("#jobs")  # type: ignore[return-value]

    # ------------------------------------------------------------------ services
    async def services(self) -> "Runtime":
        """The providers/runner/lookups, waiting for start-up if needed."""
        await self._services_ready.wait()
        if self._services is None:
            from animetui.errors import AnimetuiError

            raise AnimetuiError(self._services_error or "the services did not start")
        return self._services

    @property
    def runner(self) -> "JobRunner | None":
        if self._services is None or not self._services_ready.is_set():
            return None  # still starting: the runtime builds it in a thread
        return self._services.runner

    @work(group="startup", exit_on_error=False)
    async def _start_up(self) -> None:
        from animetui.errors import AnimetuiError

        try:
            await asyncio.to_thread(_import_panes)
            await self._mount_panes()
            if self.samples_dir is not None:
                await self._write_samples(self.samples_dir)
            self._services = await self._build_services()
        except AnimetuiError as exc:
            self._services_error = str(exc)
            await self._drop_services()
        except Exception as exc:  # noqa: BLE001 - show it, never a traceback
            self.log.error(f"start-up failed: {exc!r}")
            logging.getLogger("animetui.ui").exception("start-up failed")
            self._services_error = f"start-up failed ({type(exc).__name__}: {exc})"
            await self._drop_services()
        finally:
            self._services_ready.set()
        if self._services is None:
            self.query_one(StatusHeader).set_note("services unavailable")
            self.notify(self._services_error or "start-up failed", title="Cannot start", severity="error", markup=False)
            return
        self.post_message(ServicesReady())
        # Full garbage-collector passes from now on run while the user is idle (animetui.ui.collector).
        self._collector.start()
        self.set_interval(0.5, self._collector.tick, name="idle-collector")

    async def _write_samples(self, folder: Path) -> None:
        from animetui.ui.samples import samples_ready, write_demo_samples

        if samples_ready(folder):
            return
        await asyncio.to_thread(write_demo_samples, folder)
        await self.files_pane.tree.reload()

    async def _build_services(self) -> "Runtime":
        await asyncio.to_thread(_import_runtime)
        from animetui.runtime import Runtime

        runtime = Runtime(self.settings, providers=self._given_providers, runner=self._given_runner, realistic=self.demo,
                          tolerate_damaged_history=True)
        self._services = runtime  # closed at exit even if starting fails half-way
        await runtime.start()
        if runtime.history_error is not None:  # a stand-in refuses lookups with the reason; jobs keep working
            self.notify(f"{runtime.history_error}. Lookups are off until then.", title="History unavailable",
                        severity="error", timeout=30, markup=False)
        from animetui.pictures import offload

        offload.use_process(True)  # upload preparation (Pillow) in a child process: see animetui.pictures.offload
        self._offload_start = asyncio.ensure_future(asyncio.to_thread(offload.start))
        self._unsubscribe = runtime.runner.subscribe(self._job_reported)
        self._unobserve = runtime.lookups.observe(self.lookup_observed)  # header limits, session expiry
        return runtime

    async def _drop_services(self) -> None:
        runtime, self._services = self._services, None
        if runtime is not None:
            await runtime.aclose()

    def _job_reported(self, job: "Job") -> None:
        self.post_message(JobChanged(job))

    @on(ServicesReady)
    def _services_up(self) -> None:
        services = self._services
        assert services is not None
        self.query_one(StatusHeader).set_keys(self.header_keys())
        self.jobs_pane.set_jobs(services.runner.list())
        self.rankings_pane.services_ready()
        from animetui.ui.last_credits import seed_from_history

        self.run_worker(seed_from_history(self, self.refresh_credits()), group="credits-seed", exit_on_error=False)
        if self.start_file is not None:
            from animetui.models import ImageSource

            self.files_pane.set_source(ImageSource(path=self.start_file, name=self.start_file.name))
        self._offer_batch_resume()
        self.accounts_ready()

    @work(exclusive=True, group="credits", exit_on_error=False)
    async def refresh_credits(self, names: tuple[str, ...] | None = None) -> None:
        """Ask ``names`` (default: every provider that reports credits) what is left, for the header."""
        from animetui.errors import AnimetuiError
        from animetui.providers.spec import CREDITS

        services = await self.services()
        header = self.query_one(StatusHeader)
        for name in names if names is not None else services.providers.names_for(CREDITS):
            if not services.providers.spec(name).can(CREDITS):
                continue
            if not header.keys.get(name, False):
                continue
            try:
                credit = await services.providers.get(name).credits()
            except AnimetuiError as exc:
                self.log.warning(f"credits for {name}: {exc}")
                self.credits_failed(name, exc)
                continue
            self.post_message(CreditsChanged(credit))

    @on(CreditsChanged)
    def _credits(self, event: CreditsChanged) -> None:
        # the header lives on the main screen, which need not be the active one (a dialog, History)
        for screen in self.screen_stack:
            for header in screen.query(StatusHeader):
                header.set_credits(event.credits)
        self.credits_seen(event.credits)

    # ------------------------------------------------------------------ routing
    @on(SourceChanged)
    def _source_changed(self, event: SourceChanged) -> None:
        self.current_source = event.source

    @on(LookupRequested)
    def _lookup_requested(self, event: LookupRequested) -> None:
        self._run_lookup(event.source, event.kinds)

    @on(LookupFinished)
    def _lookup_finished(self, event: LookupFinished) -> None:
        if event.kind == "scene":
            self.refresh_credits(event.providers or None)

    @on(JobChanged)
    def _job_changed(self, event: JobChanged) -> None:
        from animetui.jobs import describe

        job = event.job
        runner = self.runner
        deleted = runner is not None and runner.get(job.id) is None
        previous = self.jobs_pane.update_job(job, deleted=deleted)
        if deleted or previous is None or previous.state.terminal or not job.state.terminal:
            return
        cancelled = job.state.value == "cancelled"
        severity = "information" if job.state.value == "succeeded" or cancelled else "error"
        self.notify(describe(job), title="Job cancelled" if cancelled else "Job finished", severity=severity, markup=False)
        if self.settings.get("general.bell", False):
            self.bell()
        from animetui.providers.spec import CARTOONIZE, GENERATE
        from animetui.providers.specs import capable

        self.refresh_credits(tuple(s.name for s in (*capable(GENERATE), *capable(CARTOONIZE))))

    def _run_lookup(self, source: "ImageSource", kinds: tuple[str, ...], *, refresh: bool = False) -> None:
        cost = self.scene_cost(self._scene_engines()) if "scene" in kinds else None  # past today's free credits: ask first
        if cost is not None:
            self.confirm_cost("Paid scene search", cost, lambda: self._start_lookup(source, kinds, refresh=refresh), yes="Search")
            return
        self._start_lookup(source, kinds, refresh=refresh)

    def _start_lookup(self, source: "ImageSource", kinds: tuple[str, ...], *, refresh: bool = False) -> None:
        grid = self.query_one(PaneGrid)
        if "results" in grid.hidden:
            grid.toggle("results")
        self.results_pane.run_lookup(source, kinds, refresh=refresh)

    def run_fresh_lookup(self, source: "ImageSource", kinds: tuple[str, ...]) -> None:
        """Look ``source`` up again, ignoring the history (a request; a new history row)."""
        if self.panes_ready:
            self._run_lookup(source, kinds, refresh=True)

    # ------------------------------------------------------------------ actions
    def action_lookup(self, kind: str) -> None:
        if not self.panes_ready:
            return
        source = self.files_pane.source
        if source is None:
            self.notify("Highlight an image in Files (or type a path/URL with o) first.", title="No image chosen", severity="warning")
            return
        self._run_lookup(source, LOOKUP_KINDS.get(kind, ("scene", "characters")))

    def _scene_engines(self) -> tuple[str, ...]:
        from animetui.errors import AnimetuiError
        from animetui.lookups import resolve_scene_providers

        try:
            return resolve_scene_providers(self.results_pane.engine_choice, data_dir=self.results_pane.data_dir)
        except AnimetuiError:
            return ()

    def action_cycle_scene_engine(self) -> None:
        """``e``: which engine(s) the next scene search asks."""
        if not self.panes_ready:
            return
        label = self.results_pane.cycle_engine()
        self.notify(f"Scene search asks: {label}", title="Scene engine", timeout=3, markup=False)

    def action_cancel_lookup(self) -> None:
        if not self.panes_ready or self.screen is not self.screen_stack[0]:
            return  # a dialog is open: x is not for the lookup there
        self.results_pane.action_cancel_lookup()

    def action_fresh_lookup(self) -> None:
        if not self.panes_ready:
            return
        source = self.files_pane.source
        if source is None:
            self.notify("Highlight an image in Files first.", title="No image chosen", severity="warning")
            return
        pane = self.results_pane
        kinds = tuple(k for k in ("scene", "characters") if (pane.scene if k == "scene" else pane.characters) is not None)
        self.run_fresh_lookup(source, kinds if pane.source == source and kinds else ("scene", "characters"))

    # ------------------------------------------------------------------ history and batch (animetui.ui.screens)
    @work(group="history-open", exit_on_error=False)
    async def action_history(self) -> None:
        from animetui.errors import AnimetuiError
        from animetui.ui.screens.history import HistoryScreen

        if isinstance(self.screen, HistoryScreen):
            return
        try:
            services = await self.services()
        except AnimetuiError as exc:
            self.notify(str(exc), title="No history", severity="error", markup=False)
            return
        await self.push_screen(
            HistoryScreen(services.history, downloads_dir=self.settings.downloads_dir, renderer=self.renderer, clock=self.clock)
        )

    def action_batch(self) -> None:
        from animetui.ui.screens.batch import BatchScreen, BatchStartScreen

        if not self.panes_ready or isinstance(self.screen, BatchScreen):
            return
        marked = self.files_pane.marked_files()
        session = self.batch_session
        if not marked:
            if session is not None:
                self._show_batch()
                return
            self.notify(
                "Mark images in Files first: m marks one, M the whole folder, * the folder and its subfolders.",
                title="Nothing marked",
                severity="warning",
            )
            return
        if session is not None and session.running:
            self.notify("A batch is still running: wait for it or cancel it (x) first.", title="Batch", severity="warning")
            self._show_batch()
            return
        self.push_screen(BatchStartScreen(marked), lambda kinds: self._batch_chosen(marked, kinds))

    def _batch_chosen(self, files: list[Path], kinds: tuple[str, ...] | None) -> None:
        if kinds:
            folders = {str(p.parent) for p in files}
            self.start_batch(files, kinds, root=folders.pop() if len(folders) == 1 else "")
            self.files_pane.action_clear_marks()

    def start_batch(self, files: list[Path] | None, kinds: tuple[str, ...], *, root: str = "", batch_id: int | None = None) -> None:
        """Start (or, with ``batch_id``, resume) a batch and show its screen."""
        self._start_batch(files, kinds, root, batch_id)

    @work(group="batch-start", exit_on_error=False)
    async def _start_batch(self, files: list[Path] | None, kinds: tuple[str, ...], root: str, batch_id: int | None) -> None:
        from animetui.errors import AnimetuiError
        from animetui.ui.screens.batch import BatchSession

        try:
            services = await self.services()
        except AnimetuiError as exc:
            self.notify(str(exc), title="Batch not started", severity="error", markup=False)
            return
        session = BatchSession(
            services.lookups,
            await asyncio.to_thread(lambda: services.batches),
            paths=files,
            kinds=kinds,
            batch_id=batch_id,
            root=root,
            clock=self.batch_clock,
        )
        self.batch_session = session
        self.run_worker(self._run_batch(session), group="batch", exit_on_error=False)
        self._show_batch()

    async def _run_batch(self, session: Any) -> None:
        await session.run()
        if session.state == "done":
            counts = session.counts()
            summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
            self.notify(f"Batch finished: {summary}.", title="Batch", timeout=6, markup=False)
        elif session.state == "failed":
            self.notify(session.error, title="Batch failed", severity="error", markup=False)

    def _show_batch(self) -> None:
        from animetui.ui.screens.batch import BatchScreen

        if self.batch_session is not None and not isinstance(self.screen, BatchScreen):
            self.push_screen(BatchScreen(self.batch_session, downloads_dir=self.settings.downloads_dir, clock=self.clock))

    @work(group="batch-resume", exit_on_error=False)
    async def _offer_batch_resume(self) -> None:
        """After a restart: offer to finish a batch that was interrupted (``BatchJournal.unfinished()``)."""
        from animetui.ui.screens.confirm import ConfirmScreen

        services = await self.services()

        def unfinished() -> tuple[int, int] | None:
            journal = services.batches
            pending = journal.unfinished()
            if not pending:
                return None
            left = sum(1 for item in journal.items(pending[-1]) if item.status == "pending")
            return pending[-1], left

        found = await asyncio.to_thread(unfinished)
        if found is None or self.batch_session is not None:
            return
        batch_id, left = found

        def answered(yes: bool | None) -> None:
            if yes:
                self.start_batch(None, (), batch_id=batch_id)

        self.push_screen(
            ConfirmScreen(
                "Resume the unfinished batch?",
                f"Batch #{batch_id} was interrupted with {left} lookup{'s' if left != 1 else ''} left. "
                "Resume it now? (No keeps it for later: `animetui batch --resume`.)",
                yes="Resume",
                no="Later",
            ),
            answered,
        )

    async def action_library(self) -> None:
        """``I``: the Library screen (your own videos, the indexing job)."""
        from animetui.ui.screens.library import LibraryScreen

        if isinstance(self.screen, LibraryScreen):
            return
        await self.push_screen(LibraryScreen(self.settings.data_dir, config=str(self.settings.path)))

    async def action_screen(self, name: str, action: str) -> None:
        """Palette entry for a screen's key: open that screen if needed, then run the action there."""
        from animetui.ui.screens.batch import BatchScreen
        from animetui.ui.screens.history import HistoryScreen
        from animetui.ui.screens.library import LibraryScreen

        kind = {"history": HistoryScreen, "library": LibraryScreen}.get(name, BatchScreen)
        if not isinstance(self.screen, kind):
            if name == "history":
                await self.action_history().wait()
            elif name == "library":
                await self.action_library()
            else:
                self.action_batch()
            await asyncio.sleep(0)
        if isinstance(self.screen, kind):
            await self.screen.run_action(action)

    def action_focus_pane(self, name: str) -> None:
        if not self.panes_ready:
            return
        grid = self.query_one(PaneGrid)
        if name in grid.hidden:
            grid.toggle(name)
        if self.screen.maximized is not None and self.screen.maximized.id != name:
            self.screen.minimize()
        pane = self.query_one(f"#{name}", Pane)
        pane.focus_default()

    async def action_pane(self, name: str, action: str) -> None:
        if not self.panes_ready:
            return
        self.action_focus_pane(name)
        await self.query_one(f"#{name}", Pane).run_action(action)

    def action_toggle_maximize(self) -> None:
        screen = self.screen
        if screen.maximized is not None:
            screen.minimize()
            return
        pane = self._focused_pane()
        if pane is not None:
            screen.maximize(pane, container=False)

    def action_toggle_pane(self, name: str) -> None:
        if not self.panes_ready:
            return
        grid = self.query_one(PaneGrid)
        if self.screen.maximized is not None:
            self.screen.minimize()
        focused_pane = self._focused_pane()
        shown = grid.toggle(name)
        if not shown and focused_pane is not None and focused_pane.id == name:
            for other in PANES:
                if other not in grid.hidden:
                    self.query_one(f"#{other}", Pane).focus_default()
                    break
        if shown:
            self.query_one(f"#{name}", Pane).focus_default()

    def _focused_pane(self) -> Pane | None:
        node = self.focused
        while node is not None:
            if isinstance(node, Pane):
                return node
            node = node.parent  # type: ignore[assignment]
        return None

    def action_open_with(self, mode: str = "open") -> None:
        from animetui.ui.flows.open_with import open_with

        open_with(self, mode)

    def action_help(self) -> None:
        from animetui.ui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_generate(self) -> None:
        from animetui.ui.screens.generate import GenerateScreen

        if not self.panes_ready or not self.require_key("animeapi", "Text-to-image"):
            return
        settings = self.settings
        runner = self.runner
        balance = getattr(runner, "last_balance_usd", None) if runner is not None else None
        screen = GenerateScreen(
            orientation=str(settings.get("providers.animeapi.orientation", "portrait")),
            allow_nsfw=bool(settings.get("providers.animeapi.allow_nsfw", False)),
            enhance=bool(settings.get("providers.animeapi.enhance", True)),
            balance_usd=balance,
        )
        self.push_screen(screen, self._generate_chosen)

    def _generate_chosen(self, request: "GenerateRequest | None") -> None:
        if request is not None:
            self.confirm_cost("Generate an image?", self.generate_cost(), lambda: self._submit("generate", request), yes="Generate")

    def action_cartoonize(self) -> None:
        from animetui.ui.screens.cartoonize import CartoonizeScreen

        if not self.panes_ready:
            return
        source = self.files_pane.source
        if source is None:
            self.notify("Highlight an image in Files first: it is the photo to convert.", title="No image chosen", severity="warning")
            return
        if source.path is None:
            self.notify(
                "Photo-to-anime needs a local file; save the image and open it from Files.",
                title="Not a local file",
                severity="warning",
            )
            return
        if not self.require_key("ailab", "Photo-to-anime"):
            return
        style = int(self.settings.get("providers.ailab.style", 0) or 0)
        path = source.path
        self.push_screen(CartoonizeScreen(path, style=style), lambda chosen: self._cartoon_chosen(path, chosen))

    def _cartoon_chosen(self, path: Path, style: int | None) -> None:
        if style is not None:
            self.confirm_cost("Convert this photo?", self.cartoonize_cost(), lambda: self._submit("cartoonize", (path, style)), yes="Convert")

    @work(group="submit", exit_on_error=False)
    async def _submit(self, kind: str, payload: Any) -> None:
        from animetui.errors import AnimetuiError

        try:
            services = await self.services()
            if kind == "generate":
                job = await services.runner.submit_generate(payload)
                what = "Text-to-image job queued"
            else:
                path, style = payload
                job = await services.runner.submit_cartoonize(path, style)
                what = "Photo-to-anime job queued"
        except AnimetuiError as exc:
            self.notify(str(exc), title="Job not started", severity="error", markup=False)
            return
        self.notify(f"{what} ({job.id[:8]}); watch it in Jobs (4).", title="Job started", timeout=4)

    async def action_quit(self) -> None:
        from animetui.ui.screens.confirm import ConfirmScreen, quit_message

        runner = self.runner
        running = [job for job in runner.list() if not job.state.terminal] if runner is not None else []
        if not running:
            await self.shutdown_and_exit()
            return

        async def answered(yes: bool | None) -> None:
            if yes:
                await self.shutdown_and_exit()

        self.push_screen(ConfirmScreen("Quit animetui?", quit_message(len(running)), yes="Quit", no="Stay"), answered)

    async def shutdown_and_exit(self) -> None:
        await self.close_services()
        self.exit(0)

    async def close_services(self) -> None:
        """Stop the runner (jobs resume next start), close stores and clients, save the demo simulators."""
        if self._services_closed:
            return
        self._services_closed = True
        services = self._services
        if services is None:
            return
        for unsubscribe in (self._unsubscribe, getattr(self, "_unobserve", None)):
            if unsubscribe is not None:
                unsubscribe()
        await services.aclose()  # every step runs even if one fails: quitting must always work

    def _stop_signalled(self, signum: int) -> None:
        """SIGTERM/SIGHUP: give the terminal back at once (the app exits now); the job runner is
        stopped after that, outside Textual (:func:`run_tui`), with its grace for a paid request
        still on the wire, so its answer reaches the journal and the download resumes next start."""
        from animetui import stopping

        self.stop_signal = signum
        stopping.detach_if_hung_up()
        self.exit(return_code=stopping.exit_code(signum))

    async def on_unmount(self) -> None:
        self._collector.stop()
        if self._uninstall_signals is not None:
            self._uninstall_signals()
        if self.stop_signal is None:  # after a signal run_tui closes them, the terminal restored first
            await self.close_services()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self._collector.note_input()
        await super().on_event(event)


def make_app(
    settings: "Settings",
    *,
    demo: bool,
    start_path: Path | None,
    providers: "Providers | None" = None,
    runner: "JobRunner | None" = None,
    clock: Callable[[], float] | None = None,
    renderer: str | None = None,
    probe_note: str | None = None,
) -> AnimeTUI:
    """Build the app. ``renderer`` overrides ``general.renderer`` (``auto`` resolves from the probe)."""
    from animetui.ui.pictures import terminal as terminal_images

    chosen = renderer or str(settings.get("general.renderer", "auto") or "auto")
    return AnimeTUI(
        settings,
        demo=demo,
        start_path=start_path,
        providers=providers,
        runner=runner,
        clock=clock,
        renderer=terminal_images.resolve(chosen),
        probe_note=probe_note,
    )


def run_tui(settings: "Settings", demo: bool, start_path: Path | None, renderer: str | None) -> int:
    """Probe the terminal for pictures (before Textual owns it), then run the app. Returns the exit code."""
    from animetui.ui.pictures import terminal as terminal_images

    chosen = renderer or str(settings.get("general.renderer", "auto") or "auto")
    note = terminal_images.probe_before_start(chosen)
    app = make_app(settings, demo=demo, start_path=start_path, renderer=chosen, probe_note=note)

    async def run() -> Any:
        try:
            return await app.run_async()
        finally:
            if app.stop_signal is not None:  # the terminal is ours again: now stop the jobs
                from animetui import stopping
                from animetui.jobs import STOP_GRACE

                stopping.say(
                    f"animetui: {stopping.name(app.stop_signal)} received, stopping; a paid request already sent "
                    f"gets up to {STOP_GRACE:.0f} s to come back and be recorded"
                )
                if app.stop_signal == getattr(signal, "SIGHUP", None):  # the terminal is going away
                    stopping.detach_if_hung_up(force=True)
                await app.close_services()
                stopping.say("animetui: stopped; unfinished jobs resume at the next start")

    result = asyncio.run(run())
    if app.stop_signal is not None:
        from animetui import stopping

        return stopping.exit_code(app.stop_signal)
    return int(result or 0)
