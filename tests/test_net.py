"""net.py: token bucket, retry policy, Retry-After parsing, atomic capped downloads."""

from __future__ import annotations

import email.utils

import httpx
import pytest

from animetui.errors import Busy, NetworkError, NotFound, ServerError, Unsupported
from animetui.net import RateLimiter, RetryPolicy, download, make_client, parse_retry_after, retrying, send, shared_ssl_context


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_limiter_allows_burst_then_waits():
    t = FakeTime()
    limiter = RateLimiter.per_minute(10, clock=t.clock, sleep=t.sleep)
    for _ in range(10):
        await limiter.acquire()
    assert t.slept == []
    await limiter.acquire()  # the 11th within the minute waits ~6 s for one token
    assert t.slept and abs(sum(t.slept) - 6.0) < 0.01


async def test_limiter_block_for_honours_retry_after():
    t = FakeTime()
    limiter = RateLimiter(5, 5.0, clock=t.clock, sleep=t.sleep)
    limiter.block_for(30)
    await limiter.acquire()
    assert sum(t.slept) >= 30


async def test_retrying_retries_only_retryable_and_uses_retry_after():
    t = FakeTime()
    calls = []

    async def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise Busy("busy", retry_after=2.0)
        return "ok"

    assert await retrying(flaky, policy=RetryPolicy(attempts=3), sleep=t.sleep) == "ok"
    assert t.slept == [2.0, 2.0]

    async def fatal():
        raise ServerError("no")

    with pytest.raises(ServerError):
        await retrying(fatal, policy=RetryPolicy(attempts=5), sleep=t.sleep)


async def test_retrying_gives_up_on_too_long_retry_after():
    async def slow():
        raise Busy("busy", retry_after=3600)

    with pytest.raises(Busy):
        await retrying(slow, policy=RetryPolicy(attempts=3, max_retry_after=60), sleep=FakeTime().sleep)


def test_parse_retry_after_forms():
    assert parse_retry_after(httpx.Headers({"Retry-After": "7"})) == 7.0
    assert parse_retry_after(httpx.Headers({"X-Retry-After": "3"})) == 3.0
    when = email.utils.formatdate(1_000_060, usegmt=True)
    assert parse_retry_after(httpx.Headers({"Retry-After": when}), now=1_000_000) == pytest.approx(60, abs=1)
    assert parse_retry_after(httpx.Headers({"Retry-After": "soon"})) is None
    assert parse_retry_after(httpx.Headers({})) is None


def _client(handler):
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


async def test_send_maps_transport_errors():
    def refuse(request):
        raise httpx.ConnectError("refused", request=request)

    async with _client(refuse) as client:
        with pytest.raises(NetworkError) as info:
            await send(client, "GET", "http://x/", provider="p")
    assert info.value.exit_code == 4

    def timeout(request):
        raise httpx.ReadTimeout("slow", request=request)

    async with _client(timeout) as client:
        with pytest.raises(NetworkError) as info:
            await send(client, "POST", "http://x/", provider="p", charged=True)
    assert info.value.maybe_charged and not info.value.retryable and "charged" in str(info.value)


async def test_download_is_atomic_and_capped(tmp_path):
    body = b"\x89PNG\r\n\x1a\n" + b"x" * 200_000  # starts like a PNG: download() refuses non-images

    async with _client(lambda r: httpx.Response(200, content=body)) as client:
        dest = await download(client, "http://x/img", tmp_path / "a.bin", provider="p")
    assert dest.read_bytes() == body

    async with _client(lambda r: httpx.Response(200, content=body)) as client:
        with pytest.raises(Unsupported, match="cap"):
            await download(client, "http://x/img", tmp_path / "b.bin", provider="p", max_bytes=1000)
    assert not (tmp_path / "b.bin").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]  # no .part left behind

    async with _client(lambda r: httpx.Response(410)) as client:
        with pytest.raises(NotFound, match="expired"):
            await download(client, "http://x/img", tmp_path / "c.bin", provider="p")

    def drop(request):
        raise httpx.RemoteProtocolError("gone", request=request)

    async with _client(drop) as client:
        with pytest.raises(NetworkError):
            await download(client, "http://x/img", tmp_path / "d.bin", provider="p")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bin"]


async def test_retrying_never_resends_what_may_have_been_charged():
    calls = 0

    async def charged():
        nonlocal calls
        calls += 1
        raise NetworkError("dropped after sending", provider="p", maybe_charged=True)

    with pytest.raises(NetworkError) as info:
        # even a caller whose should_retry says yes to everything cannot resend it
        await retrying(charged, policy=RetryPolicy(attempts=5), should_retry=lambda exc: True, sleep=FakeTime().sleep)
    assert calls == 1 and not info.value.retryable and "may have been charged" in str(info.value)


def test_every_error_has_maybe_charged_and_permanent_attributes():
    from animetui.errors import AnimetuiError, AuthError, ResultUnavailable

    assert AuthError("x").maybe_charged is False and AuthError("x").permanent is False
    assert ResultUnavailable("gone").permanent and not ResultUnavailable("gone").retryable
    charged = ServerError("bad answer", retryable=True, maybe_charged=True)
    assert not charged.retryable and charged.message.endswith("check your balance before trying again")
    assert isinstance(charged, AnimetuiError)


def test_looks_like_image_knows_the_formats_and_refuses_html():
    from animetui.net import looks_like_image

    assert looks_like_image(b"\x89PNG\r\n\x1a\n" + b"\0" * 8)
    assert looks_like_image(b"\xff\xd8\xff\xe0" + b"\0" * 12)
    assert looks_like_image(b"RIFF\0\0\0\0WEBPVP8 ")
    assert not looks_like_image(b"RIFF\0\0\0\0WAVEfmt ")
    assert not looks_like_image(b"<!doctype html><html>")
    assert not looks_like_image(b"")


def test_one_tls_context_for_every_client():
    first = shared_ssl_context()
    assert shared_ssl_context() is first
    client = make_client("https://example.invalid")
    try:
        pool = client._transport._pool  # noqa: SLF001 - httpx keeps the context on its pool
        assert pool._ssl_context is first  # noqa: SLF001
    finally:
        import asyncio

        asyncio.run(client.aclose())
