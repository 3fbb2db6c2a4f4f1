"""Batch lookups from the TUI: ``B`` asks what to run over the marked files, starts a
:class:`animetui.batch.BatchSession` and shows it (:class:`animetui.ui.screens.batch.BatchScreen`).

The flow owns the latest session, so ``Esc`` on the batch screen leaves it running and ``B``
shows it again; after a restart it offers to resume an interrupted batch.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from animetui.ui.flows import Flow

if TYPE_CHECKING:
    from animetui.batch import BatchSession
    from animetui.ui.main_screen import MainScreen


class BatchFlow(Flow):
    def __init__(self, main: "MainScreen") -> None:
        super().__init__(main)
        self.session: BatchSession | None = None  # the latest batch
        self.clock: Callable[[], float] = time.monotonic  # rate/ETA of batches (tests inject one)

    def open(self) -> None:
        """``B``: start a batch over the marked files, or show the one there is."""
        from animetui.ui.screens.batch import BatchScreen, BatchStartScreen

        app = self.app
        if isinstance(app.screen, BatchScreen):
            return
        marked = self.main.files_pane.marked_files()
        session = self.session
        if not marked:
            if session is not None:
                self.show()
                return
            app.notify(
                "Mark images in Files first: m marks one, M the whole folder, * the folder and its subfolders.",
                title="Nothing marked",
                severity="warning",
            )
            return
        if session is not None and session.running:
            app.notify("A batch is still running: wait for it or cancel it (x) first.", title="Batch", severity="warning")
            self.show()
            return
        app.push_screen(BatchStartScreen(marked), lambda kinds: self._chosen(marked, kinds))

    def _chosen(self, files: list[Path], kinds: tuple[str, ...] | None) -> None:
        if kinds:
            folders = {str(p.parent) for p in files}
            self.start(files, kinds, root=folders.pop() if len(folders) == 1 else "")
            self.main.files_pane.action_clear_marks()

    def start(self, files: list[Path] | None, kinds: tuple[str, ...], *, root: str = "", batch_id: int | None = None) -> None:
        """Start (or, with ``batch_id``, resume) a batch and show its screen."""
        self.app.run_worker(self._start(files, kinds, root, batch_id), group="batch-start", exit_on_error=False)

    async def _start(self, files: list[Path] | None, kinds: tuple[str, ...], root: str, batch_id: int | None) -> None:
        from animetui.batch import BatchSession
        from animetui.errors import AnimetuiError

        app = self.app
        try:
            services = await app.services()
        except AnimetuiError as exc:
            app.notify(str(exc), title="Batch not started", severity="error", markup=False)
            return
        session = BatchSession(
            services.lookups,
            await asyncio.to_thread(lambda: services.batches),
            paths=files,
            kinds=kinds,
            batch_id=batch_id,
            root=root,
            clock=self.clock,
        )
        self.session = session
        app.run_worker(self._run(session), group="batch", exit_on_error=False)
        self.show()

    async def _run(self, session: "BatchSession") -> None:
        await session.run()
        if session.state == "done":
            counts = session.counts()
            summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
            self.app.notify(f"Batch finished: {summary}.", title="Batch", timeout=6, markup=False)
        elif session.state == "failed":
            self.app.notify(session.error, title="Batch failed", severity="error", markup=False)

    def show(self) -> None:
        from animetui.ui.screens.batch import BatchScreen

        app = self.app
        if self.session is not None and not isinstance(app.screen, BatchScreen):
            app.push_screen(BatchScreen(self.session, downloads_dir=app.settings.downloads_dir, clock=app.clock))

    def offer_resume(self) -> None:
        """After a restart: offer to finish a batch that was interrupted (``BatchJournal.unfinished()``)."""
        self.app.run_worker(self._offer_resume(), group="batch-resume", exit_on_error=False)

    async def _offer_resume(self) -> None:
        from animetui.ui.screens.confirm import ConfirmScreen

        services = await self.app.services()

        def unfinished() -> tuple[int, int] | None:
            journal = services.batches
            pending = journal.unfinished()
            if not pending:
                return None
            left = sum(1 for item in journal.items(pending[-1]) if item.status == "pending")
            return pending[-1], left

        found = await asyncio.to_thread(unfinished)
        if found is None or self.session is not None:
            return
        batch_id, left = found

        def answered(yes: bool | None) -> None:
            if yes:
                self.start(None, (), batch_id=batch_id)

        self.app.push_screen(
            ConfirmScreen(
                "Resume the unfinished batch?",
                f"Batch #{batch_id} was interrupted with {left} lookup{'s' if left != 1 else ''} left. "
                "Resume it now? (No keeps it for later: `animetui batch --resume`.)",
                yes="Resume",
                no="Later",
            ),
            answered,
        )
