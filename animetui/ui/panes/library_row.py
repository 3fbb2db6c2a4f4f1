"""The library's indexing job as one row of the Jobs pane (issue 15).

The indexer is its own niced process whose state lives in ``library.sqlite3``; the Jobs pane
reads it every two seconds in a thread (:func:`animetui.library.control.overview`) while a library
exists, and shows it below the image jobs: kind ``index``, its state, the ETA in the time column,
the current file, the progress. ``x`` on the row cancels the indexing, ``R`` resumes it, Enter
opens the Library screen.

Kept apart from :mod:`animetui.ui.panes.jobs` on purpose: when ``animetui.jobs`` grows job kinds,
this becomes the ``index`` kind's cells and detail, and the polling goes away.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text

from animetui.text import safe
from animetui.ui.format import elapsed

if TYPE_CHECKING:
    from animetui.library.control import JobView

ROW_KEY = "library-index"
POLL_SECONDS = 2.0
ICONS = {"running": "●", "paused": "‖", "idle": "✓", "cancelled": "⊘", "failed": "✗", "interrupted": "!"}


def state_of(job: "JobView") -> str:
    return "running" if job.running and job.state in ("idle", "running") else job.state


def cells(job: "JobView", keys: tuple[str, ...], theme: dict[str, str]) -> tuple[Text, ...]:
    state = state_of(job)
    colour = {"idle": theme.get("success", "green"), "failed": theme.get("error", "red"),
              "interrupted": theme.get("warning", "yellow"), "paused": theme.get("warning", "yellow"),
              "cancelled": "dim"}.get(state, theme.get("accent", "cyan"))
    progress = f"{job.progress * 100:.0f} %" if job.progress is not None and state != "idle" else "all indexed"
    name = Path(job.current).name if job.current and state in ("running", "paused", "interrupted") else "your library"
    out = {
        "kind": Text("index"),
        "state": Text(f"{ICONS.get(state, '?')} {state}", style=colour),
        "time": Text(elapsed(job.eta) if job.eta is not None else "", justify="right"),
        "what": Text(safe(f"{progress} · {name}", limit=160), no_wrap=True, overflow="ellipsis"),
        "result": Text(safe(job.message, limit=200) if job.message else "—", style="" if job.message else "dim",
                       no_wrap=True, overflow="ellipsis"),
    }
    return tuple(out[key] for key in keys)


def detail(job: "JobView") -> Text:
    from animetui.library.control import job_line

    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("library indexing · ", style="bold")
    text.append(safe(job_line(job), limit=300) or state_of(job))
    if job.message:
        text.append("\n")
        text.append(safe(job.message, limit=300), style="dim")
    text.append("\nx cancel · R resume · Enter the Library screen (I)", style="dim")
    return text


def read(data_dir: Any) -> "JobView | None":
    """The job as the indexer left it (blocking: call it in a thread); None without a library."""
    from animetui.library.control import exists, overview

    if not exists(data_dir):
        return None
    return overview(Path(data_dir)).job
