"""Batch lookups in the TUI: marked files through scene search and/or character recognition.

* ``m`` / ``M`` / ``*`` in Files mark files (one, the folder, the folder tree); ``B`` asks what to
  run (:class:`BatchStartScreen`: scene, characters or both) and opens :class:`BatchScreen`.
* The batch itself is a :class:`animetui.batch.BatchSession` owned by the batch flow
  (:mod:`animetui.ui.flows.batch`), not by the screen: ``Esc`` goes
  back to the panes while it keeps running, ``B`` shows it again. The session wraps
  :class:`animetui.batch.BatchRunner` (dedupe by hash, the history as a free cache, each
  provider within its limits, quota stop with a note) and its journal in the history database.
* The screen shows a progress bar with count, rate and ETA (from ``BatchProgress``; the clock is
  injectable, so snapshots are stable), the runner's notes (a quota stop says so), and a summary
  table (file → best match, status) that ``e`` exports to JSON and CSV in the downloads folder.
* ``p`` pauses/resumes (running lookups finish first), ``x`` cancels. Quitting the app mid-batch
  leaves it "paused" in the journal; at the next start the app offers to resume it
  (``BatchJournal.unfinished()``), doing only what is left.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from animetui.ui.bindings import bindings
from animetui.ui.format import display_path, elapsed, one_line
from animetui.ui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from animetui.batch import BatchItem, BatchSession

KIND_CHOICES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Scene search and character recognition", ("scene", "characters")),
    ("Scene search only (the engines chosen in Settings: general.scene_provider)", ("scene",)),
    ("Character recognition only (AnimeTrace)", ("characters",)),
)
STATUS_STYLE = {"done": "bold", "cached": "", "failed": "red", "skipped": "yellow", "duplicate": "dim", "pending": "dim"}


def batch_export_json(items: list["BatchItem"], notes: list[str]) -> str:
    return json.dumps({"items": [item.to_json() for item in items], "notes": notes}, ensure_ascii=False, indent=2)


def batch_export_csv(items: list["BatchItem"]) -> str:
    from animetui.history import _csv_safe

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["file", "kind", "status", "best", "detail", "sha256"])
    for item in items:
        writer.writerow([item.path, item.kind, item.status, _csv_safe(item.headline), _csv_safe(item.detail), item.sha256])
    return buffer.getvalue()


def write_batch_export(session: BatchSession, folder: Path, now: float) -> tuple[Path, Path]:
    from animetui.ui.screens.history import export_paths

    folder.mkdir(parents=True, exist_ok=True)
    json_path, csv_path = export_paths(folder, f"animetui-batch-{session.batch_id or 0}", now)
    items = session.summary()
    json_path.write_text(batch_export_json(items, session.notes), encoding="utf-8")
    csv_path.write_text(batch_export_csv(items), encoding="utf-8", newline="")
    return json_path, csv_path


def progress_line(session: BatchSession) -> Text:
    """``12/40 · 0.8/s · ETA 0:35 · paused`` — what the bar means, in words."""
    line = Text()
    progress = session.progress
    if session.state == "planning":
        line.append(f"Reading and hashing {len(session.paths)} file{'s' if len(session.paths) != 1 else ''}…", style="italic")
        return line
    if progress is None:
        line.append("starting…", style="italic")
    else:
        line.append(f"{progress.done}/{progress.total}", style="bold")
        line.append(f" · {progress.rate * 60:.1f}/min" if progress.rate < 1 else f" · {progress.rate:.1f}/s")
        eta = progress.eta
        if session.state in ("running", "paused") and progress.done < progress.total:
            line.append(f" · ETA {elapsed(eta)}" if eta is not None else " · ETA —")
        line.append(f" · {elapsed(progress.now - progress.started_at)} elapsed", style="dim")
    state = {
        "running": ("running", "bold"),
        "paused": ("paused — p resumes", "bold yellow"),
        "done": ("finished", "bold green"),
        "cancelled": ("cancelled", "bold yellow"),
        "stopped": ("stopped — resumes at the next start", "bold yellow"),
        "failed": (f"failed: {one_line(session.error, 200)}", "bold red"),
    }.get(session.state, (session.state, ""))
    line.append(" · ")
    line.append(state[0], style=state[1])
    counts = session.counts()
    extra = [f"{counts[s]} {s}" for s in ("cached", "duplicate", "skipped", "failed") if counts.get(s)]
    if extra:
        line.append("  (" + ", ".join(extra) + ")", style="dim")
    return line


class BatchStartScreen(ModalScreen[tuple[str, ...] | None]):
    """What to run over the marked files."""

    BINDINGS = [
        Binding("escape", "close", "Cancel", id="animetui.close"),
    ]

    def __init__(self, files: list[Path]) -> None:
        super().__init__(classes="dialog-screen")
        self.files = files

    def compose(self) -> ComposeResult:
        with Vertical(id="batch-start-dialog", classes="dialog") as dialog:
            dialog.border_title = f"Batch lookup · {len(self.files)} file{'s' if len(self.files) != 1 else ''}"
            folders = sorted({str(p.parent) for p in self.files})
            where = display_path(folders[0]) if len(folders) == 1 else f"{len(folders)} folders"
            yield Static(Text(f"From {where}. Copies of one picture are looked up once; pictures already in the history cost nothing.", style="italic"))
            yield OptionList(*(Option(label, id=f"kinds-{n}") for n, (label, _k) in enumerate(KIND_CHOICES)), id="batch-kinds")
            with Horizontal(classes="buttons"):
                yield Button("Start (Enter)", variant="primary", id="start", compact=True)
                yield Button("Cancel (Esc)", id="cancel", compact=True)

    DEFAULT_CSS = """
    #batch-start-dialog OptionList { height: auto; margin-top: 1; border: tall $panel; }
    #batch-start-dialog OptionList:focus { border: tall $primary; }
    """

    def on_mount(self) -> None:
        kinds = self.query_one("#batch-kinds", OptionList)
        kinds.styles.height = "auto"  # the app's OptionList rule (1fr) would fill the dialog
        kinds.highlighted = 0
        kinds.focus()

    @on(OptionList.OptionSelected, "#batch-kinds")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(KIND_CHOICES[event.option_index][1])

    @on(Button.Pressed, "#start")
    def _start(self) -> None:
        index = self.query_one("#batch-kinds", OptionList).highlighted or 0
        self.dismiss(KIND_CHOICES[index][1])

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)


class BatchScreen(ModalScreen[None]):
    """Progress, notes and the summary of the app's batch session.

    Modal so the app-wide letter keys do not act on the panes hidden behind it.
    """

    BINDINGS = bindings("batch")
    DEFAULT_CSS = """
    BatchScreen { layout: vertical; background: $background; }
    BatchScreen #batch-title { height: 1; padding: 0 1; background: $panel; text-style: bold; }
    BatchScreen #batch-bar { height: 1; padding: 0 1; }
    BatchScreen #batch-bar Bar { width: 1fr; }
    BatchScreen #batch-progress { height: 1; padding: 0 1; }
    BatchScreen #batch-notes { height: auto; max-height: 4; padding: 0 1; color: $warning; }
    BatchScreen #batch-table { height: 1fr; }
    """

    def __init__(self, session: BatchSession, *, downloads_dir: Path, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self._common: str | None = None  # the folder paths are shown relative to (worked out once)
        self.session = session
        self.downloads_dir = downloads_dir
        self.clock = clock
        self._rows: set[int] = set()

    def compose(self) -> ComposeResult:
        yield Static("", id="batch-title")
        yield ProgressBar(id="batch-bar", show_eta=False, show_percentage=True)
        yield Static("", id="batch-progress")
        yield Static("", id="batch-notes")
        yield DataTable(id="batch-table", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    @property
    def table(self) -> DataTable:
        return self.query_one("#batch-table", DataTable)

    def on_mount(self) -> None:
        table = self.table
        table.add_column("File", key="file", width=28)
        table.add_column("Kind", key="kind", width=6)
        table.add_column("Status", key="status", width=9)
        # A fixed width, cut at the screen's edge (DataTable overflow-x is hidden): widening the column
        # as answers arrive (update_cell(update_width=True)) left rows drawn with stale column widths.
        table.add_column("Best match", key="best", width=80)
        self.session.listeners.append(self._session_changed)
        table.focus()
        self.redraw()

    def on_unmount(self) -> None:
        if self._session_changed in self.session.listeners:
            self.session.listeners.remove(self._session_changed)

    def _session_changed(self, session: BatchSession) -> None:
        self.redraw()

    def redraw(self) -> None:
        session = self.session
        title = Text("Batch")
        if session.batch_id is not None:
            title.append(f" #{session.batch_id}")
        kinds = " + ".join("scene search" if k == "scene" else "character recognition" for k in session.kinds)
        title.append(f" · {kinds}")
        if session.resumed:
            title.append(" · resumed", style="dim")
        title.append("  ·  p pause/resume · x cancel · e export · Esc back", style="dim not bold")
        self.query_one("#batch-title", Static).update(title)
        bar = self.query_one("#batch-bar", ProgressBar)
        progress = session.progress
        if progress is not None and progress.total:
            bar.update(total=progress.total, progress=progress.done)
        elif session.state in ("done", "cancelled"):
            bar.update(total=1, progress=1)
        else:
            bar.update(total=None)
        self.query_one("#batch-progress", Static).update(progress_line(session))
        notes = Text("\n".join(f"⚠ {one_line(n, 300)}" for n in session.notes))
        self.query_one("#batch-notes", Static).update(notes)
        self._update_rows()

    def _update_rows(self) -> None:
        table = self.table
        for item in self.session.summary():
            cells = self._cells(item)
            key = str(item.id)
            if item.id not in self._rows:
                self._rows.add(item.id)
                table.add_row(*cells, key=key)
            else:
                for column, cell in zip(("file", "kind", "status", "best"), cells, strict=True):
                    table.update_cell(key, column, cell)

    def _shown_path(self, path: str) -> str:
        """Relative to the folder the batch covers (two ``classroom.png`` stay apart), else the name."""
        import os

        from animetui.batch import relative_to_root

        if self._common is None:
            paths = [str(p) for p in self.session.paths] or [i.path for i in self.session.items.values()]
            try:
                self._common = self.session.root or (os.path.dirname(os.path.commonpath(paths)) if len(paths) == 1 else os.path.commonpath(paths))
            except ValueError:
                self._common = ""
        return relative_to_root(path, self._common) if self._common else Path(path).name

    def _cells(self, item: "BatchItem") -> tuple[Text, ...]:
        best = item.headline or item.detail
        return (
            Text(one_line(self._shown_path(item.path), 120)),
            Text("scene" if item.kind == "scene" else "chars"),
            Text(item.status, style=STATUS_STYLE.get(item.status, "")),
            Text(one_line(best, 200), style="" if item.headline else "dim italic"),
        )

    # ------------------------------------------------------------------ actions
    def action_toggle_pause(self) -> None:
        session = self.session
        if session.state == "running":
            session.pause()
            self.app.notify("Batch paused: lookups in flight finish, no new one starts.", title="Batch", timeout=3)
        elif session.state == "paused":
            session.resume()
            self.app.notify("Batch resumed.", title="Batch", timeout=2)
        else:
            self.app.notify("The batch is not running.", timeout=2)

    def action_cancel(self) -> None:
        if not self.session.running:
            self.app.notify("The batch is not running.", timeout=2)
            return
        self.session.cancel()
        self.app.notify("Cancelling the batch: lookups in flight finish, the rest are left.", title="Batch", timeout=3)

    def action_export(self) -> None:
        from animetui.ui.screens.export_to import ask_folder

        if not self.session.items:
            self.app.notify("Nothing to export yet.", title="Export", severity="warning")
            return
        ask_folder(self, "the batch summary", self.downloads_dir, self._export_to)

    @work(group="batch-export", exit_on_error=False)
    async def _export_to(self, folder: Path) -> None:
        try:
            json_path, csv_path = await asyncio.to_thread(write_batch_export, self.session, folder, self.clock())
        except OSError as exc:
            self.app.notify(f"Could not write the export to {display_path(folder)}: {exc}", title="Export failed", severity="error", markup=False)
            return
        self.app.notify(f"Batch summary written to {display_path(json_path)} and {csv_path.name}", title="Exported", timeout=8, markup=False)

    def action_close(self) -> None:
        if self.session.running:
            self.app.notify("The batch keeps running; B shows it again.", title="Batch", timeout=3)
        self.dismiss(None)
