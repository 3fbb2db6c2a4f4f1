"""The Results pane's scene table: its columns by priority and one row per match.

The title is what a user reads a match by, so it always has room: the episode is cut to
:data:`EP_WIDTH` cells, and when the pane is narrow the columns give way in :data:`SCENE_DROP`'s
order (the engine's tag first, then the time span, the confidence label, the episode); the line
under the table (``RowDetail``) gives the highlighted match in full, dropped columns included.
See :class:`animetui.ui.widgets.fitted_table.FittedTable`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.text import Text

from animetui.models import LIKELY, PROBABLY_WRONG, UNCERTAIN
from animetui.ui.format import one_line, percent, span
from animetui.ui.widgets.fitted_table import FittedTable

if TYPE_CHECKING:
    from animetui.models import SceneMatch

LOW_SIMILARITY = 0.90
#: models.confidence_label in a narrow cell (the help and the CLI give the whole label)
CONFIDENCE_SHORT = {LIKELY: "likely", UNCERTAIN: "unsure", PROBABLY_WRONG: "wrong?"}
#: (key, header, fixed width or None) in screen order
SCENE_COLUMNS: tuple[tuple[str, str, int | None], ...] = (
    ("n", "#", 2),
    ("sim", "Sim", None),
    ("confidence", "Conf", None),
    ("ep", "Ep", None),
    ("span", "From–to", None),
    ("engine", "Eng", None),
    ("title", "Title", None),
)
#: the columns that give way when the title would get fewer than MIN_TITLE cells, least useful first
SCENE_DROP = ("engine", "span", "confidence", "ep")
MIN_TITLE = 14
#: an episode longer than this is cut with … ("1071–10…"): the line under the table has it whole
EP_WIDTH = 8


def new_scene_table(id: str) -> FittedTable:
    return FittedTable(id=id, cursor_type="row", zebra_stripes=True, flex="title", min_flex=MIN_TITLE, drop=SCENE_DROP)


def add_scene_columns(table: FittedTable) -> None:
    for key, header, width in SCENE_COLUMNS:
        table.add_column(header, key=key, width=width)


def fill_scene_table(table: FittedTable, matches: Iterable[SceneMatch], *, language: str, warning: str) -> None:
    """One row per match (``table`` cleared first by the caller), keyed ``m1``, ``m2``…"""
    from animetui.providers.specs import all_specs

    tags = {spec.name: spec.tag for spec in all_specs()}
    for index, match in enumerate(matches, start=1):
        low = match.similarity is not None and match.similarity < LOW_SIMILARITY
        style = warning if low else ""
        title = one_line(match.title_in(language), 120) or "?"
        table.add_row(
            Text(str(index), style="dim"),
            Text(percent(match.similarity), style=f"bold {warning}" if low else "bold", justify="right"),
            Text(CONFIDENCE_SHORT.get(match.confidence, match.confidence) or "—", style=style),
            Text(one_line(match.episode or "—", EP_WIDTH), style=style),
            Text(span(match.start, match.end), style=style),
            Text(one_line(tags.get(match.engine, match.engine), 12) if match.engine else "—", style="dim"),
            Text(title + ("  18+" if match.adult else ""), style=style, no_wrap=True, overflow="ellipsis"),
            key=f"m{index}",
        )
