"""History (``h``): past lookups on :class:`animetui.ui.screens.history.HistoryScreen`; the Library
screen (``I``); and the palette's way into the History, Library and Batch screens
(``screen(<name>, <action>)``)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, cast

from animetui.ui.flows import Flow

if TYPE_CHECKING:
    from textual.worker import Worker

    from animetui.history import History


class HistoryFlow(Flow):
    def open(self) -> "Worker[None]":
        return self.app.run_worker(self._open(), group="history-open", exit_on_error=False)

    async def _open(self) -> None:
        from animetui.errors import AnimetuiError
        from animetui.ui.screens.history import HistoryScreen

        app = self.app
        if isinstance(app.screen, HistoryScreen):
            return
        try:
            services = await app.services()
        except AnimetuiError as exc:
            app.notify(str(exc), title="No history", severity="error", markup=False)
            return
        history = cast("History", services.history)  # a stand-in (damaged file) answers every call with why
        await app.push_screen(
            HistoryScreen(history, downloads_dir=app.settings.downloads_dir, renderer=app.renderer, clock=app.clock)
        )

    async def library(self) -> None:
        """``I``: the Library screen (your own videos, the indexing job)."""
        from animetui.ui.screens.library import LibraryScreen

        app = self.app
        if not isinstance(app.screen, LibraryScreen):
            await app.push_screen(LibraryScreen(app.settings.data_dir, config=str(app.settings.path), runner=getattr(app, "runner", None)))

    async def screen_action(self, name: str, action: str) -> None:
        """Palette entry for a screen's key: open that screen if needed, then run the action there."""
        from animetui.ui.screens.batch import BatchScreen
        from animetui.ui.screens.history import HistoryScreen
        from animetui.ui.screens.library import LibraryScreen

        app = self.app
        kind = {"history": HistoryScreen, "library": LibraryScreen}.get(name, BatchScreen)
        if not isinstance(app.screen, kind):
            if name == "history":
                await self.open().wait()
            elif name == "library":
                await self.library()
            else:
                self.main.flows.batch.open()
            await asyncio.sleep(0)
        if isinstance(app.screen, kind):
            await app.screen.run_action(action)
