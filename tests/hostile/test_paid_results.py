"""A paid result is never lost and never faked.

* Disk full while saving it: the job stays ``downloading (waiting: disk full)``, keeps trying,
  survives a restart, and is saved once there is room — never "failed", never a new paid job.
  ``jobs list`` shows no path for a file that is not there. (The full disk is the write of
  :func:`animetui.net.download` raising ``OSError(ENOSPC)``.)
* The journal locked by another process past the busy timeout just as the paid answer comes
  back: the answer is held and written once the lock is gone — not "stopped while sending".
* A result link that redirects to ``file://`` or into a loop ends the job with a clear message
  (``generate --wait`` returns) instead of being retried as "temporary" for 24 h.
* A result link answering a web page with 200 is not saved as a "succeeded" picture.

AnimeAPI and its result link are played by the hostile loopback server (real sockets).
"""

from __future__ import annotations

import asyncio
import errno
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

import animetui.net
import animetui.store
from animetui.config import Settings
from animetui.jobs import JobRunner
from animetui.models import GenerateRequest, Job, JobState
from animetui.providers import Providers
from animetui.store import JobJournal, default_path

from .fake_animeapi import FakeAnimeAPI


class Rig:
    """A job runner over the config ``point_at`` wrote (the CLI's journal and downloads)."""

    def __init__(self) -> None:
        self.settings = Settings.load()
        self.settings.set("providers.animeapi.requests_per_minute", 600)
        self.providers = Providers(self.settings)
        self.journals: list[JobJournal] = []
        self.runners: list[JobRunner] = []
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:  # back-off is recorded, not slept
        self.sleeps.append(seconds)
        await asyncio.sleep(0.003)

    def runner(self) -> JobRunner:
        journal = JobJournal(default_path(self.settings.data_dir))
        self.journals.append(journal)
        runner = JobRunner(self.providers, journal, downloads_dir=self.settings.downloads_dir, sleep=self.sleep)
        self.runners.append(runner)
        return runner

    async def close(self) -> None:
        for runner in self.runners:
            await runner.stop(grace=0)
        for journal in self.journals:
            journal.close()
        await self.providers.aclose()


@pytest.fixture
async def rig(hostile, point_at):
    point_at(hostile)
    built = Rig()
    yield built
    await built.close()


async def until(predicate, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.002)


def is_picture(path: str | Path, size=(64, 48)) -> bool:
    with Image.open(path) as image:
        return image.size == size


# --------------------------------------------------------------------------- disk full
class FullDisk:
    """``os.fdopen`` as :func:`animetui.net.download` uses it, whose writes fail with ENOSPC
    while ``full`` is True."""

    def __init__(self, monkeypatch) -> None:
        self.full = True
        self.refused = 0
        real = os.fdopen
        disk = self

        class Handle:
            def __init__(self, inner) -> None:
                self._inner = inner

            def write(self, data):
                if disk.full:
                    disk.refused += 1
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                return self._inner.write(data)

            def __getattr__(self, name):
                return getattr(self._inner, name)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return self._inner.__exit__(*exc)

        monkeypatch.setattr(animetui.net.os, "fdopen", lambda *a, **k: Handle(real(*a, **k)))


async def test_disk_full_keeps_the_paid_result_waiting_until_it_can_be_saved(rig, hostile, monkeypatch, capsys):
    from animetui.cli import main

    api = FakeAnimeAPI(hostile)
    disk = FullDisk(monkeypatch)
    runner = rig.runner()
    job = await runner.submit_generate(GenerateRequest("a fox in the snow"))
    await until(lambda: disk.refused >= 3, "three refused writes")  # tried again, not given up
    seen = runner.get(job.id)
    assert seen.state is JobState.DOWNLOADING, (seen.state, seen.error)
    assert seen.error.startswith("waiting: disk full"), seen.error
    assert seen.result_url == api.image_url and not Path(seen.result_path).exists()
    await runner.stop(grace=0)  # e.g. the user quits; `jobs watch` / the next start picks it up

    code = await asyncio.to_thread(main, ["jobs", "list"])
    out = capsys.readouterr().out
    assert code == 0 and "waiting: disk full" in out
    assert seen.result_path not in out and Path(seen.result_path).name not in out  # no path that does not exist
    (row,) = JobJournal(default_path(rig.settings.data_dir)).list()
    assert row.state is JobState.DOWNLOADING and row.result_url == api.image_url

    disk.full = False  # space freed
    again = rig.runner()
    (done,) = await asyncio.wait_for(again.wait([job.id]), 15)
    assert done.state is JobState.SUCCEEDED and done.error == ""
    assert is_picture(done.result_path)
    assert api.generate_requests() == 1  # one payment, one picture
    assert list(Path(done.result_path).parent.glob(".*.part")) == []


# --------------------------------------------------------------------------- a locked journal
async def test_a_journal_locked_elsewhere_is_waited_on_and_the_image_url_is_kept(rig, hostile, monkeypatch):
    monkeypatch.setattr(animetui.store, "BUSY_TIMEOUT_MS", 50)  # the runner's busy wait: 50 ms, not 5 s
    api = FakeAnimeAPI(hostile, hold=True)
    runner = rig.runner()
    db = default_path(rig.settings.data_dir)
    other = sqlite3.connect(db, isolation_level=None)  # as another animetui process would hold it
    try:
        job = await runner.submit_generate(GenerateRequest("a fox in the snow"))
        await until(lambda: api.arrived.is_set(), "the paid request on the wire")
        other.execute("BEGIN IMMEDIATE")  # the journal is locked while the answer comes back
        api.release()
        await until(lambda: runner.get(job.id).error.startswith("waiting: the job journal"), "the runner waiting for the journal")
        waits = len(rig.sleeps)
        await until(lambda: len(rig.sleeps) >= waits + 2, "more tries at the journal")
        assert runner.get(job.id).state is JobState.SUBMITTING  # nothing decided while it cannot write
        other.execute("ROLLBACK")
        (done,) = await asyncio.wait_for(runner.wait([job.id]), 15)
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()
    assert done.state is JobState.SUCCEEDED, done.error
    assert done.result_url == api.image_url and is_picture(done.result_path)
    assert "outcome unknown" not in done.error
    assert api.generate_requests() == 1


# --------------------------------------------------------------------------- links that can never work
def _generate_wait() -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "animetui", "generate", "a fox in the snow", "--wait"],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=90,
    )


@pytest.mark.parametrize("where", ["file", "loop"])
def test_a_result_link_that_can_never_work_ends_the_job(hostile, point_at, where):
    api = FakeAnimeAPI(hostile)
    point_at(hostile)
    if where == "file":
        api.result_redirect("file:///etc/passwd")
        expected = "file:"
    else:
        api.result_redirect(api.image_url)  # to itself, for ever
        expected = "redirects in a loop"
    result = _generate_wait()  # on main this retried as "temporary" for 24 h
    assert result.returncode == 5, result.stderr[-2000:]
    assert expected in result.stdout and "Traceback" not in result.stderr
    (job,) = JobJournal(default_path(Settings.load().data_dir)).list()
    assert job.state is JobState.FAILED and job.result_url == api.image_url  # the link is kept
    assert api.generate_requests() == 1
    assert api.result_requests() < 30  # given up at once, not after hundreds of tries


@pytest.mark.parametrize(
    "body",
    [b"<!doctype html><html><body>Please log in</body></html>", b"\x89PNG\r\n\x1a\n" + b"not really a picture " * 40],
    ids=["web page", "forged PNG header"],
)
async def test_a_body_that_is_not_a_picture_is_not_saved_as_a_succeeded_one(rig, hostile, body):
    api = FakeAnimeAPI(hostile)
    api.result_body(body, "image/png")
    runner = rig.runner()
    job = await runner.submit_generate(GenerateRequest("a fox in the snow"))
    (done,) = await asyncio.wait_for(runner.wait([job.id]), 15)
    assert done.state is JobState.FAILED and "not an image" in done.error, done.error
    assert done.result_url == api.image_url
    folder = rig.settings.downloads_dir
    assert not folder.exists() or [p.name for p in folder.iterdir()] == []  # nothing left under a picture's name
    assert api.generate_requests() == 1


async def test_a_web_page_left_under_a_picture_name_is_not_taken_for_the_result(rig, hostile):
    """An older animetui may have saved an HTML answer as `….png`: a restart fetches it again."""
    api = FakeAnimeAPI(hostile)
    runner = rig.runner()
    job = await runner.submit_generate(GenerateRequest("a fox in the snow"))
    (done,) = await asyncio.wait_for(runner.wait([job.id]), 15)
    await runner.stop(grace=0)
    path = Path(done.result_path)
    path.write_bytes(b"<html>not a picture</html>")
    journal = rig.journals[-1]
    journal.update(Job(**{**{f: getattr(done, f) for f in done.__dataclass_fields__}, "state": JobState.DOWNLOADING}))
    again = rig.runner()
    (fixed,) = await asyncio.wait_for(again.wait([job.id]), 15)
    assert fixed.state is JobState.SUCCEEDED and is_picture(fixed.result_path)
    assert api.result_requests() == 2 and api.generate_requests() == 1
