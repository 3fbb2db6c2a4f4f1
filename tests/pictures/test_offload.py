"""Upload preparation off the event loop (animetui.pictures.offload): a thread, or a child that keeps errors."""

from __future__ import annotations

import os

import pytest

from animetui.errors import BadInput
from animetui.pictures import offload


def _pid(_: int) -> int:
    return os.getpid()


def _refuse(label: str) -> None:
    raise BadInput(f"{label}: not a picture", provider="animetrace")


async def test_offload_uses_a_thread_by_default():
    offload.use_process(False)
    assert await offload.run(_pid, 1) == os.getpid()


async def test_offload_runs_in_a_child_and_keeps_errors():
    offload.use_process(True)
    try:
        await offload.run(_pid, 1)  # starts the child
        assert await offload.run(_pid, 1) != os.getpid()
        with pytest.raises(BadInput) as caught:
            await offload.run(_refuse, "a.png")
        assert caught.value.provider == "animetrace" and "a.png: not a picture" in str(caught.value)
    finally:
        offload.use_process(False)


async def test_offload_falls_back_to_a_thread_when_the_child_dies():
    offload.use_process(True)
    try:
        pool = offload._uploads.get()
        assert pool is not None
        await offload.run(_pid, 1)
        for process in list(pool._processes.values()):  # noqa: SLF001 - simulate a crash
            process.kill()
            process.join(5)
        assert await offload.run(_pid, 1) == os.getpid(), "done in a thread instead"
    finally:
        offload.use_process(False)
