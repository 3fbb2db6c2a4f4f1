"""The one runtime: builds the services for both faces (the CLI and the TUI), and closes them.

Nothing else builds providers, opens the history, the batch journal or the job journal, loads the
demo simulators or sets up logging. ``Runtime(settings)`` is cheap: each service is built on first
use (``runtime.providers``, ``.history``, ``.lookups``, ``.batches``, ``.runner``), so
``animetui history`` opens no HTTP client and ``animetui scene`` no job journal.
:meth:`Runtime.aclose` closes what was built, and saves the demo simulators' state.

* CLI: ``async with Runtime(settings) as runtime: ...`` (:func:`animetui.cli.dispatch.dispatch`);
* TUI: :meth:`Runtime.start` — the slow imports and opening the stores in a thread, every
  provider and client built off the event loop, the job runner started.

Files: every path comes from :mod:`animetui.locations` (``history_db``, ``jobs_db``, ``log_file``,
``demo_state``). Logging goes to ``locations.log_file(data_dir)`` — the log both faces point
users to.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from animetui import locations

if TYPE_CHECKING:
    import httpx

    from animetui.batch import BatchJournal
    from animetui.config import Settings
    from animetui.history import History, HistoryError, UnavailableHistory
    from animetui.jobs import JobRunner
    from animetui.lookups import LookupService
    from animetui.providers import Providers
    from animetui.simulator import SimulatorHub

log = logging.getLogger("animetui.runtime")


class Runtime:
    """The typed services. Tests inject ``providers`` / ``runner``; those are not closed here
    beyond stopping the runner this runtime started."""

    def __init__(
        self,
        settings: "Settings",
        *,
        providers: "Providers | None" = None,
        runner: "JobRunner | None" = None,
        realistic: bool = False,
        log_to_file: bool = True,
        tolerate_damaged_history: bool = False,
    ) -> None:
        self.settings = settings
        self.demo = bool(settings.demo) or (providers is not None and providers.demo)
        self.realistic = realistic  # demo simulators as slow as the real services (the TUI)
        self._given_providers = providers
        self._given_runner = runner
        self._own_hub: SimulatorHub | None = None
        self._runner_started = False
        self._closed = False
        #: the TUI goes on without a history it cannot open (lookups refuse, jobs work); the CLI stops
        self.tolerate_damaged_history = tolerate_damaged_history
        self.history_error: HistoryError | None = None
        self.log_path: Path | None = None
        if log_to_file:
            from animetui.logs import setup_logging

            self.log_path = setup_logging(settings.data_dir)

    # ------------------------------------------------------------------ paths
    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir

    @property
    def cache_dir(self) -> Path:
        return self.settings.cache_dir

    @property
    def downloads_dir(self) -> Path:
        return self.settings.downloads_dir

    @property
    def history_path(self) -> Path:
        return locations.history_db(self.data_dir)

    @property
    def jobs_path(self) -> Path:
        return locations.jobs_db(self.data_dir)

    # ------------------------------------------------------------------ services (built on first use)
    @functools.cached_property
    def providers(self) -> "Providers":
        if self._given_providers is not None:
            return self._given_providers
        from animetui.providers import Providers

        if self.settings.demo:
            from animetui.simulator.persist import load_demo_hub

            self._own_hub = load_demo_hub(self.data_dir, realistic=self.realistic)
            return Providers(self.settings, demo=True, hub=self._own_hub)
        return Providers(self.settings)

    @property
    def hub(self) -> "SimulatorHub | None":
        """The demo simulators (None for real services)."""
        return self.providers.hub

    @property
    def downloads(self) -> "httpx.AsyncClient":
        """The client for result and preview URLs on other hosts (no base URL, no credentials)."""
        return self.providers.downloads

    @property
    def reset_hint(self) -> str:
        return "animetui history --reset" + (" --demo" if self.settings.demo else "")

    @functools.cached_property
    def history(self) -> "History | UnavailableHistory":
        from animetui.history import History, HistoryError, UnavailableHistory

        try:
            return History(self.history_path, reset_hint=self.reset_hint)
        except HistoryError as exc:
            if not self.tolerate_damaged_history:
                raise
            self.history_error = exc
            return UnavailableHistory(self.history_path, exc)

    @functools.cached_property
    def lookups(self) -> "LookupService":
        from animetui.lookups import LookupService

        return LookupService(self.providers, self.history)

    @functools.cached_property
    def batches(self) -> "BatchJournal":
        """The batch journal (its tables live in the history file)."""
        from animetui.batch import BatchJournal

        return BatchJournal(self.history_path)

    @functools.cached_property
    def runner(self) -> "JobRunner":
        if self._given_runner is not None:
            return self._given_runner
        from animetui.jobs import JobRunner
        from animetui.store import JobJournal

        return JobRunner(self.providers, JobJournal(self.jobs_path), downloads_dir=self.downloads_dir)

    def has_jobs(self) -> bool:
        """Is there a job journal yet (without creating one)?"""
        return "runner" in self.__dict__ or self._given_runner is not None or self.jobs_path.exists()

    # ------------------------------------------------------------------ the TUI's start
    async def start(self) -> None:
        """Everything the TUI needs, built off the event loop; the job runner started."""

        def build() -> None:  # the slow imports (httpx, Pillow, SQLite) and opening the stores
            import animetui.jobs.runner  # noqa: F401
            import animetui.lookups  # noqa: F401
            import animetui.store  # noqa: F401

            self.providers  # noqa: B018 - built for its side effect (loads the demo simulators)
            self.history  # noqa: B018
            self.lookups  # noqa: B018
            self.runner  # noqa: B018

        await asyncio.to_thread(build)
        await self.providers.warm()  # clients, TLS context and provider modules built off the loop
        await self.start_jobs()
        log.info("services started (%s; data in %s)", "demo" if self.demo else "real services", self.data_dir)

    async def start_jobs(self) -> None:
        await self.runner.start()
        self._runner_started = True

    # ------------------------------------------------------------------ closing
    async def aclose(self) -> None:
        """Stop the runner (jobs resume next start), close stores and clients, save the demo state.
        Every step runs even if one before it failed: quitting must always work."""
        if self._closed:
            return
        self._closed = True
        built = self.__dict__
        if "runner" in built or self._runner_started:
            runner = self.runner
            try:
                if self._runner_started:
                    await runner.stop()
                if self._given_runner is None:
                    runner.journal.close()
            except Exception as exc:  # noqa: BLE001
                log.error("stopping the job runner: %r", exc)
        for name in ("batches", "history"):
            if name in built:
                try:
                    built[name].close()
                except Exception as exc:  # noqa: BLE001
                    log.error("closing the %s: %r", name, exc)
        if "providers" in built:
            try:
                await self.providers.aclose()
            except Exception as exc:  # noqa: BLE001
                log.error("closing the providers: %r", exc)
        if self._own_hub is not None:
            from animetui.simulator.persist import save_demo_hub

            await asyncio.to_thread(save_demo_hub, self._own_hub, self.data_dir)

    async def __aenter__(self) -> "Runtime":
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
