"""The :class:`~animetui.jobs.kind.JobContext` a :class:`~animetui.jobs.runner.JobRunner` lends
its jobs' kinds: the few runner services a driver may use, and nothing else of the runner."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from animetui.models import Job

if TYPE_CHECKING:
    from animetui.jobs.runner import JobRunner


class RunnerContext:
    """The :class:`~animetui.jobs.kind.JobContext` a runner lends its jobs' kinds."""

    __slots__ = ("_runner",)

    def __init__(self, runner: JobRunner) -> None:
        self._runner = runner

    @property
    def stopping(self) -> bool:
        return self._runner._stopping

    def poll_interval_for(self, provider: str) -> float:
        return self._runner.poll_interval_for(provider)

    def provider(self, name: str) -> Any:
        return self._runner.providers.get(name)

    def clock(self) -> float:
        return self._runner._clock()

    async def sleep(self, seconds: float) -> None:
        await self._runner._sleep(seconds)

    def jittered(self, seconds: float) -> float:
        return self._runner._jittered(seconds)

    def commit(self, job: Job, **changes: Any) -> Job:
        return self._runner._commit(job, **changes)

    async def save(self, job: Job, **changes: Any) -> Job:
        return await self._runner._save(job, **changes)

    def submit_slot(self, provider: str) -> asyncio.Semaphore:
        runner = self._runner
        return runner._slot(runner._submit_slots, provider, runner._submit_count)

    def poll_slot(self, provider: str) -> asyncio.Semaphore:
        runner = self._runner
        return runner._slot(runner._poll_slots, provider, runner._poll_count)

    def destination(self, job: Job, url: str) -> Path:
        return self._runner._destination(job, url)

    async def download(self, job: Job) -> None:
        await self._runner._download(job)
