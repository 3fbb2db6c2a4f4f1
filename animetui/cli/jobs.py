"""Paid jobs: ``generate`` (AnimeAPI), ``cartoonize`` (AILabTools) and ``jobs list|watch``.

A job is journalled before it is sent (:mod:`animetui.jobs`); these commands submit, follow and
report it, and always stop the runner they started.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from animetui.cli.output import (
    EXIT_JOB,
    EXIT_OK,
    UsageError,
    clip,
    emit_json,
    flag,
    plain,
    print_table,
    wants_json,
)

if TYPE_CHECKING:
    from animetui.config import Settings
    from animetui.jobs import JobRunner
    from animetui.models import Job
    from animetui.runtime import Runtime


def _result_width() -> int:
    """How wide a job's result path may be: whole when not a terminal, else what fits the terminal."""
    stream = sys.stdout
    if not stream.isatty():
        return 1_000_000
    columns = shutil.get_terminal_size((220, 24)).columns
    # id (8) + kind (10) + prompt (40) + state (9) + gaps (2 × 4)
    return max(20, columns - (8 + 10 + 40 + 9 + 8))


def _job_row(job: Job) -> list[str]:
    from animetui.jobs.kinds import subject
    from animetui.models import JobState

    # A path only for a file that is there: a result still downloading (or waiting for disk
    # space) already has its future name in result_path, which must not read as "saved here".
    if job.state is JobState.SUCCEEDED and job.result_path:
        result = job.result_path if Path(job.result_path).exists() else "the saved file is no longer there"
    else:
        result = job.error or ""
    return [job.id[:8], str(job.kind), clip(plain(subject(job)), 40), job.state.value, result]


def _progress(job: Job) -> None:
    from animetui.models import JobState

    detail = f" — {job.error}" if job.error else (f" → {job.result_path}" if job.result_path and job.state is JobState.SUCCEEDED else "")
    try:
        print(f"[{job.id[:8]}] {job.kind}: {job.state.value}{detail}", file=sys.stderr)
    except OSError:  # the terminal went away (an SSH drop): the journal has it all anyway
        pass


async def _finish_job(args: argparse.Namespace, runner: JobRunner, job: Job, *, until_done: bool, progress: bool) -> int:
    """Follow ``job`` until it ends (``until_done``) or has been handed to the service; report it."""
    from animetui.models import JobState

    unsubscribe = runner.subscribe(lambda j: _progress(j) if j.id == job.id else None) if progress and not wants_json(args) else None
    try:
        if until_done:
            (job,) = await runner.wait([job.id])
        else:
            while job.state in (JobState.QUEUED, JobState.SUBMITTING):
                job = await _next_change(runner, job.id)
    finally:
        if unsubscribe:
            unsubscribe()
    if wants_json(args):
        emit_json(job.to_json())
    elif job.state is JobState.SUCCEEDED:
        print(f"Saved: {job.result_path}")
    elif job.state.terminal:
        print(f"Job {job.id[:8]} {job.state.value}: {plain(job.error)}")
    else:
        print(f"Job {job.id[:8]} is {job.state.value}; follow it with `animetui jobs watch` or in the app.")
    return EXIT_OK if job.state is JobState.SUCCEEDED or not job.state.terminal else EXIT_JOB


async def _next_change(runner: JobRunner, job_id: str) -> Job:
    changed: asyncio.Future[Job] = asyncio.get_running_loop().create_future()

    def on_change(job: Job) -> None:
        if job.id == job_id and not changed.done():
            changed.set_result(job)

    unsubscribe = runner.subscribe(on_change)
    try:
        return await changed
    finally:
        unsubscribe()


async def generate(args: argparse.Namespace, settings: Settings, rt: Runtime) -> int:
    from animetui.models import GenerateRequest, Orientation

    request = GenerateRequest(
        prompt=args.prompt,
        orientation=Orientation(args.orientation or settings["providers.animeapi.orientation"]),
        allow_nsfw=flag(args.nsfw, settings["providers.animeapi.allow_nsfw"]),
        enhance=flag(args.enhance, settings["providers.animeapi.enhance"]),
    )
    runner = rt.runner
    await rt.start_jobs()
    try:
        job = await runner.submit_generate(request)
        # One paid request plus a download: always seen through, so the result is never left
        # behind; --wait adds progress on stderr.
        if args.wait and not wants_json(args):
            _progress(job)
        return await _finish_job(args, runner, job, until_done=True, progress=args.wait)
    finally:
        await runner.stop()


def _parse_style(text: str) -> int:
    from animetui.models import CARTOON_STYLES

    text = text.strip()
    if text.isdigit() and 0 <= int(text) < len(CARTOON_STYLES):
        return int(text)
    matches = [i for i, name in enumerate(CARTOON_STYLES) if text.lower() in name.lower()]
    if len(matches) == 1:
        return matches[0]
    listing = ", ".join(f"{i} {name}" for i, name in enumerate(CARTOON_STYLES))
    raise UsageError(f"animetui cartoonize: unknown style {text!r}; choose one of: {listing}")


async def cartoonize(args: argparse.Namespace, settings: Settings, rt: Runtime) -> int:
    from animetui.errors import BadInput

    style = _parse_style(args.style)
    path = Path(args.image).expanduser()
    if args.image.lower().startswith(("http://", "https://")):
        raise BadInput("cartoonize needs a local image file; download it first")
    if not path.is_file():
        if path.is_dir():
            raise BadInput(f"{path}: is a directory, not an image")
        raise BadInput(f"{path}: not a regular file; give an image file" if path.exists() else f"{path}: no such file")
    runner = rt.runner
    await rt.start_jobs()
    try:
        job = await runner.submit_cartoonize(path, style)
        if args.wait and not wants_json(args):
            _progress(job)
        return await _finish_job(args, runner, job, until_done=args.wait, progress=args.wait)
    finally:
        await runner.stop()


async def jobs(args: argparse.Namespace, settings: Settings, rt: Runtime) -> int:
    runner = rt.runner
    if args.action == "list":
        from animetui.jobs.index import reconcile_index_jobs

        jobs = runner.list()
        if not runner.running:  # the library's indexing, journalled by `library add`, may have ended meanwhile
            jobs = reconcile_index_jobs(runner.journal, jobs)
        if wants_json(args):
            emit_json({"jobs": [j.to_json() for j in jobs]})
            return EXIT_OK
        if not jobs:
            print("No jobs yet. Start one with `animetui generate PROMPT` or `animetui cartoonize IMAGE --style N`.")
            return EXIT_OK
        print_table(["id", "kind", "prompt / source", "state", "result"], [_job_row(j) for j in jobs], max_width=_result_width())
        return EXIT_OK
    if args.action in ("cancel", "retry"):
        return await _steer(args, settings, runner)
    await rt.start_jobs()
    try:
        if not wants_json(args):
            for job in runner.list():
                if not job.state.terminal:
                    _progress(job)
            unsubscribe = runner.subscribe(_progress)
        else:
            unsubscribe = None
        jobs = await runner.wait()
        if unsubscribe:
            unsubscribe()
        if wants_json(args):
            emit_json({"jobs": [j.to_json() for j in jobs]})
        else:
            print("All jobs have ended.")
        return EXIT_OK
    finally:
        await runner.stop()



async def _steer(args: argparse.Namespace, settings: Settings, runner: JobRunner) -> int:
    """``jobs cancel ID`` / ``jobs retry ID``, as ``x`` / ``R`` in the Jobs pane. Cancelling the
    library's indexing stops its worker process (whoever started it); retrying it resumes where it
    stopped. Retrying a paid job is a new paid job, so it is left to its own command."""
    from animetui.errors import BadInput

    if not args.id:
        raise UsageError(f"jobs {args.action} needs a job id (see `animetui jobs`)")
    job = runner.get(args.id) or runner.journal.get(args.id)
    if job is None:
        raise BadInput(f"no job with id {args.id}")
    if args.action == "cancel":
        job = await runner.cancel(job.id)
        if wants_json(args):
            emit_json({"job": job.to_json()})
        else:
            print(f"{job.id}: {plain(job.error or 'cancelled')}")
        return EXIT_OK
    if job.kind != "index":
        raise BadInput(f"job {job.id} is a paid {job.kind} job: retrying it costs again, so run `animetui {job.kind}` once more")
    if not job.state.terminal:
        raise BadInput(f"job {job.id} is still {job.state.value}; wait for it or cancel it first")
    from animetui.jobs.index import journal_index
    from animetui.library import control

    line = await asyncio.to_thread(control.steer, Path(str(job.params["data_dir"])), "resume", config=job.params.get("config"),
                                   watch=bool(job.params.get("watch")))
    new = journal_index(runner.journal, Path(str(job.params["data_dir"])), config=job.params.get("config"),
                        watch=bool(job.params.get("watch")))
    if wants_json(args):
        emit_json({"job": new.to_json(), "message": line})
    else:
        print(f"{new.id}: {plain(line)}")
    return EXIT_OK
