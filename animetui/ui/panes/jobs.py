"""Jobs pane: every text-to-image and photo-to-anime job, as the job runner reports it.

The pane keeps no state of its own beyond what :class:`animetui.jobs.JobRunner` tells it through
``subscribe``: kind, prompt or source, state, elapsed time (from the app's injected clock, so
snapshots are stable) and the result (saved file, or the error). The highlighted job's details
and, when there is room, its result picture sit under the table. ``x`` cancels, ``R`` retries a
failed, expired or cancelled job (a new, paid job, after the same cost question as a new one),
``d`` removes an ended job from the list (its file stays).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from animetui.jobs.kinds import find, kind_of
from animetui.models import Job, JobState
from animetui.ui.bindings import bindings
from animetui.ui.format import display_path, elapsed, one_line, shown
from animetui.ui.messages import JobRetryRequested
from animetui.ui.panes.base import Pane
from animetui.ui.pictures.view import ImageView
from animetui.ui.services import services_of

STATE_ICONS = {
    JobState.QUEUED: "◌",
    JobState.SUBMITTING: "↑",
    JobState.RUNNING: "●",
    JobState.DOWNLOADING: "↓",
    JobState.SUCCEEDED: "✓",
    JobState.FAILED: "✗",
    JobState.EXPIRED: "⌛",
    JobState.CANCELLED: "⊘",
}
#: what ``R`` may start again (a new, paid job): only jobs that ended without a result
RETRYABLE = (JobState.FAILED, JobState.EXPIRED, JobState.CANCELLED)


def job_summary(job: Job) -> str:
    """The job in a few words, as its kind puts it (the prompt; the photo and its style)."""
    return one_line(kind_of(job).headline(job), 300)


def job_elapsed(job: Job, now: float) -> float:
    start = job.submitted_at or job.created_at
    end = job.finished_at if job.state.terminal and job.finished_at is not None else (job.updated_at if job.state.terminal else now)
    return max(0.0, end - start)


#: the state as the table shows it (the line under the table gives the full name)
STATE_SHORT = {JobState.SUBMITTING: "sending", JobState.DOWNLOADING: "saving", JobState.SUCCEEDED: "done"}
STATE_WIDTH = max(len(STATE_SHORT.get(s, s.value)) for s in JobState) + 2
FIXED_WIDTHS = {"kind": 5, "state": STATE_WIDTH, "time": 6}
#: the column sets tried, widest first: the result outranks the time and the kind
COLUMN_SETS: tuple[tuple[str, ...], ...] = (
    ("kind", "state", "time", "what", "result"),
    ("state", "time", "what", "result"),
    ("state", "what", "result"),
    ("state", "time", "what"),
    ("state", "what"),
)
MIN_WHAT, MIN_RESULT = 10, 11


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells with ``…`` (one line of the detail under the table)."""
    if width <= 0:
        return ""
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def middle_cut(text: str, width: int) -> str:
    """``2026-12-01_2121_a-gi…tree.png``: cut in the middle when longer than ``width`` (0: never)."""
    if width <= 0 or len(text) <= width:
        return text
    if width < 5:
        return text[: width - 1] + "…"
    tail = max(2, (width - 1) // 2)
    head = width - 1 - tail
    return text[:head] + "…" + text[-tail:]


class JobsPane(Pane):
    TITLE = "Jobs"
    KEY = "4"
    BINDINGS = bindings("jobs")

    def __init__(self, *, renderer: str, clock: Callable[[], float], id: str | None = "jobs") -> None:
        super().__init__(id=id)
        self.renderer = renderer
        self.clock = clock
        self.jobs: dict[str, Job] = {}
        self._order: list[str] = []

    def compose(self) -> ComposeResult:
        yield DataTable(id="jobs-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="job-detail")
        yield Static("", id="job-error")
        yield ImageView(id="job-preview", renderer=self.renderer, placeholder="A finished job's picture appears here")

    #: the columns shown, by priority (see :meth:`on_resize`), and the widths of the flexible two
    _keys: tuple[str, ...] = ("kind", "state", "time", "what", "result")
    _widths: tuple[int, int] = (28, 0)

    def on_mount(self) -> None:
        self._add_columns()
        self._show_detail()
        self.set_interval(1.0, self._tick)

    def _add_columns(self) -> None:
        table = self.table
        what, result = self._widths
        titles = {"kind": "Kind", "state": "State", "time": "Time", "what": "Prompt / source", "result": "Result"}
        for key in self._keys:
            # fixed widths: a column never jumps as a job passes through a longer state name
            width = FIXED_WIDTHS.get(key) or (what if key == "what" else (result or None))
            table.add_column(titles[key], key=key, width=width)

    def on_resize(self) -> None:
        """Columns by priority: the state and the prompt stay; then the result (the file, or the
        error); the time and then the kind give way first when the pane is narrow (the lines
        under the table show the whole job)."""
        width = self.content_size.width - 1  # the vertical scrollbar
        if width <= 0:
            return
        for keys in COLUMN_SETS:
            fixed = sum(FIXED_WIDTHS.get(k, 0) for k in keys) + 2 * len(keys)
            room = width - fixed
            if room >= (MIN_WHAT + MIN_RESULT if "result" in keys else MIN_WHAT) or len(keys) == 2:
                break
        if "result" in keys:
            what = min(36, max(MIN_WHAT, room * 2 // 5))
            widths = (what, max(MIN_RESULT, room - what))
        else:
            widths = (max(4, room), 0)
        if (keys, widths) == (self._keys, self._widths):
            self._show_detail()  # the saved name is cut to the new width
            return
        self._keys, self._widths = keys, widths
        self.table.clear(columns=True)
        self._add_columns()
        self._rebuild()

    @property
    def table(self) -> DataTable:
        return self.query_one("#jobs-table", DataTable)

    def focus_default(self) -> None:
        self.table.focus()

    # ------------------------------------------------------------------ updates from the runner
    def set_jobs(self, jobs: list[Job]) -> None:
        self.jobs = {job.id: job for job in jobs}
        self._order = [job.id for job in sorted(jobs, key=lambda j: (j.created_at, j.id), reverse=True)]
        self._rebuild()

    def update_job(self, job: Job, *, deleted: bool = False) -> Job | None:
        """Apply one report from the runner; returns the job as it was before (None if new)."""
        previous = self.jobs.get(job.id)
        if deleted:
            if previous is not None:
                del self.jobs[job.id]
                self._order.remove(job.id)
                self._rebuild()
            return previous
        self.jobs[job.id] = job
        if previous is None:
            self._order.insert(0, job.id)
            self._rebuild(cursor_to=job.id)
        else:
            self._update_row(job)
            if self.selected is not None and self.selected.id == job.id:
                self._show_detail()
        return previous

    def _rebuild(self, cursor_to: str | None = None) -> None:
        table = self.table
        selected = cursor_to or (self.selected.id if self.selected else None)
        table.clear()
        now = self.clock()
        for job_id in self._order:
            table.add_row(*self._cells(self.jobs[job_id], now), key=job_id)
        if selected in self._order:
            table.move_cursor(row=self._order.index(selected), animate=False)
        self._show_detail()

    def _update_row(self, job: Job) -> None:
        table = self.table
        now = self.clock()
        for column, cell in zip(self._keys, self._cells(job, now)):
            try:
                table.update_cell(job.id, column, cell)
            except Exception:  # noqa: BLE001 - the row vanished meanwhile: rebuild instead
                self._rebuild()
                return

    def _cells(self, job: Job, now: float) -> tuple[Text, ...]:
        theme = self.app.theme_variables
        colour = {
            JobState.SUCCEEDED: theme.get("success", "green"),
            JobState.FAILED: theme.get("error", "red"),
            JobState.EXPIRED: theme.get("warning", "yellow"),
            JobState.CANCELLED: "dim",
        }.get(job.state, theme.get("accent", "cyan"))
        if job.state is JobState.SUCCEEDED and job.result_path:  # the date and the extension both stay
            result = Text(middle_cut(shown(Path(job.result_path).name), self._widths[1]), no_wrap=True, overflow="ellipsis")
        elif job.error:
            result = Text(one_line(job.error, 200), style=colour, no_wrap=True, overflow="ellipsis")
        else:
            result = Text("—", style="dim")
        cells = {
            "kind": Text(shown(kind_of(job).short)),
            "state": Text(f"{STATE_ICONS.get(job.state, '?')} {STATE_SHORT.get(job.state, job.state.value)}", style=colour),
            "time": Text(elapsed(job_elapsed(job, now)), justify="right"),
            "what": Text(one_line(job_summary(job), 60), no_wrap=True, overflow="ellipsis"),
            "result": result,
        }
        return tuple(cells[key] for key in self._keys)

    def _tick(self) -> None:
        """Once a second: move the elapsed time of running jobs."""
        now = self.clock()
        if "time" not in self._keys:
            return
        for job in self.jobs.values():
            if not job.state.terminal:
                try:
                    self.table.update_cell(job.id, "time", Text(elapsed(job_elapsed(job, now)), justify="right"))
                except Exception:  # noqa: BLE001 - row not there (yet)
                    pass

    # ------------------------------------------------------------------ selection
    @property
    def selected(self) -> Job | None:
        row = self.table.cursor_row
        if not self._order or not 0 <= row < len(self._order):
            return None
        return self.jobs.get(self._order[row])

    @on(DataTable.RowHighlighted, "#jobs-table")
    def _row(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def action_view_prompt(self) -> None:
        from animetui.ui.screens.prompt import PromptScreen

        job = self.selected
        if job is None or not str(job.params.get("prompt", "") or ""):
            self.app.notify("Highlight a job with a prompt (text-to-image) to read it.", title="Prompt", severity="warning", timeout=3)
            return
        enhanced = str(job.params.get("enhanced_prompt", "") or "")
        self.app.push_screen(PromptScreen(str(job.params.get("prompt", "")), enhanced, title=f"Job {job.id[:8]}"))

    @on(DataTable.RowSelected, "#jobs-table")
    async def _row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter (or a click on the highlighted row): open the finished job's result; on the
        library's indexing job, the Library screen."""
        event.stop()
        job = self.selected
        if job is not None and str(job.kind) == "index":
            self.run_worker(self.app.run_action("library"), group="library-open")
            return
        await self.app.run_action("app.open_with('open')")

    def _show_detail(self) -> None:
        job = self.selected
        detail = self.query_one("#job-detail", Static)
        error = self.query_one("#job-error", Static)
        preview = self.query_one("#job-preview", ImageView)
        error.display = bool(job is not None and job.error)
        if job is None:
            detail.update(Text("No jobs yet — g: text-to-image, a: photo-to-anime of the chosen image.", style="italic"))
            preview.clear()
            return
        room = max(12, detail.content_size.width or 40)
        text = Text()
        kind = kind_of(job)
        text.append(f"{shown(kind.label)} · ", style="bold")
        text.append(job.state.value)
        options = kind.options(job)
        if options:
            text.append(fit(f" · {shown(options)}", room - len(text.plain)), style="dim")
        subject = kind.subject(job)
        if kind.subject_is_file:
            text.append("\n" + middle_cut(display_path(subject), room))
        else:
            # the prompt over up to two lines (word wrap leaves some slack), an enhanced one on a
            # line; what does not fit ends in … and v shows both whole
            prompt = one_line(subject, 4000)
            enhanced = one_line(str(job.params.get("enhanced_prompt", "") or ""), 4000)
            enhanced = "" if enhanced == prompt else enhanced
            hint = " (v: read all)"
            prompt_room = 2 * room - room // 4 - len(hint)
            enhanced_room = room - len("enhanced: ") - len(hint)
            cut = len(prompt) > prompt_room or len(enhanced) > enhanced_room
            text.append("\n" + fit(prompt, prompt_room))
            if cut and not enhanced:
                text.append(hint, style="dim italic")
            if enhanced:
                text.append("\nenhanced: ", style="dim")
                text.append(fit(enhanced, enhanced_room))
                if cut:
                    text.append(hint, style="dim italic")
        balance = f" · balance ${job.balance_usd:,.2f}" if job.balance_usd is not None else ""
        if job.result_path and job.state in (JobState.SUCCEEDED, JobState.DOWNLOADING):
            result = Path(job.result_path)  # while downloading: the name it will be saved under
            arrow = "\n→ " if job.state is JobState.SUCCEEDED else "\n→ (not saved yet) "
            text.append(arrow, style="bold")
            text.append(middle_cut(shown(result.name), room - len(arrow) + 1))  # the date and the extension both stay
            text.append("\n" + middle_cut(f"  in {display_path(result.parent)}", room - len(balance)) + balance, style="dim")
        elif balance:
            text.append("\n" + balance[3:], style="dim")
        if job.error:
            colour = "dim" if job.state is JobState.CANCELLED else self.app.theme_variables.get("error", "red")
            error.update(Text(one_line(job.error, 500), style=colour))
        detail.update(text)
        if job.state is JobState.SUCCEEDED and job.result_path:
            preview.show(Path(job.result_path), label=Path(job.result_path).name)
        else:
            preview.clear(f"{STATE_ICONS.get(job.state, '')} {job.state.value}")

    # ------------------------------------------------------------------ actions
    def _runner(self) -> Any:
        return getattr(self.app, "runner", None)

    def action_cancel_job(self) -> None:
        job = self.selected
        if job is None:
            self.app.notify("No job highlighted.", timeout=2)
            return
        self._call("cancel", job.id)

    def action_retry_job(self) -> None:
        """Start the highlighted failed, expired or cancelled job again — a new job that costs
        again, so it goes through the same key check and cost question as a new one."""
        job = self.selected
        if job is None:
            self.app.notify("No job highlighted.", timeout=2)
            return
        if job.state is JobState.SUCCEEDED:
            self.app.notify(
                "This job succeeded and its result is saved; to make another, start a new job (g or a).",
                title="Nothing to retry",
                timeout=4,
            )
            return
        if job.state not in RETRYABLE:
            self.app.notify(
                f"This job is still {job.state.value}; wait for it, or cancel it (x) first.",
                title="Nothing to retry",
                timeout=4,
            )
            return
        kind = kind_of(job)
        if find(str(job.kind)) is None:  # written by a newer animetui
            self.app.notify(f"This animetui cannot run “{shown(kind.name)}” jobs; upgrade it to retry this one.",
                            title="Nothing to retry", timeout=4, markup=False)
            return
        job_id = job.id  # the jobs flow checks the key and asks about the cost, then proceeds
        self.post_message(JobRetryRequested(job, lambda: self._call("retry", job_id)))

    def action_delete_job(self) -> None:
        job = self.selected
        if job is None:
            self.app.notify("No job highlighted.", timeout=2)
            return
        self._call("delete", job.id)

    @work(group="job-actions", exit_on_error=False)
    async def _call(self, what: str, job_id: str) -> None:
        from animetui.errors import AnimetuiError

        try:
            services = await services_of(self)
            runner = services.runner
            if what == "cancel":
                job = await runner.cancel(job_id)
                if not job.state.terminal:  # once it ends, the app says so (one toast, not two)
                    self.app.notify(one_line(job.error, 300) or "Cancelling…", title="Job cancel asked", markup=False)
            elif what == "retry":
                await runner.retry(job_id)
                self.app.notify("A new job was queued with the same settings.", title="Retrying")
            else:
                runner.delete(job_id)
        except AnimetuiError as exc:
            self.app.notify(str(exc), title=f"Cannot {what} the job", severity="error", markup=False)

    def action_copy(self) -> None:
        job = self.selected
        if job is None:
            self.app.notify("No job highlighted.", timeout=2)
            return
        text = job.result_path or kind_of(job).subject(job)
        from animetui.ui.clipboard import copy

        copy(self.app, text, shown=one_line(text, 80))
