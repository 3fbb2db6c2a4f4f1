"""Sharing one journal with other processes' runners: adopting orphans, seeing their writes.

Who drives which job, and how a dead runner is told from a live one: :mod:`animetui.jobs.lock`.
These run inside a :class:`~animetui.jobs.runner.JobRunner` (they are its methods, kept here so
the runner reads as the lifecycle alone).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from animetui.jobs import files
from animetui.jobs.kinds import find
from animetui.jobs.lock import OwnerLock

ADOPT_BATCH = 50  # orphaned jobs claimed and resumed per event-loop turn

if TYPE_CHECKING:
    from animetui.jobs.runner import JobRunner


async def adopt(runner: JobRunner, owners: dict[str, str | None]) -> None:
    """Drive every active job (``owners``: id → owner) that is ours, unowned, or whose owner died."""
    verdicts: dict[str, bool] = {}
    orphans: dict[str | None, list[str]] = {}
    chosen: list[str] = []
    for job_id, owner in owners.items():
        known = runner._jobs.get(job_id)
        if known is not None and find(str(known.kind)) is None:
            continue  # a kind this animetui cannot drive (a newer one wrote it): leave it be
        if owner == runner.owner:
            if job_id not in runner._tasks:
                chosen.append(job_id)
            continue
        if owner is not None:
            if owner not in verdicts:
                verdicts[owner] = OwnerLock.alive(runner._lock.folder, owner)
            if verdicts[owner]:
                continue  # a live runner elsewhere drives it; we only watch
        orphans.setdefault(owner, []).append(job_id)
    # (claim from whom, ids): ours need no claim; orphans are claimed in batches, one
    # transaction each (500 orphans cost 5 fsyncs, not 500)
    batches: list[tuple[bool, str | None, list[str]]] = []
    for start in range(0, len(chosen), ADOPT_BATCH):
        batches.append((False, None, chosen[start : start + ADOPT_BATCH]))
    for owner, ids in orphans.items():
        for start in range(0, len(ids), ADOPT_BATCH):
            batches.append((True, owner, ids[start : start + ADOPT_BATCH]))
    for number, (claim, owner, ids) in enumerate(batches):
        if number:
            await asyncio.sleep(0)  # a few ms per batch, then let the loop breathe
        if claim:
            ids = runner.journal.claim_many(ids, runner.owner, replacing=owner)
        fresh = runner.journal.get_many(ids)  # as they are now, not as we last saw them
        fresh.sort(key=lambda job: (job.created_at, job.id))
        for job in fresh:
            if job.id in runner._tasks or runner._stopping:
                continue
            runner._revs.pop(job.id, None)  # our claim bumped its revision; re-read it at the next sync
            runner._resume(job)


def undriven(runner: JobRunner) -> bool:
    """Is any known job active, of a kind we drive, and not driven here?"""
    return any(
        job_id not in runner._tasks and not job.state.terminal and find(str(job.kind)) is not None
        for job_id, job in runner._jobs.items()
    )


async def sync(runner: JobRunner) -> None:
    """Pick up other processes' writes, and adopt jobs of runners that died."""
    version = runner.journal.data_version()
    if version == runner._data_version and not undriven(runner):
        return
    if version != runner._data_version:
        runner._data_version = version
        revisions = runner.journal.revisions()
        changed = [job_id for job_id, rev in revisions.items() if runner._revs.get(job_id) != rev]
        for job_id in [j for j in runner._jobs if j not in revisions]:
            gone = runner._jobs.pop(job_id)
            runner._revs.pop(job_id, None)
            runner._stop_task(job_id)
            runner._notify(gone)
        for job in runner.journal.get_many(changed):
            previous = runner._jobs.get(job.id)
            runner._revs[job.id] = revisions[job.id]
            if previous is not None and previous == job:
                continue
            if previous is not None and previous.state != job.state and job.id in runner._tasks:
                runner._stop_task(job.id)  # changed by someone else (a cancel): stop driving it
            runner._set(job, previous=previous)
    if undriven(runner):
        await adopt(runner, runner.journal.active_owners())


def clean_part_files(runner: JobRunner, owners: dict[str, str | None]) -> None:
    """Remove our leftover ``.part`` files, except those a live runner elsewhere is writing."""
    keep: set[str] = set()
    verdicts: dict[str, bool] = {}
    active = [(job, owner) for job_id, owner in owners.items() if (job := runner._jobs.get(job_id)) is not None]
    for job, owner in active:
        if owner is None or owner == runner.owner or not job.result_path:
            continue
        if owner not in verdicts:
            verdicts[owner] = OwnerLock.alive(runner._lock.folder, owner)
        if verdicts[owner]:
            keep.add(Path(job.result_path).name)
    folders = {runner.downloads_dir} | {Path(j.result_path).parent for j, _ in active if j.result_path}
    files.clean_part_files(folders, keep)
