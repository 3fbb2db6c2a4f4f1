"""Your own library (issue 15): folders, files, indexed hours, the indexing job's progress and ETA.

Opened with ``I`` or the palette ("Library"). ``a`` adds a folder (a path box, and a box to tick
to watch it for new episodes, as ``library add DIR --watch``), ``R`` rescans,
``p`` pauses or resumes, ``x`` cancels, ``t`` corrects the highlighted folder's title (empty: from
the file names again), Esc goes back. The indexer is a separate niced process
(:mod:`animetui.library.worker`) whose state lives in ``library.sqlite3``; this screen reads it
once a second in a thread (:func:`animetui.library.control.overview`), so the event loop never
waits on SQLite or the disk. Paths and titles come from the user's disk: every string goes
through :func:`animetui.text.safe`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, DataTable, Input, ProgressBar, Static

from animetui.text import safe
from animetui.ui.bindings import bindings
from animetui.ui.format import display_path
from animetui.ui.widgets.key_footer import KeyFooter
from animetui.ui.widgets.safe_input import SafeInput

if TYPE_CHECKING:
    from animetui.library.control import Overview

POLL_SECONDS = 1.0


_Answer = TypeVar("_Answer")


class _TextDialog(ModalScreen[_Answer | None]):
    """A line of text to type, with what :meth:`extras` adds below it: Enter gives
    :meth:`answer` back, Esc None."""

    BINDINGS = [Binding("escape", "close", "Cancel", id="animetui.close")]

    def __init__(self, title: str, label: str, value: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.title_text, self.label, self.value = title, label, value

    def extras(self) -> ComposeResult:
        return iter(())

    def answer(self, text: str) -> _Answer:
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog", classes="dialog") as dialog:
            dialog.border_title = Text(safe(self.title_text, limit=60))
            yield Static(Text(safe(self.label, limit=200)))
            yield SafeInput(self.value, id="ask-text", compact=True)
            yield from self.extras()
            with Horizontal(classes="buttons"):
                yield Button("OK (Enter)", variant="primary", id="ok", compact=True)
                yield Button("Cancel (Esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        box = self.query_one("#ask-text", Input)
        box.focus()
        box.cursor_position = len(box.value)

    @on(Input.Submitted, "#ask-text")
    @on(Button.Pressed, "#ok")
    def action_ok(self) -> None:
        self.dismiss(self.answer(self.query_one("#ask-text", Input).value))

    @on(Button.Pressed, "#cancel")
    def action_close(self) -> None:
        self.dismiss(None)


class AskTextScreen(_TextDialog[str]):
    """One line of text (a folder, a title): Enter gives it back, Esc gives None."""

    def answer(self, text: str) -> str:
        return text


class _TickBox(Checkbox, inherit_bindings=False):
    """Space ticks it; Enter is left to the dialog (it adds the folder, as everywhere else in it)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("space", "toggle_button", "Toggle", show=False)]


class AddFolderScreen(_TextDialog[tuple[str, bool]]):
    """The folder to add and whether to watch it for new episodes (``library add DIR --watch``):
    Enter gives ``(folder, watch)`` back, Esc None. Space ticks the box when it has the focus."""

    BINDINGS = [Binding("enter", "ok", "Add", show=False)]

    def __init__(self, value: str = "") -> None:
        super().__init__("Add a folder", "The folder of your episodes (indexed in the background, niced):", value)

    def extras(self) -> ComposeResult:
        yield _TickBox("Watch it: index new episodes as they appear", id="watch", compact=True)

    def answer(self, text: str) -> tuple[str, bool]:
        return text, self.query_one("#watch", Checkbox).value


def _hours(value: float) -> str:
    seconds = value * 3600
    if seconds < 59.5:
        return f"{seconds:.0f} s"
    return f"{value:.1f} h" if value >= 0.95 else f"{seconds / 60:.0f} min"


class LibraryScreen(ModalScreen[None]):
    """Modal, so the app-wide letter keys do not act on the panes behind it."""

    BINDINGS: ClassVar[list[BindingType]] = [*bindings("library")]
    DEFAULT_CSS = """
    LibraryScreen { layout: vertical; background: $background; }
    LibraryScreen #library-title { height: 1; padding: 0 1; background: $panel; text-style: bold; }
    LibraryScreen #library-bar { height: 1; padding: 0 1; }
    LibraryScreen #library-bar Bar { width: 1fr; }
    LibraryScreen #library-job { height: 1; padding: 0 1; }
    LibraryScreen #library-notes { height: auto; max-height: 4; padding: 0 1; color: $warning; }
    LibraryScreen #library-table { height: 1fr; }
    """

    def __init__(self, data_dir: Path, *, config: str | None = None, poll: float = POLL_SECONDS,
                 start_worker: bool = True, runner: Any = None) -> None:
        super().__init__()
        self.data_dir = Path(data_dir)
        self.config = config
        self.poll = poll
        self.start_worker = start_worker  # tests turn the background process off
        #: the app's job runner: the indexing starts as an ``index`` job (the Jobs pane shows it);
        #: without one (or with ``start_worker`` off) the steps start the worker themselves, or not
        self.runner = runner
        self.view: Overview | None = None
        self.note = ""
        self.loads = 0  # overviews read so far (tests wait on it)
        self._folder_ids: list[int] = []

    def compose(self) -> ComposeResult:
        yield Static("Library", id="library-title")
        yield ProgressBar(id="library-bar", show_eta=False, show_percentage=True)
        yield Static("", id="library-job")
        yield Static("", id="library-notes")
        yield DataTable(id="library-table", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    @property
    def table(self) -> DataTable:
        return self.query_one("#library-table", DataTable)

    def on_mount(self) -> None:
        table = self.table
        table.add_column("Folder", key="folder", width=36)
        table.add_column("Title", key="title", width=24)
        table.add_column("Files", key="files", width=9)
        table.add_column("Indexed", key="hours", width=16)
        table.add_column("", key="state", width=16)
        table.focus()
        if self.view is not None:
            self.redraw()
        self.refresh_view()
        if self.poll > 0:
            self.set_interval(self.poll, self.refresh_view)

    # ------------------------------------------------------------------ reading
    @work(exclusive=True, group="library-read")
    async def refresh_view(self) -> None:
        from animetui.library.control import overview

        view = await asyncio.to_thread(overview, self.data_dir)
        self.view = view
        self.loads += 1
        self.redraw()

    def redraw(self) -> None:
        from animetui.library.control import job_line

        view = self.view
        title = Text("Library")
        if view is not None and view.exists:
            title.append(f" · {len(view.folders)} folder{'s' if len(view.folders) != 1 else ''} · "
                         f"{_hours(view.indexed_hours)} indexed · {view.disk_bytes / 1e6:.1f} MB on disk")
        self.query_one("#library-title", Static).update(title)
        job = view.job if view is not None else None
        bar = self.query_one("#library-bar", ProgressBar)
        bar.update(total=100, progress=(job.progress or 0) * 100 if job and job.progress is not None else 0)
        line = Text()
        if view is None:
            line.append("reading the library…", style="italic")
        elif view.error:
            line.append(safe(view.error, limit=200), style="bold red")
        elif not view.exists:
            line.append("No library yet: a adds a folder of your episodes (offline scene search, no quota).", style="italic")
        else:
            line.append(safe(job_line(job), limit=200), style="bold" if job and job.running else "")
            if job is not None and job.state == "interrupted":
                line.append(" — p resumes", style="yellow")
        self.query_one("#library-job", Static).update(line)
        notes = [self.note] if self.note else []
        if view is not None:
            if job is not None and job.message:
                notes.append(job.message)
            notes += list(view.problems[:3])
        self.query_one("#library-notes", Static).update(Text("\n".join(safe(n, limit=200) for n in notes)))
        self._fill_table()

    def _fill_table(self) -> None:
        table = self.table
        if not table.columns:  # read before on_mount made the columns: on_mount draws it
            return
        folders = self.view.folders if self.view is not None else ()
        ids = [f.id for f in folders]
        if ids != self._folder_ids:
            table.clear()
            for f in folders:
                table.add_row(*self._cells(f), key=str(f.id))
            self._folder_ids = ids
            return
        for f in folders:
            for column, cell in zip(("folder", "title", "files", "hours", "state"), self._cells(f), strict=True):
                table.update_cell(str(f.id), column, cell)

    @staticmethod
    def _cells(f: object) -> tuple[Text, Text, Text, Text, Text]:
        from animetui.library.control import FolderView

        assert isinstance(f, FolderView)
        state = "not reachable" if f.offline else ("watching" if f.watch else "")
        if f.problems:
            state = f"{state} · {f.problems} unreadable".strip(" ·")
        return (
            Text(safe(display_path(f.path), limit=200), no_wrap=True, overflow="ellipsis"),
            Text(safe(f.title, limit=120) if f.title else "(from file names)", style="" if f.title else "dim italic"),
            Text(f"{f.indexed_files}/{f.files}"),
            Text(f"{_hours(f.indexed_hours)} of {_hours(f.total_hours)}"),
            Text(state, style="yellow" if f.offline or f.problems else "dim"),
        )

    # ------------------------------------------------------------------ acting
    def _highlighted_folder(self) -> int | None:
        table = self.table
        if not self._folder_ids or table.cursor_row < 0 or table.cursor_row >= len(self._folder_ids):
            return None
        return self._folder_ids[table.cursor_row]

    @property
    def _as_job(self) -> bool:
        return self.runner is not None and self.start_worker

    @property
    def _start_here(self) -> bool:
        """Whether the control steps start the worker themselves (no runner to start a job)."""
        return self.start_worker and self.runner is None

    def _run(self, step: Callable[[], str], *, index: bool = False, watch: bool = False) -> None:
        async def go() -> None:
            self.note = await asyncio.to_thread(step)
            if index and self._as_job:
                await self._submit_index(watch=watch)
            self.app.notify(safe(self.note, limit=200), title="Library", timeout=4, markup=False)
            self.refresh_view()  # exclusive: a newer read replaces an older one

        self.run_worker(go(), group="library-act")

    async def _submit_index(self, *, watch: bool = False) -> None:
        """Queue the ``index`` job (or find the one running); a failure is one line in the note."""
        from animetui.errors import AnimetuiError
        from animetui.jobs.index import submit_index

        watch = watch or (any(f.watch for f in self.view.folders) if self.view is not None else False)
        try:
            job = await submit_index(self.runner, self.data_dir, config=self.config, watch=watch)
            self.note = f"{self.note}; indexing in the background (job {job.id[:8]}, Jobs pane)"
        except (AnimetuiError, RuntimeError) as exc:
            self.note = f"{self.note}; the indexing could not start: {exc}"

    def _active_job(self) -> Any:
        if self.runner is None:
            return None
        target = str(self.data_dir)
        return next((j for j in self.runner.list() if str(j.kind) == "index" and not j.state.terminal
                     and j.params.get("data_dir") == target), None)

    def action_add_folder(self) -> None:
        from animetui.library import control

        def chosen(answer: tuple[str, bool] | None) -> None:
            if answer and answer[0]:
                text, watch = answer
                self._run(lambda: control.add_folder(self.data_dir, text, config=self.config, start=self._start_here, watch=watch),
                          index=True, watch=watch)

        self.app.push_screen(AddFolderScreen(str(Path.home())), chosen)

    def action_rescan(self) -> None:
        from animetui.library import control

        self._run(lambda: control.rescan(self.data_dir, config=self.config, start=self._start_here), index=True)

    def action_toggle_pause(self) -> None:
        from animetui.library import control

        job = self.view.job if self.view is not None else None
        what = "pause" if job is not None and job.state == "running" and job.running else "resume"
        self._run(lambda: control.steer(self.data_dir, what, config=self.config, start=self._start_here), index=what == "resume")

    def action_cancel(self) -> None:
        from animetui.library import control

        job = self._active_job()
        if job is not None:  # the runner journals the cancel and its driver tells the worker
            async def go() -> None:
                from animetui.errors import AnimetuiError

                try:
                    done = await self.runner.cancel(job.id)
                    self.note = done.error
                except AnimetuiError as exc:
                    self.note = str(exc)
                self.app.notify(safe(self.note, limit=200), title="Library", timeout=4, markup=False)
                self.refresh_view()

            self.run_worker(go(), group="library-act")
            return
        self._run(lambda: control.steer(self.data_dir, "cancel", config=self.config))

    def action_title(self) -> None:
        from animetui.library import control

        folder_id = self._highlighted_folder()
        if folder_id is None:
            self.app.notify("Add a folder first (a).", title="Library", severity="warning", timeout=3)
            return
        current = next((f.title or "" for f in self.view.folders if f.id == folder_id), "") if self.view else ""

        def chosen(text: str | None) -> None:
            if text is not None:
                self._run(lambda: control.set_title(self.data_dir, folder_id, text))

        self.app.push_screen(AskTextScreen("Correct the title", "Title for every file in this folder (empty: from the file names):",
                                           current), chosen)

    def action_close(self) -> None:
        self.dismiss(None)
