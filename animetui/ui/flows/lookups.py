"""Lookups: scene search and character recognition on the chosen picture, in the Results pane.

``s`` / ``r`` / ``b`` look the Files pane's source up (a scene search past today's free credits
asks first, :meth:`animetui.ui.flows.costs.CostQuestions.scene`), ``f`` looks it up again
ignoring the history, ``e`` switches the scene engine, ``x`` cancels. A lookup asked elsewhere
(History's re-run) arrives as :class:`animetui.ui.messages.LookupRequested`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from animetui.ui.bindings import LOOKUP_KINDS
from animetui.ui.flows import Flow

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from animetui.models import ImageSource


class LookupFlow(Flow):
    def request(self, source: "ImageSource", kinds: tuple[str, ...], *, refresh: bool = False) -> None:
        """Look ``source`` up (``refresh``: ignoring the history, a request and a new history row)."""
        if not self.main.panes_ready:
            return
        costs = self.main.flows.costs
        cost = costs.scene(self.scene_engines()) if "scene" in kinds else None  # past today's free credits: ask first
        if cost is not None and self.library_leads():
            # the library is asked first and may answer for free: ask only if it has no likely match
            async def ask() -> bool:
                return await costs.ask("Paid scene search", f"Your library has no likely match. {cost}", yes="Search")

            self._start(source, kinds, refresh=refresh, before_remote=ask)
            return
        if cost is not None:
            costs.confirm("Paid scene search", cost, lambda: self._start(source, kinds, refresh=refresh), yes="Search")
            return
        self._start(source, kinds, refresh=refresh)

    def _start(self, source: "ImageSource", kinds: tuple[str, ...], *, refresh: bool = False,
               before_remote: "Callable[[], Awaitable[bool]] | None" = None) -> None:
        self.main.grid.show("results")
        self.main.results_pane.run_lookup(source, kinds, refresh=refresh, before_remote=before_remote)

    def library_leads(self) -> bool:
        """A scene search of the chosen engine(s) asks the local library before the others."""
        from animetui.errors import AnimetuiError
        from animetui.lookups import leading_scene_providers

        pane = self.main.results_pane
        settings = self.app.settings
        try:
            return bool(leading_scene_providers(pane.engine_choice, settings))
        except AnimetuiError:
            return False

    def finished(self, kind: str, providers: tuple[str, ...]) -> None:
        if kind == "scene":
            self.main.flows.accounts.refresh_credits(providers or None)

    def scene_engines(self) -> tuple[str, ...]:
        from animetui.errors import AnimetuiError
        from animetui.lookups import resolve_scene_providers

        try:
            pane = self.main.results_pane
            return resolve_scene_providers(pane.engine_choice, data_dir=pane.data_dir)
        except AnimetuiError:
            return ()

    # ------------------------------------------------------------------ actions
    def lookup(self, kind: str) -> None:
        source = self.main.files_pane.source
        if source is None:
            self.app.notify("Highlight an image in Files (or type a path/URL with o) first.", title="No image chosen", severity="warning")
            return
        self.request(source, LOOKUP_KINDS.get(kind, ("scene", "characters")))

    def fresh(self) -> None:
        source = self.main.files_pane.source
        if source is None:
            self.app.notify("Highlight an image in Files first.", title="No image chosen", severity="warning")
            return
        pane = self.main.results_pane
        kinds = tuple(k for k in ("scene", "characters") if (pane.scene if k == "scene" else pane.characters) is not None)
        self.request(source, kinds if pane.source == source and kinds else ("scene", "characters"), refresh=True)

    def cycle_engine(self) -> None:
        """``e``: which engine(s) the next scene search asks."""
        label = self.main.results_pane.cycle_engine()
        self.app.notify(f"Scene search asks: {label}", title="Scene engine", timeout=3, markup=False)

    def cancel(self) -> None:
        if self.app.screen is self.main:  # a dialog is open: x is not for the lookup there
            self.main.results_pane.action_cancel_lookup()
