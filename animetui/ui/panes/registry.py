"""The panes of the main screen, declared once: name, key, title, where the grid puts it, how to build it.

The main screen (:mod:`animetui.ui.main_screen`) shows a titled placeholder per entry in the first
frame, then builds the real panes from :data:`PANES` (their modules are imported in a thread after
that frame); :class:`animetui.ui.panes.grid.PaneGrid` lays them out from the same entries. Nothing
else lists the panes.

Add a pane (the walk; these are the files it touches):

1. ``animetui/ui/panes/<name>.py`` — a :class:`animetui.ui.panes.base.Pane` subclass with
   ``BINDINGS = bindings("<name>")``; it talks to the rest by posting the messages of
   :mod:`animetui.ui.messages` and reaches the services with
   :func:`animetui.ui.services.services_of` (never a sibling pane, never the app's fields).
2. This file — one :class:`PaneSpec` in :data:`PANES` (name = widget id and bindings scope, key,
   title, group and width share for the grid, the builder).
3. ``animetui/ui/bindings.py`` — the pane's scope in ``SCOPES``/``SCOPE_TITLES``, its actions'
   rows, and the ``focus-<name>``/``toggle-<name>`` rows for its keys; the palette names of those
   rows in ``animetui/ui/commands.py`` (``NAMES``); ``_WITH_APP`` in ``animetui/ui/keymap.py``.
4. ``styles/later.tcss`` — the pane's own rules (``#<name>``), if any (``styles/app.tcss`` holds only
   what the first frame and the Files pane use: it is parsed before the first frame).
5. Tests: a pilot test of what the user sees in ``tests/ui/``; the grid's layout for the new
   entry in ``tests/ui/test_ui_units.py``. The help screen, palette, footer and ``keydoc`` read
   the bindings table, so they follow by themselves.

The grid (see ``grid.py``): the ``main`` group sits in the top row (narrow) or in full-height
columns (wide, ≥ :data:`animetui.ui.panes.grid.WIDE` columns), the ``side`` group below it
(narrow) or stacked in one more column (wide); ``width`` is the pane's share of its row.
There is no minimum size or priority: a hidden pane gives its room to its neighbours, and the
last visible pane cannot be hidden.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from animetui.config import Settings
    from animetui.ui.panes.base import Pane


@dataclass(frozen=True, slots=True)
class PaneContext:
    """What a pane is built from (the app's settings and start-up choices)."""

    settings: "Settings"
    renderer: str
    clock: Callable[[], float]
    start_dir: Path
    demo: bool


@dataclass(frozen=True, slots=True)
class PaneSpec:
    name: str  # the widget id and the bindings scope
    key: str  # the focus key, shown in the border title
    title: str
    group: Literal["main", "side"]
    width: int  # share (fr) of its row or column
    module: str  # imported in a thread after the first frame, then ``build`` makes the pane
    build: Callable[[PaneContext], "Pane"]


DEMO_HINT = (
    "Demo mode: simulated services, no keys, no network. Highlight a picture in Files, "
    "then press b (or s / r). ? lists every key."
)


def _files(ctx: PaneContext) -> "Pane":
    from animetui.ui.panes.files import FilesPane

    return FilesPane(ctx.start_dir, renderer=ctx.renderer)


def _results(ctx: PaneContext) -> "Pane":
    from animetui.ui.panes.results import ResultsPane

    # the Results pane shows the demo hint until the first lookup, whatever repaints its status
    return ResultsPane(renderer=ctx.renderer, idle_hint=DEMO_HINT if ctx.demo else "")


def _rankings(ctx: PaneContext) -> "Pane":
    from animetui.ui.panes.rankings import RankingsPane

    settings = ctx.settings
    return RankingsPane(
        period=str(settings.get("rankings.period", "weekly")),
        limit=int(settings.get("rankings.limit", 25) or 25),
        include_adult=bool(settings.get("providers.whatanime.include_adult", False)),
        clock=ctx.clock,
    )


def _jobs(ctx: PaneContext) -> "Pane":
    from animetui.ui.panes.jobs import JobsPane

    return JobsPane(renderer=ctx.renderer, clock=ctx.clock)


PANES: tuple[PaneSpec, ...] = (
    PaneSpec("files", "1", "Files", "main", 2, "animetui.ui.panes.files", _files),
    PaneSpec("results", "2", "Results", "main", 3, "animetui.ui.panes.results", _results),
    PaneSpec("rankings", "3", "Rankings", "side", 1, "animetui.ui.panes.rankings", _rankings),
    PaneSpec("jobs", "4", "Jobs", "side", 1, "animetui.ui.panes.jobs", _jobs),
)
NAMES: tuple[str, ...] = tuple(spec.name for spec in PANES)
BY_NAME: dict[str, PaneSpec] = {spec.name: spec for spec in PANES}
