"""The library's indexing is the ``index`` job kind: journalled first, driven by the generic runner,
following the niced worker's progress; cancel reaches the worker, a restart adopts or restarts it,
a worker that keeps dying fails the job. One test runs the real worker on the synthetic videos."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from animetui.errors import BadInput
from animetui.jobs import JobRunner, describe, kinds
from animetui.jobs.index import INDEX, submit_index
from animetui.library import control
from animetui.library import db as dbm
from animetui.library.control import JobView, Overview
from animetui.models import JobState
from animetui.store import JobJournal


class NoProviders:
    settings = None
    downloads = None

    def get(self, name: str) -> Any:
        raise KeyError(name)


async def fast_sleep(seconds: float) -> None:
    await asyncio.sleep(0.001)


def runner_for(tmp_path: Path, journal: JobJournal | None = None) -> JobRunner:
    journal = journal or JobJournal(tmp_path / "jobs.sqlite3")
    return JobRunner(NoProviders(), journal, downloads_dir=tmp_path / "out", sleep=fast_sleep, sync_interval=0.01)


async def until(predicate, what: str, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():
        if loop.time() > end:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


@pytest.fixture
def library(tmp_path, videos):
    data = tmp_path / "data"
    line = control.add_folder(data, str(videos.root), start=False)
    assert "3 new" in line, line
    return data


class FakeWorker:
    """Stands in for the indexer process: what ``look`` reports, and the start/stop calls."""

    def __init__(self, monkeypatch, view: JobView, pending: int = 5) -> None:
        self.view, self.pending = view, pending
        self.starts: list[bool] = []
        self.stops = 0
        monkeypatch.setattr(INDEX, "look", self.look)
        monkeypatch.setattr(INDEX, "start_worker", self.start)
        monkeypatch.setattr(INDEX, "stop_worker", self.stop)
        monkeypatch.setattr(INDEX, "stall_seconds", 0.05)

    def look(self, data_dir: Path) -> tuple[Overview, int]:
        return Overview(exists=True, job=self.view), self.pending

    def start(self, data_dir: Path, params: Any, *, fresh: bool) -> None:
        self.starts.append(fresh)

    def stop(self, data_dir: Path) -> None:
        self.stops += 1


def running(progress: float, eta: float | None = 100.0, current: str = "/v/x.mp4", *, alive: bool = True) -> JobView:
    return JobView(state="running" if alive else "interrupted", progress=progress, eta=eta, current=current, message="", running=alive)


def test_is_a_registered_kind_that_needs_a_library(tmp_path):
    assert kinds.find("index") is INDEX
    with pytest.raises(BadInput, match="no library there yet"):
        INDEX.validate({"data_dir": str(tmp_path)})
    assert "no money" in INDEX.cost_text(balance_usd=None, credits_left=None)


async def test_the_real_worker_indexes_the_library_as_a_job(tmp_path, library):
    runner = runner_for(tmp_path)
    try:
        job = await submit_index(runner, library)
        again = await submit_index(runner, library)
        assert again.id == job.id  # one active index job per library
        (done,) = await asyncio.wait_for(runner.wait([job.id]), timeout=120)
    finally:
        await runner.stop()
    assert done.state is JobState.SUCCEEDED, done.error
    assert describe(done) == "Library indexing done: every file is searchable"
    assert INDEX.headline(done) == "all indexed" and done.params["progress"] == 1.0
    with dbm.LibraryDB(control.db_path(library)) as db:
        assert {f.state for f in db.files()} == {dbm.DONE}
    journal = JobJournal(tmp_path / "jobs.sqlite3")
    assert journal.get(done.id).state is JobState.SUCCEEDED  # journalled, not just in memory


async def test_progress_shows_and_cancel_stops_the_worker(tmp_path, library, monkeypatch):
    worker = FakeWorker(monkeypatch, running(0.4, eta=100.0))
    runner = runner_for(tmp_path)
    try:
        job = await submit_index(runner, library)
        await until(lambda: runner.get(job.id).params.get("progress") == 0.4, "the progress")
        seen = runner.get(job.id)
        assert seen.state is JobState.RUNNING and worker.starts == [True]
        assert INDEX.headline(seen) == "40 % · x.mp4" and INDEX.options(seen) == "ETA 1:40"
        journalled = JobJournal(tmp_path / "jobs.sqlite3").get(job.id)
        assert journalled.params["progress"] == 0.4  # the journal has it too: the CLI and other processes see it
        worker.view = JobView(state="paused", progress=0.4, eta=None, current="/v/x.mp4", message="", running=False)
        await until(lambda: runner.get(job.id).params.get("paused"), "paused")
        assert INDEX.headline(runner.get(job.id)).startswith("paused · 40 %") and worker.starts == [True]
        cancelled = await runner.cancel(job.id)
        assert cancelled.state is JobState.CANCELLED and "stay searchable" in cancelled.error
        await until(lambda: worker.stops == 1, "the worker asked to stop")
    finally:
        await runner.stop()


async def test_a_restart_adopts_the_indexing_and_stopping_leaves_the_worker_alone(tmp_path, library, monkeypatch):
    worker = FakeWorker(monkeypatch, running(0.1))
    first = runner_for(tmp_path)
    job = await submit_index(first, library)
    await until(lambda: first.get(job.id).params.get("progress") == 0.1, "the progress")
    await first.stop()  # the TUI quits: the worker goes on, the job stays running in the journal
    assert worker.stops == 0
    journal = JobJournal(tmp_path / "jobs.sqlite3")
    assert journal.get(job.id).state is JobState.RUNNING
    worker.view = running(0.7)
    second = runner_for(tmp_path, journal)
    try:
        await second.start()
        await until(lambda: (second.get(job.id).params.get("progress") or 0) == 0.7, "the adopted progress")
        assert worker.starts == [True, False]  # adopted, not reset: an old pause/cancel is not cleared
        worker.view = JobView(state="idle", progress=1.0, eta=None, current="", message="", running=False)
        worker.pending = 0
        (done,) = await asyncio.wait_for(second.wait([job.id]), timeout=30)
        assert done.state is JobState.SUCCEEDED
    finally:
        await second.stop()


async def test_a_worker_that_keeps_dying_fails_the_job_and_R_resumes(tmp_path, library, monkeypatch):
    worker = FakeWorker(monkeypatch, running(0.3, eta=None, alive=False))
    runner = runner_for(tmp_path)
    try:
        job = await submit_index(runner, library)
        (failed,) = await asyncio.wait_for(runner.wait([job.id]), timeout=30)
        assert failed.state is JobState.FAILED and "stopped 3 times" in failed.error
        assert worker.starts == [True, False, False]
        worker.view = JobView(state="idle", progress=1.0, eta=None, current="", message="", running=False)
        worker.pending = 0
        again = await runner.retry(job.id)  # R in the Jobs pane: a new index job; the indexer resumes
        (done,) = await asyncio.wait_for(runner.wait([again.id]), timeout=30)
        assert done.state is JobState.SUCCEEDED and worker.starts[-1] is True
    finally:
        await runner.stop()


async def test_cancelled_from_the_library_command_ends_the_job(tmp_path, library, monkeypatch):
    worker = FakeWorker(monkeypatch, running(0.5))
    runner = runner_for(tmp_path)
    try:
        job = await submit_index(runner, library)
        await until(lambda: runner.get(job.id).params.get("progress") == 0.5, "the progress")
        worker.view = JobView(state="cancelled", progress=0.5, eta=None, current="", message="", running=False)
        (done,) = await asyncio.wait_for(runner.wait([job.id]), timeout=30)
        assert done.state is JobState.CANCELLED and worker.stops == 0
    finally:
        await runner.stop()


async def test_the_library_command_journals_the_job_and_a_runner_adopts_it(tmp_path, library, monkeypatch):
    """``animetui library add|rescan`` stay runner-free (they start the worker themselves) but
    journal a running, unowned ``index`` job; the next runner — the TUI's — follows it."""
    from animetui.jobs.index import journal_index

    worker = FakeWorker(monkeypatch, running(0.2))
    journal = JobJournal(tmp_path / "jobs.sqlite3")
    job = journal_index(journal, library)
    assert job.state is JobState.RUNNING and journal.owner_of(job.id) is None
    assert journal_index(journal, library).id == job.id  # once per library while it is active
    runner = runner_for(tmp_path, journal)
    try:
        await runner.start()
        await until(lambda: runner.get(job.id).params.get("progress") == 0.2, "the adopted progress")
        assert worker.starts == [False]  # adopted: an old pause or cancel is not cleared
        worker.view = JobView(state="idle", progress=1.0, eta=None, current="", message="", running=False)
        worker.pending = 0
        (done,) = await asyncio.wait_for(runner.wait([job.id]), timeout=30)
        assert done.state is JobState.SUCCEEDED
    finally:
        await runner.stop()


def test_jobs_cancel_and_retry_from_the_cli_steer_a_worker_nothing_drives(tmp_path, library, monkeypatch, capsys):
    """``animetui jobs cancel ID`` — the indexing started by ``library add`` (no runner follows
    it) — stops the worker process, as ``x`` in the Jobs pane does; ``jobs retry ID`` resumes it
    (a new index job); retrying a paid job from here is refused (it would cost again)."""
    from animetui import locations
    from animetui.cli import main
    from animetui.jobs.index import journal_index

    worker = FakeWorker(monkeypatch, running(0.3))
    monkeypatch.setenv("ANIMETUI_DATA_DIR", str(library))
    journal = JobJournal(locations.jobs_db(library))
    job = journal_index(journal, library)
    journal.close()
    assert main(["jobs", "cancel", job.id]) == 0
    assert worker.stops == 1 and "stay searchable" in capsys.readouterr().out
    journal = JobJournal(locations.jobs_db(library))
    assert journal.get(job.id).state is JobState.CANCELLED
    assert main(["jobs", "cancel", job.id]) == 3  # ended: one line, nothing to stop
    assert "already ended" in capsys.readouterr().err
    steered: list[str] = []
    monkeypatch.setattr(control, "steer", lambda data_dir, what, **kw: steered.append(what) or "indexing in the background")
    assert main(["jobs", "retry", job.id]) == 0
    new_id = capsys.readouterr().out.split(":")[0]
    assert steered == ["resume"] and new_id != job.id
    assert journal.get(new_id).state is JobState.RUNNING and journal.get(new_id).kind == "index"
    journal.close()


def test_jobs_list_ends_an_index_job_nobody_follows_once_the_library_says_so(tmp_path, library, monkeypatch, capsys):
    """``library add`` journals a running index job and no runner follows it: ``animetui jobs``
    shows it running while the worker works, then succeeded (not "running" until a TUI opens)."""
    from animetui import locations
    from animetui.cli import main
    from animetui.jobs.index import journal_index

    worker = FakeWorker(monkeypatch, running(0.5))
    monkeypatch.setenv("ANIMETUI_DATA_DIR", str(library))
    journal = JobJournal(locations.jobs_db(library))
    job = journal_index(journal, library)
    assert main(["jobs"]) == 0
    assert "running" in capsys.readouterr().out and journal.get(job.id).state is JobState.RUNNING
    worker.view = JobView(state="idle", progress=1.0, eta=None, current="", message="", running=False)
    worker.pending = 0
    assert main(["jobs"]) == 0
    assert "succeeded" in capsys.readouterr().out
    assert journal.get(job.id).state is JobState.SUCCEEDED and journal.get(job.id).finished_at
    journal.close()
