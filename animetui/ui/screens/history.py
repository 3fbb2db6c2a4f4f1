"""History screen (``h``): every past lookup, newest first, filtered as you type, offline.

* Rows are thumbnail-free (time, kind, source file, best answer) so a big history stays cheap;
  the table is paged: :data:`PAGE` rows at a time, the next page loaded (``History.list(limit,
  offset)``) when the cursor comes within :data:`PREFETCH` rows of the end. A history of 10,000
  lookups never puts 10,000 rows in the DataTable.
* The filter box matches titles, characters, works and file names. Typing is debounced
  (:data:`DEBOUNCE` s) and each query runs in an exclusive worker (a newer query cancels the
  older), on the screen's own SQLite connection, in a thread.
* The highlighted lookup is shown as it was, offline: the stored result (no request) beside the
  picture — the source file when it still exists, else the stored thumbnail.
* ``R`` re-runs it as a fresh lookup (``refresh=True``: a request, new history row), ``space``
  marks rows, ``d`` deletes the marked rows (or the highlighted one), ``e`` exports the marked
  rows — or, with none marked, every row the filter matches — to JSON and CSV files in the
  downloads folder, and says where.

Assumption: the screen opens its own :class:`~animetui.history.History` on the app's history file
(SQLite WAL allows a reader beside the writer), so reads in a thread never share the lookup
service's connection.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static

from animetui.ui.bindings import bindings
from animetui.ui.messages import LookupRequested
from animetui.ui.format import display_path, one_line, percent, span
from animetui.ui.pictures.view import ImageView
from animetui.ui.widgets.key_footer import KeyFooter
from animetui.ui.widgets.row_detail import RowDetail
from animetui.ui.widgets.safe_input import SafeInput

if TYPE_CHECKING:
    from animetui.history import History, HistoryEntry, UnavailableHistory

PAGE = 100
PREFETCH = 10
DEBOUNCE = 0.12
KIND_LABEL = {"scene": "scene", "characters": "chars"}


def entry_time(created_at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(created_at))


def result_text(entry: "HistoryEntry") -> Text:
    """The stored result, as the Results pane would list it (server strings as plain Text)."""
    from animetui.models import SceneResult

    out = Text()
    out.append(f"{'Scene search' if entry.kind == 'scene' else 'Character recognition'} · {entry.provider}", style="bold")
    out.append(f" · {entry_time(entry.created_at)}\n", style="dim")
    source = entry.source_path or entry.source_url or entry.source_label
    out.append(one_line(display_path(source) if entry.source_path else source, 300) + "\n", style="italic")
    result = entry.result
    if isinstance(result, SceneResult):
        if not result.matches:
            out.append("no match found\n")
        for index, match in enumerate(result.matches, start=1):
            out.append(f"{index:>2} ", style="dim")
            out.append(f"{percent(match.similarity):>4} ", style="bold")
            if match.episode:
                out.append(f"ep {one_line(str(match.episode), 12)} ")
            out.append(f"{span(match.start, match.end)} ")
            out.append(one_line(match.title, 200) + "\n")
        return out
    if result.ai is True:
        out.append("AI-generated: likely\n", style="bold")
    elif result.ai is False:
        out.append("AI-generated: no\n")
    if not result.detections:
        out.append("no characters found\n")
    for index, detection in enumerate(result.detections, start=1):
        out.append(f"{index}{'?' if detection.not_confident else ' '} ", style="bold")
        if not detection.candidates:
            out.append("(no candidate)\n", style="dim")
        for n, cand in enumerate(detection.candidates[:5]):
            prefix = "" if n == 0 else "   "
            out.append(f"{prefix}{one_line(cand.character, 80)}", style="" if n else "bold")
            out.append(f" — {one_line(cand.work, 80)}\n", style="dim")
    return out


class HistoryScreen(ModalScreen[None]):
    """Past lookups: filter, open offline, re-run, delete, export.

    Modal so the app-wide letter keys do not act on the panes hidden behind it.
    """

    BINDINGS = bindings("history")
    DEFAULT_CSS = """
    HistoryScreen { layout: vertical; background: $background; }
    HistoryScreen #history-filter { margin: 0 1; }
    HistoryScreen #history-status { height: 1; padding: 0 1; background: $panel; color: $text-muted; }
    HistoryScreen #history-body { height: 1fr; }
    HistoryScreen #history-list { width: 3fr; height: 1fr; }
    HistoryScreen #history-table { height: 1fr; }
    HistoryScreen #history-row { display: none; }
    HistoryScreen.-narrow #history-row { display: block; }
    HistoryScreen.-narrow #history-row.-empty { display: none; }
    HistoryScreen #history-detail { width: 2fr; height: 1fr; border-left: solid $border-blurred; }
    HistoryScreen #history-image { height: 1fr; min-height: 5; }
    HistoryScreen #history-result-scroll { height: 1fr; }
    HistoryScreen.-narrow #history-detail { display: none; }
    HistoryScreen.-narrow.-detail-open #history-detail { display: block; width: 1fr; border-left: none; }
    HistoryScreen.-narrow.-detail-open #history-list { display: none; }
    """

    def __init__(self, history: "History | UnavailableHistory", *, downloads_dir: Path, renderer: str, clock: Any = time.time) -> None:
        super().__init__()
        self.shared_history = history  # the runtime's: not closed here
        self.downloads_dir = downloads_dir
        self.renderer = renderer
        self.clock = clock
        self.history: History | UnavailableHistory | None = history  # unavailable: every read says why
        self.query_text = ""
        self.entries: list[HistoryEntry] = []
        self.marked: set[int] = set()
        self.exhausted = False
        self.total = 0
        self.shown_id: int | None = None
        self._debounce: Timer | None = None
        self._gen = 0

    def compose(self) -> ComposeResult:
        yield SafeInput(placeholder="filter: title, character or file name", id="history-filter", compact=True)
        yield Static("", id="history-status")
        with Horizontal(id="history-body"):
            with Vertical(id="history-list"):
                yield DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
                yield RowDetail(id="history-row")
            with Vertical(id="history-detail"):
                yield ImageView(id="history-image", renderer=self.renderer, placeholder="Highlight a lookup")
                with VerticalScroll(id="history-result-scroll"):
                    yield Static("", id="history-result")
        yield KeyFooter()

    @property
    def table(self) -> DataTable:
        return self.query_one("#history-table", DataTable)

    def on_mount(self) -> None:
        table = self.table
        table.add_column(" ", key="mark", width=1)
        table.add_column("When", key="when", width=16)
        table.add_column("Kind", key="kind", width=6)
        table.add_column("File", key="file", width=22)
        table.add_column("Best answer", key="best")
        self.set_class(self.app.size.width < 100, "-narrow")
        table.focus()
        self.reload()

    def on_resize(self) -> None:
        self.set_class(self.size.width < 100, "-narrow")

    def _open(self) -> "History | UnavailableHistory":
        return self.shared_history

    # ------------------------------------------------------------------ loading
    def reload(self) -> None:
        """Load the first page for the current filter (cancels any load in flight)."""
        self._gen += 1
        self._load(self._gen, self.query_text, 0, PAGE, reset=True)

    @work(exclusive=True, group="history-load", exit_on_error=False)
    async def _load(self, gen: int, query: str, offset: int, limit: int, *, reset: bool) -> None:
        history = await asyncio.to_thread(self._open) if self.history is None else self.history

        def fetch() -> tuple[list[HistoryEntry], int | None]:
            rows = history.list(query=query, limit=limit + 1, offset=offset)
            total = history.count() if reset and not query else None
            return rows, total

        rows, total = await asyncio.to_thread(fetch)
        if gen != self._gen:
            return
        more = len(rows) > limit
        rows = rows[:limit]
        if reset:
            self.entries = []
            self.table.clear()
            self.marked &= {e.id for e in rows}
        if total is not None:
            self.total = total
        self.exhausted = not more
        self.entries.extend(rows)
        for entry in rows:
            self.table.add_row(*self._cells(entry), key=str(entry.id))
        self._update_status()
        if reset:
            if self.entries:
                self.table.move_cursor(row=0, animate=False)
                self._show(self.entries[0])
            else:
                self._show(None)

    def _cells(self, entry: "HistoryEntry") -> tuple[Text, ...]:
        name = Path(entry.source_path).name if entry.source_path else (entry.source_url or entry.source_label)
        return (
            Text("●" if entry.id in self.marked else " ", style="bold"),
            Text(entry_time(entry.created_at), style="dim"),
            Text(KIND_LABEL.get(entry.kind, entry.kind)),
            Text(one_line(name, 120)),
            Text(one_line(entry.headline, 200) or "?"),
        )

    def _update_status(self) -> None:
        line = Text()
        shown = len(self.entries)
        if self.query_text:
            line.append(f"{shown}{'+' if not self.exhausted else ''} matching “{one_line(self.query_text, 40)}”")
        else:
            line.append(f"{self.total} lookup{'s' if self.total != 1 else ''}")
            if not self.exhausted:
                line.append(f" · {shown} loaded")
        if self.marked:
            line.append(f" · {len(self.marked)} marked")
        line.append("  ·  Enter open · R re-run · space mark · d delete · e export · Esc back", style="dim")
        self.query_one("#history-status", Static).update(line)

    @on(DataTable.RowHighlighted, "#history-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        row = event.cursor_row
        if 0 <= row < len(self.entries):
            self._show(self.entries[row])
        if not self.exhausted and row >= len(self.entries) - PREFETCH:
            self.exhausted = True  # one page request at a time; _load sets it again
            self._load(self._gen, self.query_text, len(self.entries), PAGE, reset=False)

    @on(DataTable.RowSelected, "#history-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    # ------------------------------------------------------------------ filtering
    @on(Input.Changed, "#history-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(DEBOUNCE, lambda: self.apply_filter(event.value))

    @on(Input.Submitted, "#history-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self.apply_filter(event.value)
        self.table.focus()

    def apply_filter(self, text: str) -> None:
        text = text.strip()
        if text == self.query_text:
            return
        self.query_text = text
        self.reload()

    # ------------------------------------------------------------------ the open lookup
    def _show(self, entry: "HistoryEntry | None") -> None:
        body = self.query_one("#history-result", Static)
        image = self.query_one("#history-image", ImageView)
        self._show_row(entry)
        if entry is None:
            self.shown_id = None
            body.update(Text("No lookups yet." if not self.query_text else "Nothing matches the filter.", style="italic"))
            image.clear("No picture")
            return
        if entry.id == self.shown_id:
            return
        self.shown_id = entry.id
        body.update(result_text(entry))
        self._show_picture(entry)

    def _show_row(self, entry: "HistoryEntry | None") -> None:
        """Narrow screens (no detail pane beside the table): the highlighted lookup's file and
        answer in full under the table."""
        row = self.query_one("#history-row", RowDetail)
        if entry is None:
            row.show(None)
            return
        source = entry.source_path or entry.source_url or entry.source_label
        text = Text(one_line(display_path(source) if entry.source_path else source, 300), style="bold")
        text.append(f" · {one_line(entry.headline, 300) or '?'}")
        row.show(text)

    @work(exclusive=True, group="history-picture", exit_on_error=False)
    async def _show_picture(self, entry: "HistoryEntry") -> None:
        image = self.query_one("#history-image", ImageView)
        path = Path(entry.source_path) if entry.source_path else None
        exists = path is not None and await asyncio.to_thread(path.is_file)
        if exists:
            image.show(path, key=f"h{entry.id}", label=path.name)  # type: ignore[union-attr]
            self._show_boxes(image, entry)
            return
        thumb = await asyncio.to_thread(self._open().thumbnail, entry.id) if entry.has_thumbnail else None
        if self.shown_id != entry.id:
            return
        if thumb:
            image.show(thumb, key=f"t{entry.id}", label="stored thumbnail (the file is gone)")
            self._show_boxes(image, entry)
        else:
            image.clear("No picture stored for this lookup")

    @staticmethod
    def _show_boxes(image: ImageView, entry: "HistoryEntry") -> None:
        """A character lookup's boxes, numbered as in its stored result (boxes are relative: any size fits)."""
        from animetui.pictures.imaging import Box

        detections = getattr(entry.result, "detections", None) or ()
        if detections:
            image.set_boxes([Box(d.box, i, d.not_confident) for i, d in enumerate(detections, start=1)])

    @property
    def current(self) -> "HistoryEntry | None":
        row = self.table.cursor_row
        return self.entries[row] if 0 <= row < len(self.entries) else None

    # ------------------------------------------------------------------ actions
    def action_focus_filter(self) -> None:
        self.query_one("#history-filter", Input).focus()

    def action_close(self) -> None:
        if self.has_class("-detail-open"):
            self.remove_class("-detail-open")
            self.table.focus()
            return
        focused = self.app.focused
        if isinstance(focused, Input) and focused.value:
            focused.value = ""
            self.apply_filter("")
            self.table.focus()
            return
        self.dismiss(None)

    def action_open(self) -> None:
        entry = self.current
        if entry is None:
            return
        self.shown_id = None
        self._show(entry)
        if self.has_class("-narrow"):
            self.add_class("-detail-open")  # the detail replaces the list until Esc
        self.query_one("#history-result-scroll").focus()

    def action_toggle_mark(self) -> None:
        entry = self.current
        if entry is None:
            return
        if entry.id in self.marked:
            self.marked.discard(entry.id)
        else:
            self.marked.add(entry.id)
        row = self.table.cursor_row
        self.table.update_cell(str(entry.id), "mark", self._cells(entry)[0])
        if row + 1 < len(self.entries):
            self.table.move_cursor(row=row + 1)
        self._update_status()

    def action_rerun(self) -> None:
        from animetui.models import ImageSource

        entry = self.current
        if entry is None:
            return
        if entry.source_path and Path(entry.source_path).is_file():
            source = ImageSource(path=Path(entry.source_path), name=Path(entry.source_path).name)
        elif entry.source_url:
            source = ImageSource.parse(entry.source_url)
        else:
            self.app.notify(
                f"{entry.source_path or entry.source_label} no longer exists, so it cannot be looked up again.",
                title="Cannot re-run",
                severity="warning",
                markup=False,
            )
            return
        self.dismiss(None)
        self.app.screen_stack[0].post_message(LookupRequested(source, (entry.kind,), refresh=True))  # the main screen routes

    def action_delete(self) -> None:
        """Ask, then delete the marked lookups (or the highlighted one): deleting cannot be undone."""
        from animetui.ui.screens.confirm import ConfirmScreen

        ids = sorted(self.marked) if self.marked else ([self.current.id] if self.current else [])
        if not ids:
            return
        count = len(ids)
        what = f"the {count} marked lookups" if count != 1 else "this lookup"

        def answered(sure: bool | None) -> None:
            if sure:
                self._delete(ids)

        self.app.push_screen(
            ConfirmScreen(
                f"Delete {count} lookup{'s' if count != 1 else ''}?",
                f"Delete {what} from the history? Their stored results and pictures go too; this cannot be undone.",
                yes="Delete",
                no="Keep",
            ),
            answered,
        )

    @work(group="history-edit", exit_on_error=False)
    async def _delete(self, ids: list[int]) -> None:
        history = self._open()
        removed = await asyncio.to_thread(history.delete, ids)
        self.marked.clear()
        row = self.table.cursor_row
        self.app.notify(f"Deleted {removed} lookup{'s' if removed != 1 else ''} from the history.", title="History", timeout=3)
        self.shown_id = None
        self._gen += 1
        limit = max(PAGE, len(self.entries))
        await self._load(self._gen, self.query_text, 0, limit, reset=True).wait()
        if self.entries:
            self.table.move_cursor(row=min(row, len(self.entries) - 1), animate=False)

    def action_export(self) -> None:
        from animetui.ui.screens.export_to import ask_folder

        what = f"{len(self.marked)} marked lookup{'s' if len(self.marked) != 1 else ''}" if self.marked else "the listed lookups"
        ask_folder(self, what, self.downloads_dir, self._export_to)

    @work(group="history-edit", exit_on_error=False)
    async def _export_to(self, folder: Path) -> None:
        from animetui.errors import AnimetuiError

        history = self._open()
        query, marked = self.query_text, set(self.marked)

        def collect() -> list[HistoryEntry]:
            if marked:
                return [e for e in (history.get(i) for i in sorted(marked, reverse=True)) if e is not None]
            out: list[HistoryEntry] = []
            while True:
                page = history.list(query=query, limit=1000, offset=len(out))
                out.extend(page)
                if len(page) < 1000:
                    return out

        entries = await asyncio.to_thread(collect)
        if not entries:
            self.app.notify("Nothing to export.", title="Export", severity="warning")
            return
        try:
            json_path, csv_path = await asyncio.to_thread(write_history_export, entries, folder, self.clock())
        except (OSError, AnimetuiError) as exc:
            self.app.notify(f"Could not write the export to {display_path(folder)}: {exc}", title="Export failed", severity="error", markup=False)
            return
        what = f"{len(entries)} marked lookup{'s' if len(entries) != 1 else ''}" if marked else f"{len(entries)} lookup{'s' if len(entries) != 1 else ''}"
        self.app.notify(
            f"{what} written to {display_path(json_path)} and {csv_path.name}",
            title="Exported",
            timeout=8,
            markup=False,
        )


def export_paths(folder: Path, stem: str, now: float) -> tuple[Path, Path]:
    """``<stem>-YYYYmmdd-HHMMSS.json/.csv`` in ``folder``, numbered if taken."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    n = 0
    while True:
        suffix = f"-{n}" if n else ""
        json_path = folder / f"{stem}-{stamp}{suffix}.json"
        csv_path = json_path.with_suffix(".csv")
        if not json_path.exists() and not csv_path.exists():
            return json_path, csv_path
        n += 1


def write_history_export(entries: list["HistoryEntry"], folder: Path, now: float) -> tuple[Path, Path]:
    from animetui.history import export_csv, export_json

    folder.mkdir(parents=True, exist_ok=True)
    json_path, csv_path = export_paths(folder, "animetui-history", now)
    json_path.write_text(export_json(entries), encoding="utf-8")
    csv_path.write_text(export_csv(entries), encoding="utf-8", newline="")
    return json_path, csv_path
