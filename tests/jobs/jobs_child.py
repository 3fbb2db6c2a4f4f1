"""A separate process for ``test_runner.py``'s SIGKILL test: runs jobs against a loopback simulator.

    python tests/jobs/jobs_child.py --db DB --downloads DIR --base-url URL
        [--generate N] [--cartoonize N --photo FILE] [--slow] [--poll SECONDS]

Without ``--generate``/``--cartoonize`` it only resumes what the journal holds. Prints one JSON
line per job change (``{"id", "kind", "state", "error"}``), ``STARTED`` once its jobs are queued,
and ``ALL-DONE [...]`` when every job in the journal has ended. ``--slow`` streams result
downloads in small, paced chunks so the parent can kill it while a ``.part`` file is half written.
Not collected by pytest (not named ``test_*``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

import httpx

from animetui.config import Settings
from animetui.jobs import JobRunner
from animetui.limits import TEST_CLOCK_ENV
from animetui.models import GenerateRequest, Job, Orientation
from animetui.net import RetryPolicy, make_client
from animetui.providers import Providers
from animetui.simulator import DEMO_KEYS
from animetui.store import JobJournal


class _SlowStream(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, chunk: int, pause: float) -> None:
        self._inner = inner
        self._chunk = chunk
        self._pause = pause

    async def __aiter__(self):  # type: ignore[override]
        async for data in self._inner:
            for start in range(0, len(data), self._chunk):
                yield data[start : start + self._chunk]
                await asyncio.sleep(self._pause)

    async def aclose(self) -> None:
        await self._inner.aclose()


class _SlowTransport(httpx.AsyncBaseTransport):
    """A real socket transport whose response bodies trickle in."""

    def __init__(self, chunk: int = 2048, pause: float = 0.03) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._chunk = chunk
        self._pause = pause

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        assert isinstance(response.stream, httpx.AsyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_SlowStream(response.stream, self._chunk, self._pause),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


async def run(args: argparse.Namespace) -> int:
    settings = Settings.defaults(Path(args.db).parent / "config.toml")
    for name in ("animeapi", "ailab"):
        settings.set(f"providers.{name}.base_url", args.base_url)
        settings.set(f"providers.{name}.api_key", DEMO_KEYS[name])
    os.environ.setdefault(TEST_CLOCK_ENV, f"{time.time()}:1000")  # the shared limits' minute is 60 ms
    providers = Providers(settings, retry=RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, max_retry_after=2.0))
    if args.slow:
        providers._download_client = make_client("", timeout=120.0, transport=_SlowTransport(), headers={"Accept": "*/*"})

    journal = JobJournal(Path(args.db))
    runner = JobRunner(providers, journal, downloads_dir=Path(args.downloads), poll_interval=args.poll)

    def show(job: Job) -> None:
        line = {"id": job.id, "kind": job.kind.value, "state": job.state.value, "error": job.error}
        print(json.dumps(line), flush=True)

    runner.subscribe(show)
    await runner.start()
    for n in range(args.generate):
        await runner.submit_generate(GenerateRequest(f"kill test {n}: girl with blue hair", orientation=Orientation.SQUARE))
    for n in range(args.cartoonize):
        await runner.submit_cartoonize(Path(args.photo), n % 9)
    print("STARTED", flush=True)
    jobs = await runner.wait()
    print("ALL-DONE " + json.dumps([job.state.value for job in jobs]), flush=True)
    await runner.stop()
    await providers.aclose()
    journal.close()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--downloads", required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--generate", type=int, default=0)
    parser.add_argument("--cartoonize", type=int, default=0)
    parser.add_argument("--photo")
    parser.add_argument("--slow", action="store_true")
    parser.add_argument("--poll", type=float, default=0.05)
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
