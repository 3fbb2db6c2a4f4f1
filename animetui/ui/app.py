"""The Textual app: the theme, the services' lifecycle and quitting; everything else is elsewhere:
:class:`animetui.ui.main_screen.MainScreen` (header, the pane grid built from
:mod:`animetui.ui.panes.registry`, footer, the routing of the panes' messages),
:mod:`animetui.ui.flows` (lookups, jobs and cost questions, batch, accounts, history) and
:mod:`animetui.ui.stop_signals` (SIGTERM/SIGHUP).

Start-up is a feature: the first frame is the header, the pane frames (placeholders) and the
footer — Textual and nothing else. Then the pane modules are imported in a thread and the real
panes replace the placeholders; then :class:`animetui.runtime.Runtime` (the CLI's too) builds the
services off the event loop (:meth:`AnimeTUI.services` waits for them). The terminal's picture
support is probed before ``App.run()`` by :func:`run_tui`, the CLI's entry point; tests use
:func:`make_app` (inject providers, a runner, a fixed clock, a renderer).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import actions, events
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from animetui.ui import partial_paint, scroll_sizes, strip_cycles
from animetui.ui.bindings import bindings
from animetui.ui.collector import IdleCollector
from animetui.ui.main_screen import MainScreen, start_folder
from animetui.ui.messages import ServicesReady
from animetui.ui.panes.grid import WIDE

if TYPE_CHECKING:
    from textual.command import Provider

    from animetui.config import Settings
    from animetui.jobs import JobRunner
    from animetui.providers import Providers
    from animetui.runtime import Runtime


def styles_dir() -> Path:
    """``styles/``: inside the package in a wheel (force-include), at the repo root in a checkout."""
    package = Path(__file__).resolve().parent.parent
    packaged = package / "styles"
    return packaged if packaged.is_dir() else package.parent / "styles"


def _anime_commands() -> "type[Provider]":
    from animetui.ui.commands import AnimeCommands  # the palette module loads when the palette opens

    return AnimeCommands


class AnimeTUI(App[int]):
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

    def __init__(self, settings: "Settings", *, demo: bool, start_path: Path | None, providers: "Providers | None" = None,
                 runner: "JobRunner | None" = None, clock: Callable[[], float] | None = None, renderer: str = "halfcell",
                 probe_note: str | None = None) -> None:
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
        self._unsubscribe: list[Callable[[], None]] = []
        self._services_closed = False  # (not `_closed`: Textual's MessagePump owns that name)
        self.stop_signal: int | None = None  # the SIGTERM/SIGHUP stopping the app (animetui.ui.stop_signals)
        self._uninstall_signals: Callable[[], None] | None = None
        self.start_dir, self.samples_dir = start_folder(start_path, demo=demo, data_dir=settings.data_dir)
        self.start_file = start_path if start_path is not None and start_path.is_file() else None
        self.main_screen = MainScreen(demo=demo)
        self._collector = IdleCollector()
        for fix in (strip_cycles, partial_paint, scroll_sizes):  # Textual's repaint costs cut (see each module)
            fix.install()
        from animetui.ui.keymap import apply as apply_keymap

        self.keymap_problem = apply_keymap(self, settings)  # the effective keys, before the first frame

    def get_default_screen(self) -> Screen[None]:  # built in __init__: the app's keys act on it at once
        return self.main_screen

    def get_system_commands(self, screen: Screen[Any]) -> Any:
        """Textual's palette commands, minus those ours replace (one "Maximise pane", one "Quit")."""
        from animetui.ui.commands import REPLACED_SYSTEM_COMMANDS

        for command in super().get_system_commands(screen):
            if command.title not in REPLACED_SYSTEM_COMMANDS:
                yield command

    async def run_action(self, action: Any, default_namespace: Any = None, namespaces: Any = None) -> bool:
        """An app action the app does not define (the keys of scope ``app``, the palette's entries)
        runs on the main screen, which routes it to its flow."""
        if isinstance(action, str):
            target, name, params = actions.parse(action)
            ours = target == "app" or (not target and default_namespace in (None, self))
            if ours and not hasattr(self, f"action_{name}") and hasattr(self.main_screen, f"action_{name}"):
                return await super().run_action(("", name, params), self.main_screen, namespaces)
        return await super().run_action(action, default_namespace, namespaces)

    def notify(self, message: str, *, title: str = "", severity: Any = "information", timeout: float | None = None, markup: bool = True) -> None:
        """Every notification is made safe to show (:func:`animetui.text.safe`); ``markup=True`` is
        the app's own markup (escapes add no brackets); a file name or server text goes with ``markup=False``."""
        from animetui.text import safe

        super().notify(safe(message, line=False, limit=2000), title=safe(title, limit=200), severity=severity, timeout=timeout, markup=markup)

    def on_mount(self) -> None:
        if self.keymap_problem:
            self.notify(self.keymap_problem, title="Keys", severity="warning", timeout=10, markup=False)
        from animetui.ui import stop_signals
        from animetui.ui.remember import follow_theme

        follow_theme(self)  # a theme picked in the palette is saved (general.theme)
        self._uninstall_signals = stop_signals.install(self)  # a real terminal: SIGTERM/SIGHUP quit like Ctrl-C
        if self.probe_note:
            self.notify(self.probe_note, title="Pictures", severity="warning", timeout=8, markup=False)
        self.call_after_refresh(lambda: self.run_worker(self._starting(), group="startup", exit_on_error=False))

    # ------------------------------------------------------------------ services
    async def services(self) -> "Runtime":
        """The providers/runner/lookups, waiting for start-up if needed."""
        await self._services_ready.wait()
        if self._services is None:
            from animetui.errors import AnimetuiError

            raise AnimetuiError(self._services_error or "the services did not start")
        return self._services

    @property
    def runtime(self) -> "Runtime | None":
        """The services as built so far (None before start-up built them, or when it failed)."""
        return self._services

    @property
    def runner(self) -> "JobRunner | None":
        if self._services is None or not self._services_ready.is_set():
            return None  # still starting: the runtime builds it in a thread
        return self._services.runner

    async def _starting(self) -> None:
        from animetui.errors import AnimetuiError
        from animetui.ui.panes.registry import PaneContext

        main = self.main_screen
        try:
            await main.mount_panes(PaneContext(self.settings, self.renderer, self.clock, self.start_dir, self.demo))
            if self.samples_dir is not None:
                await main.write_samples(self.samples_dir)
            await self._build_services()
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
            main.header.set_note("services unavailable")
            self.notify(self._services_error or "start-up failed", title="Cannot start", severity="error", markup=False)
            return
        main.post_message(ServicesReady())
        # Full garbage-collector passes from now on run while the user is idle (animetui.ui.collector).
        self._collector.start()
        self.set_interval(0.5, self._collector.tick, name="idle-collector")

    async def _build_services(self) -> None:
        def imports() -> None:  # httpx, SQLite, the providers: in a thread, off the loop
            import animetui.history, animetui.jobs.runner, animetui.lookups, animetui.providers, animetui.runtime, animetui.store  # noqa: E401, F401

        await asyncio.to_thread(imports)
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
        main = self.main_screen
        self._unsubscribe.append(runtime.runner.subscribe(main.job_reported))
        self._unsubscribe.append(runtime.lookups.observe(main.flows.accounts.lookup_observed))  # header limits, session expiry

    async def _drop_services(self) -> None:
        runtime, self._services = self._services, None
        if runtime is not None:
            await runtime.aclose()

    async def close_services(self) -> None:
        """Stop the runner (jobs resume next start), close stores and clients, save the demo simulators."""
        if self._services_closed:
            return
        self._services_closed = True
        services = self._services
        if services is None:
            return
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        await services.aclose()  # every step runs even if one fails: quitting must always work

    # ------------------------------------------------------------------ the main screen's state, for tests
    panes_ready = property(lambda self: self.main_screen.panes_ready)
    files_pane = property(lambda self: self.main_screen.files_pane)
    results_pane = property(lambda self: self.main_screen.results_pane)
    jobs_pane = property(lambda self: self.main_screen.jobs_pane)

    # ------------------------------------------------------------------ quitting
    async def action_quit(self) -> None:
        from animetui.ui.screens.confirm import ConfirmScreen, quit_message

        runner = self.runner
        running = [job for job in runner.list() if not job.state.terminal] if runner is not None else []

        async def answered(yes: bool | None) -> None:
            if yes:
                await self.close_services()
                self.exit(0)

        if not running:
            await answered(True)
            return
        self.push_screen(ConfirmScreen("Quit animetui?", quit_message(len(running)), yes="Quit", no="Stay"), answered)

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


def make_app(settings: "Settings", *, demo: bool, start_path: Path | None, providers: "Providers | None" = None,
             runner: "JobRunner | None" = None, clock: Callable[[], float] | None = None, renderer: str | None = None,
             probe_note: str | None = None) -> AnimeTUI:
    """Build the app. ``renderer`` overrides ``general.renderer`` (``auto`` resolves from the probe)."""
    from animetui.ui.pictures import terminal as terminal_images

    chosen = renderer or str(settings.get("general.renderer", "auto") or "auto")
    return AnimeTUI(settings, demo=demo, start_path=start_path, providers=providers, runner=runner, clock=clock,
                    renderer=terminal_images.resolve(chosen), probe_note=probe_note)


def run_tui(settings: "Settings", demo: bool, start_path: Path | None, renderer: str | None) -> int:
    """Probe the terminal for pictures (before Textual owns it), then run the app. Returns the exit code."""
    from animetui import stopping
    from animetui.ui import stop_signals
    from animetui.ui.pictures import terminal as terminal_images

    chosen = renderer or str(settings.get("general.renderer", "auto") or "auto")
    note = terminal_images.probe_before_start(chosen)
    app = make_app(settings, demo=demo, start_path=start_path, renderer=chosen, probe_note=note)

    async def run() -> Any:
        try:
            return await app.run_async()
        finally:
            if app.stop_signal is not None:  # the terminal is ours again: now stop the jobs
                await stop_signals.stop_after_exit(app)

    result = asyncio.run(run())
    return stopping.exit_code(app.stop_signal) if app.stop_signal is not None else int(result or 0)
