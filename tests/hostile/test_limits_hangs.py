"""Issue 10, "Resources and hangs": bounded bodies, a whole-request deadline, result links that
can never give an image end the job instead of being retried for 24 h.

Memory is asserted by what was read (the cap error, and how many bytes the server managed to
write before the client hung up), never by RSS or timing. Deadlines are asserted by the error
class; wall-clock bounds are generous and only there so that main fails instead of hanging.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from animetui.errors import NetworkError, ResponseTooLarge, ResultUnavailable
from animetui.models import GenerateRequest
from animetui.net import MAX_JSON_BYTES, download
from animetui.simulator.imagery import scene

from .conftest import GENERATE, RANKINGS, RECENT
from .hostile_server import Reply

HUGE = 64 * 1024 * 1024
#: what a client that stopped at the cap can still have been sent: the cap plus socket buffers
BOUNDED = MAX_JSON_BYTES + 16 * 1024 * 1024
#: only so that a hang fails instead of blocking the suite
GUARD = 60


def animetui(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "animetui", *argv], capture_output=True, text=True,
                          env=dict(os.environ), stdin=subprocess.DEVNULL, timeout=GUARD)


# --------------------------------------------------------------------------- body caps
def test_rankings_huge_declared_body_is_refused_unread(hostile, point_at, cli):
    point_at(hostile)
    hostile.huge(RANKINGS, size=HUGE)

    code, _out, err = cli("rankings")

    assert code != 0 and "MiB cap" in err and "Traceback" not in err
    assert hostile.sent.get(RANKINGS, 0) < BOUNDED


async def test_recent_endless_body_stops_at_the_cap(hostile, registry):
    hostile.huge(RECENT, size=HUGE, declare=False)  # no length: it ends when the server closes

    with pytest.raises(ResponseTooLarge, match="stopped reading"):
        await registry.whatanime.recent_searches()

    assert hostile.sent.get(RECENT, 0) < BOUNDED * 3  # up to 3 attempts (a read is retried…)
    assert len(hostile.requests_to(RECENT)) == 1  # …but not a body that was too big


def test_rankings_that_never_end_stop_at_the_cap(hostile, point_at, cli):
    point_at(hostile)
    hostile.endless(RANKINGS)

    code, _out, err = cli("rankings")

    assert code != 0 and "MiB cap" in err
    assert len(hostile.requests_to(RANKINGS)) == 1


async def test_a_gzip_bomb_stops_at_the_cap_once_decoded(hostile, registry):
    bomb = gzip.compress(b" " * HUGE, compresslevel=1)
    assert len(bomb) < MAX_JSON_BYTES  # small on the wire, 64 MiB once decoded
    hostile.route(RANKINGS, headers={"Content-Type": "application/json", "Content-Encoding": "gzip"}, body=bomb)

    with pytest.raises(ResponseTooLarge):
        await registry.whatanime.rankings()


# --------------------------------------------------------------------------- deadlines
def test_a_drip_does_not_outlive_the_timeout(hostile, point_at):
    point_at(hostile, providers__whatanime__timeout=1)
    hostile.drip(RANKINGS, every=0.2)  # a byte every 0.2 s: a per-read timeout of 1 s never fires

    result = animetui("rankings")

    assert result.returncode == NetworkError.exit_code, result.stderr
    assert "no complete answer within 1 s" in result.stderr and "Traceback" not in result.stderr


async def test_a_paid_drip_is_cut_at_the_deadline_and_may_have_been_charged(hostile, point_at):
    from animetui.config import Settings
    from animetui.providers import Providers

    point_at(hostile, providers__animeapi__timeout=5)
    hostile.drip(GENERATE, every=0.5)
    registry = Providers(Settings.load())
    try:
        with pytest.raises(NetworkError) as info:
            await asyncio.wait_for(registry.animeapi.generate(GenerateRequest(prompt="a fox")), GUARD)
    finally:
        await registry.aclose()

    assert info.value.timeout and info.value.maybe_charged and "may have been charged" in str(info.value)
    assert len(hostile.requests_to(GENERATE)) == 1


# --------------------------------------------------------------------------- result links
@pytest.fixture
def png() -> bytes:
    return scene(64, 48, seed=1)


@pytest.mark.parametrize(
    "script",
    ["file", "loop", "ping-pong", "html", "ftp"],
)
async def test_result_links_that_never_give_an_image_are_permanent(hostile, registry, tmp_path, script):
    if script == "file":
        hostile.redirect("/r.png", "file:///etc/passwd")
    elif script == "loop":
        hostile.redirect("/r.png", "/r.png", status=307)
    elif script == "ping-pong":
        hostile.redirect("/r.png", "/other.png")
        hostile.redirect("/other.png", "/r.png")
    elif script == "ftp":
        hostile.redirect("/r.png", "ftp://127.0.0.1/r.png")
    else:
        hostile.route("/r.png", headers={"Content-Type": "image/png"}, body=b"<!doctype html><html>Sign in</html>")
    dest = tmp_path / "out" / "r.png"

    with pytest.raises(ResultUnavailable) as info:
        await download(registry.downloads, hostile.url + "/r.png", dest, provider="animeapi")

    assert info.value.permanent and not info.value.retryable
    assert not dest.exists() and list(dest.parent.iterdir()) == []  # no .part left either
    assert len(hostile.requests) <= 7


async def test_a_result_on_another_host_is_still_downloaded(hostile, elsewhere, registry, tmp_path, png):
    hostile.redirect("/r.png", elsewhere.url + "/cdn/r.png")
    elsewhere.route("/cdn/r.png", headers={"Content-Type": "image/png"}, body=png)

    dest = await download(registry.downloads, hostile.url + "/r.png", tmp_path / "r.png", provider="animeapi")

    assert dest.read_bytes() == png
    assert all(name not in r.headers for r in elsewhere.requests for name in ("authorization", "cookie"))


@pytest.mark.parametrize("script", ["file", "html"])
def test_generate_ends_with_a_message_when_the_result_link_is_bad(hostile, point_at, tmp_path, script):
    point_at(hostile, general__downloads_dir=str(tmp_path / "dl"))
    hostile.route(GENERATE, json={"image_url": hostile.url + "/result.png", "balance_usd": 4.2})
    if script == "file":
        hostile.redirect("/result.png", "file:///etc/passwd")
    else:
        hostile.route("/result.png", handler=lambda _r: Reply(200, {"Content-Type": "image/png"}, b"<html>no</html>"))

    result = animetui("generate", "a fox in the snow", "--json")

    assert result.returncode != 0, result.stdout
    job = json.loads(result.stdout)
    assert job["state"] == "failed", job
    assert ("file:" in job["error"]) if script == "file" else ("not an image" in job["error"])
    assert len(hostile.requests_to(GENERATE)) == 1
    saved = [p for p in Path(tmp_path / "dl").rglob("*") if p.is_file()] if (tmp_path / "dl").exists() else []
    assert saved == []
