"""The documented limits are counted once per machine (``animetui.limits``), across processes.

The timing tests run on the scaled test clock (``ANIMETUI_TEST_CLOCK``) that the limits and the
loopback simulator share, so "10 in any 60 s" is checked in seconds of real time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from animetui.errors import QuotaError
from animetui.limits import DOCUMENTED, TEST_CLOCK_ENV, Rule, SharedBucket, SharedLimits, bucket_name
from animetui.simulator import DEMO_KEYS
from animetui.simulator.imagery import scene

ROOT = Path(__file__).resolve().parents[1]


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_per_minute_rule_grants_ten_then_names_the_wait(tmp_path):
    clock = FakeClock()
    limits = SharedLimits(tmp_path, clock=clock)
    bucket = bucket_name("animeapi", "ank_secret")
    assert "ank_secret" not in bucket
    rules = DOCUMENTED["animeapi"]
    for _ in range(10):
        assert limits.try_take(bucket, rules) == (0.0, None)
    wait, rule = limits.try_take(bucket, rules)
    assert rule is rules[0] and 60.0 <= wait <= 61.0
    clock.now += wait
    assert limits.try_take(bucket, rules) == (0.0, None)
    assert "ank_secret" not in (tmp_path / "limits.sqlite3").read_bytes().decode("latin-1")


async def test_a_grant_is_counted_from_its_answer(tmp_path):
    """A request that took 30 s to upload was seen by the service up to 30 s after its grant:
    the window runs from the answer, so the next one cannot land inside the service's window."""
    clock = FakeClock()
    limits = SharedLimits(tmp_path, clock=clock)
    rules = (Rule(1, 60.0, "requests a minute"),)
    bucket = SharedBucket(limits, "b", rules, max_wait=0.0)
    await bucket.acquire()
    clock.now += 30
    await bucket.sent()
    wait, _ = limits.try_take("b", rules)
    assert wait == pytest.approx(60 + 1.0)  # from the answer (+ the margin), not from the grant
    await bucket.sent()  # nothing held any more: harmless


def test_daily_rule_counts_the_utc_day(tmp_path):
    clock = FakeClock(86400 * 100 + 86000)  # 400 s before a UTC midnight
    limits = SharedLimits(tmp_path, clock=clock)
    rules = DOCUMENTED["whatanime.guest"]
    for _ in range(5):
        assert limits.try_take("whatanime.guest", rules)[0] == 0
    wait, rule = limits.try_take("whatanime.guest", rules)
    assert rule is rules[0] and wait == pytest.approx(400)
    clock.now += 401
    assert limits.try_take("whatanime.guest", rules)[0] == 0


async def test_a_long_wait_is_a_quota_error_saying_when(tmp_path):
    limits = SharedLimits(tmp_path, clock=FakeClock())
    bucket = SharedBucket(limits, "whatanime.guest", DOCUMENTED["whatanime.guest"], provider="whatanime",
                          title="whatanimeisthis")
    for _ in range(5):
        await bucket.acquire()
    with pytest.raises(QuotaError, match=r"allows 5 guest searches a day.*more at about \d\d:\d\d UTC"):
        await bucket.acquire()


def test_a_block_is_shared(tmp_path):
    clock = FakeClock()
    one, two = SharedLimits(tmp_path, clock=clock), SharedLimits(tmp_path, clock=clock)
    one.block("animeapi", 30)
    wait, _ = two.try_take("animeapi", DOCUMENTED["animeapi"])
    assert wait == pytest.approx(30)


def test_two_processes_at_once_share_one_count(tmp_path):
    """Two processes take as fast as they can from one bucket: exactly the rule's count is granted."""
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from animetui.limits import Rule, SharedLimits
        limits = SharedLimits(Path({str(tmp_path)!r}), clock=lambda: 5000.0)
        rules = (Rule(25, 3600.0, "requests an hour"),)
        sys.stdout.write("ready\\n"); sys.stdout.flush()
        sys.stdin.readline()
        granted = sum(1 for _ in range(40) if limits.try_take("b", rules)[0] == 0)
        print(granted)
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for _ in range(2)]
    for proc in procs:
        assert proc.stdout.readline().strip() == "ready"
    for proc in procs:  # both start together
        proc.stdin.write("go\n")
        proc.stdin.flush()
    counts = [int(proc.communicate(timeout=60)[0].strip()) for proc in procs]
    assert sum(counts) == 25, counts
    assert len(SharedLimits(tmp_path).times("b")) == 25


# --------------------------------------------------------------------------- twelve CLI runs at once
@pytest.fixture
def scaled_env(tmp_path):
    # 10x: a 60 s window is 6 s of real time
    return {**os.environ, TEST_CLOCK_ENV: f"{time.time()}:10"}


@pytest.fixture
def simulator(tmp_path, scaled_env):
    log = tmp_path / "requests.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "animetui.simulator", "--port", "0", "--log", str(log)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=scaled_env,
    )
    try:
        first = proc.stdout.readline()
        assert first.startswith("animetui simulators on http://127.0.0.1:"), first
        yield first.split()[-1], log
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_twelve_generate_runs_at_once_keep_to_ten_a_minute(simulator, tmp_path, scaled_env):
    base_url, log = simulator
    config = tmp_path / "sim.toml"
    config.write_text(f'[providers.animeapi]\nbase_url = "{base_url}"\napi_key = "{DEMO_KEYS["animeapi"]}"\n')
    env = {**scaled_env, "ANIMETUI_CONFIG": str(config), "ANIMETUI_DATA_DIR": str(tmp_path / "data")}
    runs = [
        subprocess.Popen([sys.executable, "-m", "animetui", "generate", f"a fox number {i}", "--json"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=env)
        for i in range(12)
    ]
    results = [proc.communicate(timeout=240) for proc in runs]
    for proc, (out, err) in zip(runs, results):
        assert proc.returncode == 0, err
        assert json.loads(out)["state"] == "succeeded"
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["status"] for e in entries if e["service"] == "animeapi"] == [200] * 12, \
        "each run sent its generation once (none charged twice) and the service refused none"
    posts = sorted(e["at"] for e in entries if e["service"] == "animeapi" and e["method"] == "POST")
    busiest = max(sum(1 for t in posts if start <= t < start + 60) for start in posts)
    assert busiest <= 10, posts
    assert posts[-1] - posts[0] >= 60  # the last two waited for the window


def test_guest_searches_are_counted_across_processes(tmp_path):
    """Two CLI processes at once, three guest searches each: five are sent, the sixth is refused here."""
    log = tmp_path / "requests.jsonl"
    sim = subprocess.Popen([sys.executable, "-m", "animetui.simulator", "--port", "0", "--log", str(log)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base_url = sim.stdout.readline().split()[-1]
        config = tmp_path / "sim.toml"
        config.write_text(f'[providers.whatanime]\nbase_url = "{base_url}"\n')
        env = {**os.environ, "ANIMETUI_CONFIG": str(config), "ANIMETUI_DATA_DIR": str(tmp_path / "data")}
        env.pop("ANIMETUI_WHATANIME_API_KEY", None)
        for number in range(6):  # six different pictures (a picture searched before is answered from history)
            (tmp_path / f"shot{number}.png").write_bytes(scene(640, 360, seed=number, boxes=[(0.2, 0.2, 0.6, 0.9)]))
        script = textwrap.dedent(
            f"""
            import subprocess, sys
            codes = [subprocess.run([sys.executable, "-m", "animetui", "scene", f"{str(tmp_path)}/shot{{n}}.png", "--json"],
                                    capture_output=True, text=True, stdin=subprocess.DEVNULL).stderr
                     for n in range(int(sys.argv[1]), int(sys.argv[1]) + 3)]
            print(sum(1 for err in codes if "guest limit" in err))
            """
        )
        runs = [subprocess.Popen([sys.executable, "-c", script, str(first)], stdout=subprocess.PIPE, text=True, env=env)
                for first in (0, 3)]
        refused = sum(int(proc.communicate(timeout=240)[0].strip()) for proc in runs)
    finally:
        sim.terminate()
        sim.wait(timeout=10)
    searches = [json.loads(line) for line in log.read_text().splitlines()]
    searches = [e for e in searches if e["path"] == "/api/anime/search"]
    assert len(searches) == 5, searches
    assert refused == 1
    assert SharedLimits(tmp_path / "data").used("whatanime.guest", DOCUMENTED["whatanime.guest"][0]) == 5
