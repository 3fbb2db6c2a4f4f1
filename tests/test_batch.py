"""Batch lookups: dedupe by hash, per-provider queues, quota stop, pause/resume, restart."""

from __future__ import annotations

import asyncio

import pytest

from animetui.batch import BatchJournal, BatchRunner, find_images
from animetui.history import History
from animetui.lookups import LookupService
from animetui.net import RateLimiter, RetryPolicy
from animetui.providers import Providers
from animetui.simulator.imagery import scene


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / "shots"
    (root / "sub").mkdir(parents=True)
    for i in range(6):
        (root / f"shot{i}.png").write_bytes(scene(320, 200, seed=10 + i, boxes=[(0.2, 0.2, 0.5, 0.9)]))
    (root / "copy.png").write_bytes((root / "shot0.png").read_bytes())
    (root / "sub" / "deep.jpg").write_bytes(scene(320, 200, seed=99, fmt="JPEG"))
    (root / "readme.txt").write_text("x")
    (root / ".hidden.png").write_bytes(scene(64, 64, seed=5))
    return root


@pytest.fixture
async def service(tmp_path, hub, settings):
    providers = Providers(settings, hub=hub, retry=RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02))
    for name in ("animetrace", "whatanime", "tracemoe"):
        providers.get(name).ctx.limiter = RateLimiter(1000, 1000)  # no real waiting in tests
    lookups = LookupService(providers, History(tmp_path / "h.sqlite3"))
    yield lookups
    lookups.history.close()
    await providers.aclose()


def test_find_images(folder):
    names = [p.name for p in find_images(folder)]
    assert names == ["copy.png", "shot0.png", "shot1.png", "shot2.png", "shot3.png", "shot4.png", "shot5.png"]
    assert "deep.jpg" in [p.name for p in find_images(folder, recursive=True)]


async def test_batch_dedupes_and_uses_cache(folder, service, hub, tmp_path):
    journal = BatchJournal(tmp_path / "h.sqlite3")
    progress = []
    runner = BatchRunner(service, journal, on_progress=progress.append)
    batch_id = await runner.plan(find_images(folder), ["characters"])
    items = await runner.run(batch_id)
    statuses = {i.path.rsplit("/", 1)[-1]: i.status for i in items}
    assert statuses["copy.png"] == "duplicate" or statuses["shot0.png"] == "duplicate"
    assert sum(s == "done" for s in statuses.values()) == 6
    assert len(hub.requests_to("animetrace")) >= 6
    assert progress[-1].done == progress[-1].total == 6
    # the same folder again costs nothing
    before = len([r for r in hub.requests_to("animetrace") if r.path == "/v1/search"])
    again = await BatchRunner(service, journal).run(await runner.plan(find_images(folder), ["characters"]))
    assert {i.status for i in again} <= {"cached", "duplicate"}
    assert len([r for r in hub.requests_to("animetrace") if r.path == "/v1/search"]) == before


async def test_scene_quota_stops_before_going_over(folder, service, hub, tmp_path):
    from animetui.simulator.whatanime import DEMO_EMAIL, DEMO_PASSWORD

    sim = hub.services["whatanime"]
    await service.providers.whatanime.sign_in(DEMO_EMAIL, DEMO_PASSWORD)
    sim.set_credits(DEMO_EMAIL, paid=0, free_used=8)  # 2 searches left
    journal = BatchJournal(tmp_path / "h.sqlite3")
    runner = BatchRunner(service, journal, scene_providers="whatanime")
    batch_id = await runner.plan(find_images(folder), ["scene"])
    items = await runner.run(batch_id)
    done = [i for i in items if i.status == "done"]
    pending = [i for i in items if i.status == "pending"]
    assert len(done) == 2 and len(pending) == 4, "the rest wait for the quota, not skipped"
    assert any("left" in note for note in runner.notes)
    assert runner.quota_paused and batch_id in journal.unfinished()
    assert any("--resume" in note for note in runner.notes)
    assert not any(r.status == 402 for r in hub.requests_to("whatanime")), "never sent past the quota"
    # the credits come back: --resume goes on from there, and only the four left are sent
    sent = len([r for r in hub.requests_to("whatanime") if r.path == "/api/anime/search"])
    sim.set_credits(DEMO_EMAIL, paid=10, free_used=10)
    items = await BatchRunner(service, journal, scene_providers="whatanime").run(batch_id)
    assert [i.status for i in items].count("done") == 6
    assert len([r for r in hub.requests_to("whatanime") if r.path == "/api/anime/search"]) - sent == 4
    assert batch_id not in journal.unfinished()


async def test_quota_error_mid_batch_stops_queue(folder, service, hub, tmp_path):
    from animetui.simulator.whatanime import DEMO_EMAIL

    hub.services["whatanime"].set_credits(DEMO_EMAIL, paid=0, free_used=9)  # API key user: 1 left, unknown to us
    runner = BatchRunner(service, BatchJournal(tmp_path / "h.sqlite3"), scene_providers="whatanime")
    items = await runner.run(await runner.plan(find_images(folder), ["scene"]))
    assert [i.status for i in items].count("done") == 1
    assert sum(1 for r in hub.requests_to("whatanime") if r.status == 402) == 1
    assert all(i.status in ("done", "pending", "duplicate") for i in items)
    assert [i.status for i in items].count("pending") == 5, "paused at the quota answer, nothing marked failed"
    assert any("come back at midnight" in note for note in runner.notes)


async def test_a_short_rate_limit_is_waited_out_and_the_batch_goes_on(folder, service, hub, tmp_path):
    waits = []

    async def sleep(seconds):
        waits.append(seconds)

    hub.inject("whatanime", "status", status=429, body={"message": "Too many requests"},
               headers={"Retry-After": "30"}, times=1, path="/api/anime/search")
    runner = BatchRunner(service, BatchJournal(tmp_path / "h.sqlite3"), sleep=sleep)
    items = await runner.run(await runner.plan(find_images(folder), ["scene"]))
    assert 30 in waits
    assert [i.status for i in items].count("done") == 6 and not runner.quota_paused


async def test_pause_resume_and_restart(folder, service, hub, tmp_path):
    journal = BatchJournal(tmp_path / "h.sqlite3")
    runner = BatchRunner(service, journal)
    batch_id = await runner.plan(find_images(folder), ["characters"])
    runner.pause()
    task = asyncio.create_task(runner.run(batch_id))
    await asyncio.sleep(0.05)
    assert not [r for r in hub.requests_to("animetrace") if r.path == "/v1/search"], "paused: nothing sent"
    runner.resume_running()
    # let two finish, then "crash"
    while sum(i.status == "done" for i in journal.items(batch_id)) < 2:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert batch_id in journal.unfinished()
    sent = len([r for r in hub.requests_to("animetrace") if r.path == "/v1/search"])
    items = await BatchRunner(service, journal).run(batch_id)
    # An item whose answer was saved to history just before the "crash" comes back as cached (free).
    statuses = [i.status for i in items if i.status != "duplicate"]
    assert len(statuses) == 6 and set(statuses) <= {"done", "cached"}, statuses
    assert len([r for r in hub.requests_to("animetrace") if r.path == "/v1/search"]) - sent <= 6 - 2 + 2
    assert batch_id not in journal.unfinished()


async def test_scene_batch_spreads_over_both_engines_within_each_quota(folder, service, hub, tmp_path):
    """``all``: whatanimeisthis has 2 searches left; trace.moe takes the rest, nothing goes past a quota."""
    from animetui.simulator.whatanime import DEMO_EMAIL, DEMO_PASSWORD

    await service.providers.whatanime.sign_in(DEMO_EMAIL, DEMO_PASSWORD)
    hub.services["whatanime"].set_credits(DEMO_EMAIL, paid=0, free_used=8)
    runner = BatchRunner(service, BatchJournal(tmp_path / "h.sqlite3"), scene_providers="all")
    assert runner.scene_providers == ("whatanime", "tracemoe")
    items = await runner.run(await runner.plan(find_images(folder), ["scene"]))
    statuses = [i.status for i in items if i.status != "duplicate"]
    assert statuses == ["done"] * 6, [(i.status, i.detail) for i in items]
    wa = [r for r in hub.requests_to("whatanime") if r.path == "/api/anime/search"]
    tm = [r for r in hub.requests_to("tracemoe") if r.path == "/search"]
    assert 1 <= len(wa) <= 2 and len(wa) + len(tm) == 6
    assert not any(r.status == 402 for r in hub.requests_to("whatanime"))
    assert all(i.headline for i in items if i.status == "done")


async def test_batch_names_one_scene_provider(folder, service, hub, tmp_path):
    runner = BatchRunner(service, BatchJournal(tmp_path / "h.sqlite3"), scene_providers="tracemoe")
    items = await runner.run(await runner.plan(find_images(folder), ["scene"]))
    assert [i.status for i in items].count("done") == 6
    assert not [r for r in hub.requests_to("whatanime") if r.path == "/api/anime/search"]


async def test_a_batch_session_runs_and_resumes_through_the_runners_public_api(folder, service, hub, tmp_path):
    """BatchSession (the TUI's batch, now beside the runner): plans, reports, cancels, resumes."""
    from animetui.batch import BatchSession

    journal = BatchJournal(tmp_path / "h.sqlite3")
    seen: list[str] = []
    session = BatchSession(service, journal, paths=find_images(folder), kinds=("characters",))
    session.listeners.append(lambda s: seen.append(s.state))

    def cancel_after_the_first(progress) -> None:
        if progress.done >= 1:
            session.cancel()

    await session.run()
    assert session.state == "done" and not session.running
    assert session.counts().get("done", 0) == 6 and "running" in seen
    # a second session resumes an unfinished batch by id and sees its kinds from the journal
    other = BatchSession(service, journal, paths=find_images(folder), kinds=("characters",))
    other.listeners.append(lambda s: cancel_after_the_first(s.progress) if s.progress is not None else None)
    await other.run()
    assert other.state in ("cancelled", "done")
    assert other.batch_id is not None
    resumed = BatchSession(service, journal, batch_id=other.batch_id)
    await resumed.run()
    assert resumed.resumed and resumed.kinds == ("characters",) and resumed.state == "done"
    assert [i.id for i in resumed.summary()] == sorted(i.id for i in resumed.summary())
